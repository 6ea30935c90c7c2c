import assert from "node:assert/strict";
import { LineSink } from "./line_sink.ts";

function failing(errors: (Error | null)[]) {
  const written: string[] = [];
  return {
    written,
    write(text: string) {
      const e = errors.shift();
      if (e) throw e;
      written.push(text);
    },
  };
}

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

Deno.test("LineSink drops every line after the terminal went away (EIO) and never throws", () => {
  const out = failing([null, withCode("Input/output error (os error 5)", "EIO")]);
  const sink = new LineSink(out);
  sink.write("one");
  sink.write("two");
  sink.write("three");
  assert.deepEqual(out.written, ["one\n"]);
  assert.equal(sink.gone, true);
  assert.equal(sink.dropped, 2);
});

Deno.test("LineSink treats a closed pipe (EPIPE, BrokenPipe) as gone too", () => {
  for (
    const e of [new Deno.errors.BrokenPipe("Broken pipe (os error 32)"), withCode("Broken pipe", "EPIPE")]
  ) {
    const sink = new LineSink(failing([e]));
    sink.write("one");
    assert.equal(sink.gone, true);
  }
});

Deno.test("LineSink drops only the line whose write failed for another reason (a full disk)", () => {
  const out = failing([withCode("No space left on device (os error 28)", "ENOSPC")]);
  const sink = new LineSink(out);
  sink.write("lost");
  sink.write("kept");
  assert.deepEqual(out.written, ["kept\n"]);
  assert.equal(sink.gone, false);
  assert.equal(sink.dropped, 1);
});
