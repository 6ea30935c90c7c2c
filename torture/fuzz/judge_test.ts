import assert from "node:assert/strict";
import type { FuzzCase } from "./cases.ts";
import { judge } from "./judge.ts";

const refuse: FuzzCase = { kind: "flag:priority", args: [], expect: "refuse", names: ["priority"] };
const ok = {
  code: 2,
  stdout: "",
  stderr: 'error: Invalid --priority "x": expected a whole number\n',
  before: "a",
  after: "a",
};

Deno.test("judge() accepts a refusal with exit 2, one error line naming the flag, and no file changed", () => {
  assert.deepStrictEqual(judge(refuse, ok), []);
});

Deno.test("judge() reports a wrong exit code, a second line, a missing name and changed files", () => {
  assert.match(judge(refuse, { ...ok, code: 1 })[0], /^exit 1, not 2/);
  assert.match(judge(refuse, { ...ok, stderr: ok.stderr + "more\n" })[0], /not one "error: \.\.\." line/);
  assert.match(judge(refuse, { ...ok, stderr: "error: something is wrong\n" })[0], /does not name priority/);
  assert.match(judge(refuse, { ...ok, after: "b" })[0], /files changed/);
  assert.match(judge(refuse, { ...ok, stdout: "id\n" })[0], /on stdout/);
});

Deno.test("judge() reports a stack trace even when the exit code is right", () => {
  const trace = { ...ok, stderr: ok.stderr + "    at foo (file:///x.ts:1:1)\n" };
  assert.ok(judge(refuse, trace).some((p) => p.startsWith("a stack trace")));
});

Deno.test("judge() wants exit 0 for a valid-but-odd case, whatever it wrote", () => {
  const accept: FuzzCase = { kind: "json:command", args: [], expect: "accept", names: [] };
  assert.deepStrictEqual(judge(accept, { code: 0, stdout: "id\n", stderr: "", before: "a", after: "b" }), []);
  assert.match(judge(accept, { ...ok })[0], /^exit 2 for valid input/);
});
