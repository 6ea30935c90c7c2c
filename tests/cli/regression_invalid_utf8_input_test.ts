/**
 * Regression (found by the hostile-input fuzzer): a --file or stdin holding bytes that are not
 * UTF-8 was decoded lossily, so `{"command":"echo \xff"}` enqueued `echo \ufffd`, a command the
 * user never wrote, with exit 0. Such input is now refused: exit 2, one line naming the input.
 */
import assert from "node:assert/strict";
import { cli, DENO, dirOfHome, exists, MAIN, withHome } from "../../testkit/mod.ts";

const enc = new TextEncoder();
const BAD_LINE = new Uint8Array([...enc.encode('{"command":"echo '), 0xff, ...enc.encode('"}\n')]);
const GOOD_LINE = enc.encode('{"command":"echo fine"}\n');

Deno.test("enqueue --file refuses a file that is not UTF-8 (exit 2, names the file and byte), enqueues nothing", () =>
  withHome(async (home) => {
    const file = `${dirOfHome(home)}/jobs.jsonl`;
    Deno.writeFileSync(file, new Uint8Array([...GOOD_LINE, ...BAD_LINE]));
    const r = await cli(home, ["enqueue", "--file", file]);
    assert.strictEqual(r.code, 2, r.stderr);
    assert.strictEqual(r.stdout, "");
    assert.strictEqual(r.stderr, `error: Cannot read --file ${file}: it is not valid UTF-8 (at byte 41)\n`);
    assert.strictEqual(exists(home), false);
  }));

Deno.test("enqueue --file - refuses stdin that is not UTF-8 (exit 2), enqueues nothing", () =>
  withHome(async (home) => {
    const child = new Deno.Command(DENO, {
      args: ["run", "-A", MAIN, "enqueue", "--file", "-"],
      env: { QUEUECTL_HOME: home },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(BAD_LINE);
    await w.close();
    const out = await child.output();
    assert.strictEqual(out.code, 2);
    assert.strictEqual(new TextDecoder().decode(out.stdout), "");
    assert.strictEqual(
      new TextDecoder().decode(out.stderr),
      "error: Cannot read stdin: it is not valid UTF-8 (at byte 17)\n",
    );
    assert.strictEqual(exists(home), false);
  }));
