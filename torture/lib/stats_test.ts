import assert from "node:assert/strict";
import { percentile, summary } from "./stats.ts";

Deno.test("percentile() takes the nearest rank", () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(xs, 50), 50);
  assert.equal(percentile(xs, 99), 99);
  assert.equal(percentile(xs, 100), 100);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
});

Deno.test("summary() sorts a copy and reports median, p99 and max", () => {
  const xs = [5, 1, 4, 2, 3];
  assert.deepEqual(summary(xs), { median: 3, p99: 5, max: 5 });
  assert.deepEqual(xs, [5, 1, 4, 2, 3]);
});
