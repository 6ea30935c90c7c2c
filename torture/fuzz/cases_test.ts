import assert from "node:assert/strict";
import { FILE_ARG, generateCase } from "./cases.ts";
import { rng } from "./rng.ts";

const inProcess = { maxArgBytes: Infinity, nulInArgs: true };
const binary = { maxArgBytes: 100_000, nulInArgs: false };

Deno.test("generateCase() gives the same cases for the same seed", () => {
  const a = rng(42);
  const b = rng(42);
  for (let i = 0; i < 300; i++) {
    assert.deepStrictEqual(generateCase(a, inProcess), generateCase(b, inProcess));
  }
});

Deno.test("generateCase() names what a refusal must mention, and a --file case carries its bytes", () => {
  const r = rng(7);
  for (let i = 0; i < 2000; i++) {
    const c = generateCase(r, inProcess);
    if (c.expect === "refuse") assert.ok(c.names.length > 0 && c.names.every((n) => n !== ""), c.kind);
    else assert.deepStrictEqual(c.names, []);
    assert.strictEqual(c.args.includes(FILE_ARG), c.file !== undefined, c.kind);
  }
});

Deno.test("generateCase() for a real process keeps arguments short and free of NUL bytes", () => {
  const r = rng(9);
  for (let i = 0; i < 2000; i++) {
    for (const a of generateCase(r, binary).args) {
      assert.ok(a.length <= 100_000 && !a.includes("\0"));
    }
  }
});
