import assert from "node:assert/strict";
import fc from "fast-check";
import { idProblem, newId } from "./ids.ts";

const MAX_MS = 2 ** 48 - 1;

/** A deterministic stand-in for Math.random. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

Deno.test("newId() is 18 lowercase Crockford base32 characters", () => {
  const id = newId(Date.parse("2026-01-01T00:00:00Z"));
  assert.strictEqual(id.length, 18);
  assert.match(id, /^[0-9a-hjkmnp-tv-z]{18}$/);
  assert.strictEqual(idProblem(id), null);
});

Deno.test("newId() is deterministic with an injected rand", () => {
  const t = Date.parse("2026-05-06T07:08:09.123Z");
  assert.strictEqual(newId(t, seeded(7)), newId(t, seeded(7)));
  assert.notStrictEqual(newId(t, seeded(7)), newId(t, seeded(8)));
  assert.strictEqual(newId(0, () => 0), "000000000000000000");
  assert.strictEqual(newId(0, () => 1 - 2 ** -30), "0000000000zzzzzzzz");
  assert.strictEqual(newId(0, () => 0.5), "0000000000g000g000", "each half of the random part is one draw");
});

Deno.test("newId() sorts ids from increasing times in time order, whatever the random part", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: MAX_MS }),
      fc.integer({ min: 0, max: MAX_MS }),
      fc.integer(),
      fc.integer(),
      (a, b, s1, s2) => {
        fc.pre(a !== b);
        const [lo, hi] = a < b ? [a, b] : [b, a];
        const x = newId(lo, seeded(s1));
        const y = newId(hi, seeded(s2));
        assert.strictEqual(x.length, 18);
        assert.strictEqual(y.length, 18);
        assert.ok(x < y, `${x} (t=${lo}) should sort before ${y} (t=${hi})`);
      },
    ),
  );
});

Deno.test("idProblem() accepts ids made of the safe alphabet", () => {
  for (const id of ["job-1", "a.b_c:d@e+f", "A", "9", "x".repeat(128), "Z-_.:@+"]) {
    assert.strictEqual(idProblem(id), null, id);
  }
});

Deno.test("idProblem() refuses ids that could escape the home or confuse a shell", () => {
  const refused = [
    "",
    "../x",
    "a/b",
    "..",
    "a..b",
    "x".repeat(129),
    "-rf",
    ".hidden",
    "a\0b",
    "a b",
    " a",
    "a\n",
    "héllo",
    "日本",
    "a\\b",
  ];
  for (const id of refused) {
    const problem = idProblem(id);
    assert.strictEqual(typeof problem, "string", JSON.stringify(id));
    assert.ok(problem!.length > 0);
  }
});

Deno.test("idProblem() explains an empty or too long id", () => {
  assert.strictEqual(idProblem(""), "it is empty");
  assert.strictEqual(idProblem("x".repeat(129)), "it is 129 characters long (at most 128)");
});
