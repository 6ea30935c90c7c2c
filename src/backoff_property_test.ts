/**
 * Properties of retry scheduling beyond backoff_test.ts, over every configuration config.ts
 * accepts (backoff_base 1..1000, backoff_max up to a year) and any attempt count a job can reach:
 * the delay is base^attempts until the cap, the retry time never lies before now, is never an
 * invalid date, and never comes earlier for a later attempt.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { backoffSeconds, nextRunAt } from "./backoff.ts";

const arbConfig = fc.record({
  backoff_base: fc.oneof(fc.constant(1), fc.double({ min: 1, max: 1000, noNaN: true })),
  backoff_max: fc.oneof(fc.constant(31_536_000), fc.double({ min: 0.001, max: 31_536_000, noNaN: true })),
});
const arbAttempts = fc.oneof(
  fc.integer({ min: 0, max: 40 }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);
const arbNow = fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(9999, 0, 1) }).map((ms) => new Date(ms));

Deno.test("property: backoffSeconds() is base^attempts, or backoff_max once that is smaller", () => {
  fc.assert(
    fc.property(arbConfig, fc.integer({ min: 0, max: 60 }), (config, attempts) => {
      const raw = config.backoff_base ** attempts;
      assert.strictEqual(backoffSeconds(attempts, config), Math.min(raw, config.backoff_max));
    }),
  );
});

Deno.test("property: nextRunAt() is now plus the delay: a valid date, never before now, never NaN", () => {
  fc.assert(
    fc.property(arbConfig, arbAttempts, arbNow, (config, attempts, now) => {
      const at = nextRunAt(attempts, config, now);
      assert.ok(!Number.isNaN(at.getTime()), "a valid date");
      assert.ok(at.getTime() >= now.getTime(), "never before now");
      assert.ok(at.getTime() - now.getTime() <= config.backoff_max * 1000 + 1, "never past the cap");
      assert.doesNotThrow(() => at.toISOString());
    }),
  );
});

Deno.test("property: a later attempt never retries sooner, from the same instant", () => {
  fc.assert(
    fc.property(arbConfig, arbAttempts, arbAttempts, arbNow, (config, a, b, now) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      assert.ok(nextRunAt(lo, config, now).getTime() <= nextRunAt(hi, config, now).getTime());
    }),
  );
});
