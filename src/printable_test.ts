import assert from "node:assert/strict";
import { printable } from "./printable.ts";

Deno.test("printable() escapes terminal escape sequences, carriage returns and separators", () => {
  assert.equal(printable("a\x1b]0;evil\x07b"), "a\\u001b]0;evil\\u0007b");
  assert.equal(printable("x\ry\u2028z\u202e"), "x\\ry\\u2028z\\u202e");
  assert.equal(printable("one\ntwo\tthree"), "one\\ntwo\\tthree");
  assert.equal(printable("\u009b31m"), "\\u009b31m");
});

Deno.test("printable(text, true) keeps newlines and tabs and escapes the rest", () => {
  assert.equal(printable("one\ntwo\tthree\x1b[2J\r", true), "one\ntwo\tthree\\u001b[2J\\r");
});

Deno.test("printable() leaves ordinary text, including non-ASCII, as it is", () => {
  const text = "echo 'héllo wörld' — 日本 ✓ $HOME \"q\" \\n";
  assert.equal(printable(text), text);
  assert.equal(printable(text, true), text);
});
