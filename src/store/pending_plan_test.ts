import assert from "node:assert/strict";
import type { PendingSegment } from "./pending.ts";
import { type Consumption, NOTHING_CONSUMED } from "./pending_consumption.ts";
import { MAX_EXCEPTIONS, PENDING_REWRITE_LIMIT_BYTES, planPendingWork } from "./pending_plan.ts";

const MB = 1024 * 1024;

/** A segment of `jobs` jobs in one list, `bytes` long. */
function seg(n: number, jobs: number, bytes: number): PendingSegment {
  return {
    n,
    jobs,
    bytes,
    index_bytes: 1,
    order_bytes: 1,
    min_seq: n,
    max_seq: n,
    min_id: "a",
    max_id: "b",
    now: "2026-11-23T13:00:00.000Z",
    lists: [{ queue: "default", kind: "due", first: 0, count: jobs }],
  };
}

const prefix = (p: number, exceptions: number[] = []): Consumption[] => [{ prefix: p, exceptions }];
const ns = (groups: PendingSegment[][]) => groups.map((g) => g.map((s) => s.n));

Deno.test("planPendingWork() drops used-up segments and rewrites those more than half consumed", () => {
  const segments = [seg(1, 100, 40_000), seg(2, 100, 40_000), seg(3, 100, 40_000)];
  const plan = planPendingWork(segments, new Map([[1, prefix(100)], [2, prefix(51)], [3, prefix(50)]]));
  assert.deepEqual(plan.drop.map((s) => s.n), [1]);
  assert.deepEqual(ns(plan.rewrite), [[2]]);
  assert.deepEqual(planPendingWork(segments, new Map()), { drop: [], rewrite: [] });
});

Deno.test("planPendingWork() rewrites a segment with too many exceptions, those first", () => {
  const many = Array.from({ length: MAX_EXCEPTIONS + 1 }, (_, i) => 2 * i + 1);
  const segments = [seg(1, 10_000, 4 * MB), seg(2, 1000, 400_000)];
  const plan = planPendingWork(segments, new Map([[1, prefix(0, many)], [2, prefix(900)]]));
  assert.deepEqual(ns(plan.rewrite), [[1], [2]]);
  assert.deepEqual(ns(planPendingWork(segments, new Map([[1, prefix(0, many.slice(1))]])).rewrite), []);
});

Deno.test("planPendingWork() merges the four newest segments of a tier, smallest tier first", () => {
  // tier by live bytes: 40 kB is tier 0; 1 MB tier 2
  const small = [1, 2, 3, 4, 5].map((n) => seg(n, 100, 40_000));
  const big = [6, 7, 8].map((n) => seg(n, 100, MB));
  assert.deepEqual(ns(planPendingWork([...small, ...big], new Map()).rewrite), [[2, 3, 4, 5]]);
  // consumption shrinks a segment's live size, and so its tier
  const c = new Map([[6, prefix(97)]]);
  assert.deepEqual(ns(planPendingWork([...small.slice(0, 3), ...big], c).rewrite), [[1, 2, 3, 6]]);
  assert.deepEqual(ns(planPendingWork(small.slice(0, 3), new Map()).rewrite), []);
  // eight of a tier: two merges
  const eight = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => seg(n, 100, 40_000));
  assert.deepEqual(ns(planPendingWork(eight, new Map()).rewrite), [[5, 6, 7, 8], [1, 2, 3, 4]]);
});

Deno.test("planPendingWork() keeps one plan's rewriting under its limit, leaving the rest for the next", () => {
  // a huge segment 60% consumed is too big to rewrite: it waits until it is smaller or used up
  const huge = seg(1, 1_000_000, 450 * MB);
  assert.deepEqual(planPendingWork([huge], new Map([[1, prefix(600_000)]])).rewrite, []);
  assert.deepEqual(ns(planPendingWork([huge], new Map([[1, prefix(950_000)]])).rewrite), [[1]]);
  // three segments over half consumed, 12 MB live each: two fit the 32 MB limit
  const three = [1, 2, 3].map((n) => seg(n, 1000, 48 * MB));
  const c = new Map(three.map((s) => [s.n, prefix(750)]));
  const plan = planPendingWork(three, c);
  assert.equal(plan.rewrite.length, 2);
  const rewritten = plan.rewrite.flat().reduce((sum, s) => sum + s.bytes / 4, 0);
  assert.ok(rewritten <= PENDING_REWRITE_LIMIT_BYTES);
  assert.deepEqual(planPendingWork(three, c, { limit: 12 * MB }).rewrite.length, 1);
  assert.equal(planPendingWork(three, new Map([[1, [NOTHING_CONSUMED]]])).rewrite.length, 0);
});

Deno.test("planPendingWork() rewrites a segment whose scheduled list has all come due, once it has", () => {
  const scheduled = {
    ...seg(1, 100, 40_000),
    lists: [
      { queue: "default", kind: "due" as const, first: 0, count: 60 },
      {
        queue: "default",
        kind: "scheduled" as const,
        first: 60,
        count: 40,
        first_run_at: "2026-11-23T14:00:00.000Z",
        last_run_at: "2026-11-23T15:00:00.000Z",
      },
    ],
  };
  const plan = (now: string, c = new Map<number, Consumption[]>()) =>
    ns(planPendingWork([scheduled], c, { now: new Date(now) }).rewrite);
  assert.deepEqual(plan("2026-11-23T14:30:00.000Z"), []);
  assert.deepEqual(plan("2026-11-23T15:00:00.000Z"), [[1]]);
  assert.deepEqual(
    ns(planPendingWork([scheduled], new Map()).rewrite),
    [],
    "without a time, nothing comes due",
  );
  // all of that list consumed already: nothing to move
  assert.deepEqual(
    plan("2026-11-23T16:00:00.000Z", new Map([[1, [NOTHING_CONSUMED, { prefix: 40, exceptions: [] }]]])),
    [],
  );
});
