/** decidePrune() over live jobs: which finished jobs leave, the record it makes, and the counts and output counts after it. */
import assert from "node:assert/strict";
import { assertConsistent, at, claim, commit, decided, enqueue, finish, iso } from "../_testing.ts";
import { QueueState, zeroCounts } from "../state.ts";
import { decidePrune } from "./prune.ts";

/** c1 completed and d1 dead at second 10, c2 completed and d2 dead at second 100; p pending. */
function finishedState(): QueueState {
  const s = new QueueState();
  enqueue(s, [{ id: "c1", command: "x", queue: "q" }, { id: "d1", command: "x", max_retries: 0 }]);
  const [c1, d1] = claim(s, "w1", 2, at(10));
  finish(s, c1, { kind: "exited", code: 0 }, at(10));
  finish(s, d1, { kind: "exited", code: 1 }, at(10));
  enqueue(s, [{ id: "c2", command: "x" }, { id: "d2", command: "x", max_retries: 0, queue: "q" }], at(20));
  const [c2, d2] = claim(s, "w2", 2, at(100));
  finish(s, c2, { kind: "exited", code: 0 }, at(100));
  finish(s, d2, { kind: "exited", code: 1 }, at(100));
  enqueue(s, [{ id: "p", command: "x" }], at(100));
  return s;
}

Deno.test("decidePrune() removes the finished jobs older than each state's cutoff, by id, and takes their attempts off the output counts", () => {
  const s = finishedState();
  assert.deepEqual([...s.outputs!.keys()].sort(), ["w1-0.out", "w1-1.out", "w2-0.out", "w2-1.out"]);
  const d = decided(s, () => decidePrune(s, { completedBefore: iso(50), deadBefore: iso(50) }));
  assert.deepEqual(d.records, [{ type: "prune", ids: ["c1", "d1"] }]);
  assert.deepEqual({ ...d.result, legacy: [] }, {
    completed: 1,
    dead: 1,
    segments: 0,
    more: false,
    legacy: [],
  });
  commit(s, d, at(200));
  assert.deepEqual([...s.jobs.keys()].sort(), ["c2", "d2", "p"]);
  assert.deepEqual(s.counts, { ...zeroCounts(), completed: 1, dead: 1, pending: 1 });
  assert.deepEqual(s.queueCounts("q"), { ...zeroCounts(), dead: 1 });
  assert.deepEqual([...s.outputs!.keys()].sort(), ["w2-0.out", "w2-1.out"]);
  assertConsistent(s);
});

Deno.test("decidePrune() with one cutoff leaves the other state alone, and decides nothing when nothing is old", () => {
  const s = finishedState();
  const dead = decided(s, () => decidePrune(s, { completedBefore: null, deadBefore: iso(1000) }));
  assert.deepEqual(dead.records, [{ type: "prune", ids: ["d1", "d2"] }]);
  const none = decided(s, () => decidePrune(s, { completedBefore: iso(5), deadBefore: iso(5) }));
  assert.deepEqual(none.records, []);
  assert.equal(none.result.more, false);
});

Deno.test("decidePrune() takes at most `limit` jobs by id and says there are more", () => {
  const s = finishedState();
  const first = decided(
    s,
    () => decidePrune(s, { completedBefore: iso(1000), deadBefore: iso(1000), limit: 3 }),
  );
  assert.deepEqual(first.records, [{ type: "prune", ids: ["c1", "d1", "c2"] }]);
  assert.equal(first.result.more, true);
  commit(s, first, at(1000));
  const rest = decided(
    s,
    () => decidePrune(s, { completedBefore: iso(1000), deadBefore: iso(1000), limit: 3 }),
  );
  assert.deepEqual(rest.records, [{ type: "prune", ids: ["d2"] }]);
  assert.equal(rest.result.more, false);
  commit(s, rest, at(1000));
  assert.deepEqual(s.counts, { ...zeroCounts(), pending: 1 });
  assert.deepEqual([...s.outputs!], []);
  assertConsistent(s);
});
