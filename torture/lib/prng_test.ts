import assert from "node:assert/strict";
import { deriveSeed, rng } from "./prng.ts";

Deno.test("rng() repeats the same sequence for the same seed and differs for another", () => {
  const a = rng(42), b = rng(42), c = rng(43);
  const seqA = Array.from({ length: 20 }, () => a.next());
  const seqB = Array.from({ length: 20 }, () => b.next());
  const seqC = Array.from({ length: 20 }, () => c.next());
  assert.deepEqual(seqA, seqB);
  assert.notDeepEqual(seqA, seqC);
});

Deno.test("rng().int() stays within its bounds and reaches both ends", () => {
  const r = rng(7);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const v = r.int(2, 5);
    assert.ok(v >= 2 && v <= 5 && Number.isInteger(v), `out of range: ${v}`);
    seen.add(v);
  }
  assert.deepEqual([...seen].sort(), [2, 3, 4, 5]);
});

Deno.test("rng().pick() refuses an empty list", () => {
  assert.throws(() => rng(1).pick([]), /empty list/);
});

Deno.test("deriveSeed() is stable and separates indexes and salts", () => {
  assert.equal(deriveSeed(1, 2), deriveSeed(1, 2));
  assert.notEqual(deriveSeed(1, 2), deriveSeed(1, 3));
  assert.notEqual(deriveSeed(1, 2, 0), deriveSeed(1, 2, 1));
  assert.notEqual(deriveSeed(1, 2), deriveSeed(2, 1));
});
