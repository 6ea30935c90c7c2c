import assert from "node:assert/strict";
import type { Segment } from "./archive.ts";
import { planMerge } from "./archive_write.ts";

Deno.test("planMerge() merges the newest four segments of one tier, and never past the size limit", () => {
  const seg = (n: number, bytes: number): Segment => ({
    n,
    jobs: 1,
    bytes,
    index_bytes: 1,
    min_seq: n,
    max_seq: n,
    min_id: "a",
    max_id: "b",
  });
  assert.equal(planMerge([seg(1, 1000), seg(2, 1000), seg(3, 1000)]), null);
  assert.deepEqual(planMerge([seg(1, 1000), seg(2, 1000), seg(3, 1000), seg(4, 1000)])?.map((s) => s.n), [
    1,
    2,
    3,
    4,
  ]);
  assert.equal(planMerge([seg(1, 10_000_000), seg(2, 1000), seg(3, 1000), seg(4, 1000)]), null);
  assert.deepEqual(
    planMerge([seg(1, 10_000_000), seg(2, 1000), seg(3, 1000), seg(4, 1000), seg(5, 900)])?.map((s) => s.n),
    [2, 3, 4, 5],
  );
  assert.equal(planMerge([1, 2, 3, 4].map((n) => seg(n, 12_000_000))), null, "48 MB is past the limit");
});
