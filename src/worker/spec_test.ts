import assert from "node:assert/strict";
import { encodeSpec, encodeValue, endedFromStatus, parseMessage, quoteWords, specProblem } from "./spec.ts";

const base = { id: "a", attempt: 1, command: "true", cwd: null, env: {}, output: "/o" };

Deno.test("encodeValue() sends a value without newlines as it is, and escapes one with newlines", () => {
  assert.equal(encodeValue("a \\n b"), "-a \\n b\n");
  assert.equal(encodeValue(""), "-\n");
  assert.equal(encodeValue("one\\\ntwo\n"), "+one\\\\\\ntwo\\n\n");
});

Deno.test("quoteWords() quotes words for eval, single quotes included", async () => {
  const words = ["it's", "", '$x `y` "z"', "a\nb"];
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", `eval "set -- $1"; printf '[%s]' "$@"`, "sh", quoteWords(words)],
  }).output();
  assert.equal(new TextDecoder().decode(out.stdout), words.map((w) => `[${w}]`).join(""));
});

Deno.test("encodeSpec() writes a run line and six values", () => {
  const text = encodeSpec({ ...base, env: { A: "1" }, argv: ["ls", "-l"] });
  assert.equal(text, "run 1\n-a\n-/o\n-\n-'A=1'\n-'ls' '-l'\n-\n");
});

Deno.test("specProblem() refuses NUL bytes, bad environment names, an empty argv and oversized arguments", () => {
  assert.equal(specProblem(base), null);
  assert.equal(specProblem({ ...base, cwd: "a\0b" }), "its directory holds a NUL byte");
  assert.equal(
    specProblem({ ...base, env: { "1X": "" } }),
    'environment name "1X" is not a shell variable name',
  );
  assert.equal(specProblem({ ...base, argv: [] }), "its argument vector is empty");
  assert.match(
    specProblem({ ...base, argv: ["echo", "x".repeat(200_000)] })!,
    /^its argument 1 is longer than/,
  );
  assert.equal(specProblem({ ...base, command: "x".repeat(200_000) }), null, "a long command goes in pieces");
});

Deno.test("parseMessage() reads the runner's lines, and nothing else", () => {
  assert.deepEqual(parseMessage("ready 12 345"), { kind: "ready", pid: 12, startTime: 345 });
  assert.deepEqual(parseMessage("start"), { kind: "start" });
  assert.deepEqual(parseMessage("nostart cwd not a directory"), {
    kind: "nostart",
    what: "cwd",
    reason: "not a directory",
  });
  assert.deepEqual(parseMessage("exit 0"), { kind: "exit", status: 0 });
  assert.equal(parseMessage("exit x"), null);
  assert.equal(parseMessage("hello"), null);
});

Deno.test("endedFromStatus() reads 128+N as signal N when N names one", () => {
  assert.deepEqual(endedFromStatus(0), { kind: "exited", code: 0 });
  assert.deepEqual(endedFromStatus(128), { kind: "exited", code: 128 });
  assert.deepEqual(endedFromStatus(137, "linux"), { kind: "signaled", signal: "SIGKILL", code: 137 });
  assert.deepEqual(endedFromStatus(138, "linux"), { kind: "signaled", signal: "SIGUSR1", code: 138 });
  assert.deepEqual(endedFromStatus(138, "darwin"), { kind: "exited", code: 138 }, "numbered otherwise there");
  assert.deepEqual(endedFromStatus(255), { kind: "exited", code: 255 });
});
