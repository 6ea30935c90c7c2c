import assert from "node:assert/strict";
import fc from "fast-check";
import { backoffSeconds, nextRunAt } from "./backoff.ts";

const BASE2 = { backoff_base: 2, backoff_max: 3600 };

Deno.test("backoffSeconds() waits 2, 4, 8 seconds after attempts 1, 2, 3 for base 2", () => {
  assert.deepStrictEqual([1, 2, 3].map((n) => backoffSeconds(n, BASE2)), [2, 4, 8]);
});

Deno.test("backoffSeconds() is capped by backoff_max", () => {
  assert.strictEqual(backoffSeconds(10, { backoff_base: 2, backoff_max: 100 }), 100);
  assert.strictEqual(backoffSeconds(6, { backoff_base: 2, backoff_max: 64 }), 64);
  assert.strictEqual(backoffSeconds(5, { backoff_base: 2, backoff_max: 64 }), 32);
});

Deno.test("backoffSeconds() caps huge attempt counts instead of overflowing to Infinity", () => {
  for (const attempts of [1024, 5000, 1e6, Number.MAX_SAFE_INTEGER]) {
    assert.strictEqual(backoffSeconds(attempts, BASE2), 3600);
    assert.strictEqual(backoffSeconds(attempts, { backoff_base: 1000, backoff_max: 31_536_000 }), 31_536_000);
  }
});

Deno.test("backoffSeconds() with base 1 waits one second every time", () => {
  assert.deepStrictEqual(
    [1, 2, 50, 5000].map((n) => backoffSeconds(n, { backoff_base: 1, backoff_max: 60 })),
    [
      1,
      1,
      1,
      1,
    ],
  );
});

Deno.test("nextRunAt() adds the backoff to now without touching now", () => {
  const now = new Date("2026-01-01T00:00:00.000Z");
  assert.strictEqual(nextRunAt(3, BASE2, now).toISOString(), "2026-01-01T00:00:08.000Z");
  assert.strictEqual(nextRunAt(99, BASE2, now).toISOString(), "2026-01-01T01:00:00.000Z");
  assert.strictEqual(now.toISOString(), "2026-01-01T00:00:00.000Z");
});

const arbConfig = fc.record({
  backoff_base: fc.double({ min: 1, max: 1000, noNaN: true }),
  backoff_max: fc.double({ min: 0.001, max: 31_536_000, noNaN: true }),
});

Deno.test("backoffSeconds() is non-decreasing in attempts and never above backoff_max", () => {
  fc.assert(
    fc.property(
      arbConfig,
      fc.integer({ min: 0, max: 100_000 }),
      fc.integer({ min: 0, max: 100_000 }),
      (config, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const dLo = backoffSeconds(lo, config);
        const dHi = backoffSeconds(hi, config);
        assert.ok(Number.isFinite(dLo) && Number.isFinite(dHi));
        assert.ok(dLo <= dHi, `${dLo} > ${dHi} for attempts ${lo} < ${hi}`);
        assert.ok(dHi <= config.backoff_max);
        assert.ok(dLo > 0);
      },
    ),
  );
});
