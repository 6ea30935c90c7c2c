import assert from "node:assert/strict";
import { JobNotFoundError, JobStateError, UsageError } from "../../errors.ts";
import type { Job, JobState } from "../../job.ts";
import {
  applyAll,
  archive,
  assertConsistent,
  at,
  claim,
  commit,
  decided,
  enqueue,
  finish,
  iso,
  jobIn,
  refusesWith,
  snapshot,
  states,
  T0,
} from "../_testing.ts";
import { QueueState, zeroCounts } from "../state.ts";
import {
  decideCancel,
  decideDelete,
  decideKill,
  decideQueue,
  decideRetry,
  decideStop,
  dependentsOf,
} from "./manage.ts";

const ALL: readonly JobState[] = ["pending", "failed", "completed", "dead"];
const ids = (jobs: Job[]) => jobs.map((j) => j.id);

/** A state holding one job of each kind: p pending, run processing (w1), f failed, c completed, d dead. */
function mixedState(): QueueState {
  const s = new QueueState();
  enqueue(s, [
    { id: "p", command: "true" },
    { id: "run", command: "sleep 9" },
    { id: "f", command: "false" },
    { id: "c", command: "true" },
    { id: "d", command: "false", max_retries: 0 },
  ]);
  commit(s, {
    records: [{ type: "claim", worker: "w1", lease_until: iso(30), ids: ["run", "f", "c", "d"] }],
    result: null,
  }, at(1));
  const job = (id: string) => s.jobs.get(id)!;
  finish(s, job("f"), { kind: "exited", code: 1 }, at(2));
  finish(s, job("c"), { kind: "exited", code: 0 }, at(2));
  finish(s, job("d"), { kind: "exited", code: 1 }, at(2));
  assert.deepStrictEqual(states(s), {
    p: "pending",
    run: "processing",
    f: "failed",
    c: "completed",
    d: "dead",
  });
  return s;
}

/** Applies a decision whose result lists jobs as they now are, and checks they are. */
function commitJobs(
  state: QueueState,
  decision: { records: unknown[]; result: Job[] },
  now: Date = T0,
): Job[] {
  const jobs = commit(state, decision as Parameters<typeof commit<Job[]>>[1], now);
  for (const job of jobs) {
    assert.deepStrictEqual(state.jobs.get(job.id), job, "the result is the job as applied");
  }
  assertConsistent(state);
  return jobs;
}

// ---- decideRetry

Deno.test("decideRetry() moves the named dead jobs back to pending, once each, due as soon as possible", () => {
  const s = mixedState();
  const d = decided(s, () => decideRetry(s, ["d", "d"], at(20)));
  assert.deepStrictEqual(d.records, [{ type: "retry", ids: ["d"] }]);
  const [job] = commitJobs(s, d, at(20));
  assert.deepStrictEqual([job.id, job.state, job.attempts, job.run_at, job.last_error], [
    "d",
    "pending",
    0,
    null,
    null,
  ]);
});

Deno.test("decideRetry() refuses a job that is not dead, or does not exist, and the whole batch with it", () => {
  const s = mixedState();
  for (const [id, state] of [["p", "pending"], ["run", "processing"], ["f", "failed"], ["c", "completed"]]) {
    refusesWith(
      () => decided(s, () => decideRetry(s, ["d", id], T0)),
      JobStateError,
      new RegExp(`^Cannot retry job "${id}": it is ${state}, not dead \\(only DLQ jobs can be retried\\)$`),
    );
  }
  refusesWith(
    () => decideRetry(s, ["ghost"], T0),
    JobNotFoundError,
    /^Cannot retry job "ghost": no such job$/,
  );
  archive(s, ["c"]);
  refusesWith(
    () => decideRetry(s, ["c"], T0),
    JobStateError,
    /^Cannot retry job "c": it is completed, not dead/,
  );
});

Deno.test("decideRetry('all') retries every dead job, and writes nothing when there is none", () => {
  const s = mixedState();
  enqueue(s, [{ id: "d2", command: "false", max_retries: 0 }], at(3));
  claim(s, "w2", 5, at(3));
  finish(s, s.jobs.get("d2")!, { kind: "exited", code: 9 }, at(4));
  const d = decided(s, () => decideRetry(s, "all", at(5)));
  assert.deepStrictEqual(d.records, [{ type: "retry", ids: ["d", "d2"] }]);
  commitJobs(s, d, at(5));
  assert.strictEqual(s.counts.dead, 0);
  assert.deepStrictEqual(decideRetry(s, "all", at(6)), { records: [], result: [] });
  assert.deepStrictEqual(decideRetry(s, [], at(6)), { records: [], result: [] });
});

Deno.test("decideRetry() refuses a job whose dependency is dead unless both are retried together", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x", max_retries: 0 }]);
  enqueue(s, [{ id: "b", command: "x", after: ["a"] }]);
  finish(s, claim(s, "w1", 1)[0], { kind: "exited", code: 1 });
  assert.deepStrictEqual(states(s), { a: "dead", b: "dead" });
  refusesWith(
    () => decided(s, () => decideRetry(s, ["b"], at(1))),
    JobStateError,
    /^Cannot retry job "b": its dependency "a" is dead; retry it first, or both together$/,
  );
  const jobs = commitJobs(s, decided(s, () => decideRetry(s, ["b", "a"], at(1))), at(1));
  assert.deepStrictEqual(ids(jobs), ["b", "a"]);
  assert.deepStrictEqual(ids(claim(s, "w1", 5, at(1))), ["a"], "b waits for a again");
});

Deno.test("decideRetry() refuses a job whose dependency no longer exists, and accepts an archived one", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "gone", command: "x" }, { id: "kept", command: "x" }]);
  enqueue(s, [
    { id: "b", command: "x", after: ["gone"], max_retries: 0 },
    { id: "c", command: "x", after: ["kept"], max_retries: 0 },
  ]);
  const [gone, kept] = claim(s, "w1", 2);
  finish(s, gone, { kind: "exited", code: 0 });
  finish(s, kept, { kind: "exited", code: 0 });
  for (const job of claim(s, "w1", 2)) finish(s, job, { kind: "exited", code: 1 });
  assert.deepStrictEqual(states(s), { gone: "completed", kept: "completed", b: "dead", c: "dead" });
  commit(s, decideDelete(s, ["gone"], ALL, T0));
  archive(s, ["kept"]);
  refusesWith(
    () => decideRetry(s, ["b"], T0),
    JobStateError,
    /^Cannot retry job "b": its dependency "gone" no longer exists$/,
  );
  assert.deepStrictEqual(ids(commitJobs(s, decided(s, () => decideRetry(s, ["c"], T0)))), ["c"]);
});

Deno.test("decideRetry() refuses a dead job whose unique key a live job holds now", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x", unique: "sync", max_retries: 0 }]);
  finish(s, claim(s, "w1", 1)[0], { kind: "exited", code: 1 });
  enqueue(s, [{ id: "b", command: "x", unique: "sync" }]);
  assert.deepStrictEqual(states(s), { a: "dead", b: "pending" });
  refusesWith(
    () => decided(s, () => decideRetry(s, ["a"], T0)),
    JobStateError,
    /^Cannot retry job "a": its unique key "sync" is held by live job "b"$/,
  );
  refusesWith(() => decideRetry(s, "all", T0), JobStateError, /"sync" is held by live job "b"/);
  // once b is no longer live, a may hold the key again
  commit(s, decideCancel(s, ["b"], T0));
  refusesWith(
    () => decideRetry(s, "all", T0),
    JobStateError,
    /^Cannot retry job "b": its unique key "sync" is also held by job "a", retried with it$/,
  );
  commitJobs(s, decided(s, () => decideRetry(s, ["a"], T0)));
  assert.deepStrictEqual(s.uniques, new Map([["sync", "a"]]));
});

// ---- decideDelete

Deno.test("decideDelete() deletes jobs in the allowed states, once each, and returns them as they were", () => {
  const s = mixedState();
  const c = s.jobs.get("c")!;
  const d = decided(s, () => decideDelete(s, ["c", "d", "c"], ["completed", "dead"], T0));
  assert.deepStrictEqual(d.records, [{ type: "delete", ids: ["c", "d"] }]);
  assert.deepStrictEqual(d.result.jobs[0], c);
  assert.deepStrictEqual(d.result.dependents, []);
  commit(s, d, at(9));
  assert.deepStrictEqual([...s.jobs.keys()].sort(), ["f", "p", "run"]);
  assert.strictEqual(s.find("c"), undefined);
  assertConsistent(s);
  assert.deepStrictEqual(decideDelete(s, [], ["pending"], T0), {
    records: [],
    result: { jobs: [], dependents: [] },
  });
});

Deno.test("decideDelete() refuses a processing job, even when processing is allowed, and the whole batch", () => {
  const s = mixedState();
  for (
    const [allowed, ids] of [[ALL, ["p", "run"]], [["processing"], ["run"]]] as Array<[JobState[], string[]]>
  ) {
    refusesWith(
      () => decided(s, () => decideDelete(s, ids, allowed, T0)),
      JobStateError,
      /^Cannot delete job "run": it is processing; wait for it to finish, or kill it$/,
    );
  }
  assert.ok(s.jobs.has("p"));
});

Deno.test("decideDelete() refuses jobs outside the allowed states, and unknown ids", () => {
  const s = mixedState();
  refusesWith(
    () => decideDelete(s, ["c", "p"], ["completed", "dead"], T0),
    JobStateError,
    /^Cannot delete job "p": it is pending, not completed or dead$/,
  );
  refusesWith(
    () => decideDelete(s, ["ghost"], ["pending"], T0),
    JobNotFoundError,
    /^Cannot delete job "ghost": no such job$/,
  );
});

Deno.test("decideDelete() of archived jobs tombstones them and takes them off the counts of their queues", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x", queue: "q" }, { id: "b", command: "x" }, {
    id: "c",
    command: "x",
    queue: "q",
  }]);
  for (const job of claim(s, "w1", 3)) finish(s, job, { kind: "exited", code: 0 });
  archive(s, ["a", "b", "c"]);
  assert.deepStrictEqual([s.archived, s.counts.completed, s.queueCounts("q").completed], [3, 3, 2]);
  const d = decided(s, () => decideDelete(s, ["a", "b"], ["completed"], T0));
  assert.deepStrictEqual(d.records, [{
    type: "delete",
    ids: [],
    archived: ["a", "b"],
    archived_queues: { q: 1, default: 1 },
    // the attempts leaving each output file with them: the state cannot read the archive
    outs: { "w1-0.out": 1, "w1-1.out": 1 },
  }]);
  assert.deepStrictEqual(ids(d.result.jobs), ["a", "b"]);
  assert.deepStrictEqual([...s.outputs!], [["w1-0.out", 1], ["w1-1.out", 1], ["w1-2.out", 1]]);
  commit(s, d);
  assert.deepStrictEqual([...s.outputs!], [["w1-2.out", 1]], "only c's attempt is left");
  assert.deepStrictEqual([s.archived, s.counts.completed], [1, 1]);
  assert.deepStrictEqual(s.queueCounts("q"), { ...zeroCounts(), completed: 1 });
  assert.deepStrictEqual(s.queueCounts("default"), zeroCounts());
  assert.deepStrictEqual([s.find("a"), s.find("b"), s.find("c")?.id], [undefined, undefined, "c"]);
  assertConsistent(s);
});

Deno.test("decideDelete() sends the waiting dependents of deleted waiting jobs to the DLQ, unless deleted too", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }, { id: "x", command: "x" }]);
  enqueue(s, [
    { id: "b", command: "x", after: ["a"] },
    { id: "c", command: "x", after: ["b"] },
    { id: "y", command: "x", after: ["x"] },
  ]);
  const d = decided(s, () => decideDelete(s, ["a", "y", "x"], ALL, T0));
  assert.deepStrictEqual(d.records, [{
    type: "delete",
    ids: ["a", "y", "x"],
    bury: [["b", 'dependency "a" was deleted'], ["c", 'dependency "b" is dead']],
  }]);
  assert.deepStrictEqual(
    d.result.dependents.map((j) => [j.id, j.state, j.last_error]),
    [["b", "dead", 'dependency "a" was deleted'], ["c", "dead", 'dependency "b" is dead']],
    "the dependents it sent to the DLQ, as they are after it",
  );
  commit(s, d);
  assert.deepStrictEqual(d.result.dependents[0], s.jobs.get("b"));
  assert.deepStrictEqual(states(s), { b: "dead", c: "dead" });
  assertConsistent(s);
});

Deno.test("decideDelete() of a completed dependency leaves its dependents waiting: their dependency completed", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }]);
  enqueue(s, [{ id: "b", command: "x", after: ["a"], queue: "paused" }]);
  commit(s, decideQueue(s, "paused", { paused: true }));
  finish(s, claim(s, "w1", 1)[0], { kind: "exited", code: 0 });
  const d = decided(s, () => decideDelete(s, ["a"], ["completed"], T0));
  assert.deepStrictEqual(d.records, [{ type: "delete", ids: ["a"] }]);
  commit(s, d);
  assert.deepStrictEqual(states(s), { b: "pending" }, "as when a was archived before the delete");
  commit(s, decideQueue(s, "paused", { paused: false }));
  assert.deepStrictEqual(ids(claim(s, "w1", 1)), ["b"]);
});

// ---- decideCancel

Deno.test("decideCancel() sends pending and failed jobs to the DLQ as cancelled", () => {
  const s = mixedState();
  const d = decided(s, () => decideCancel(s, ["p", "f", "p"], at(7)));
  assert.deepStrictEqual(d.records, [{ type: "bury", jobs: [["p", "cancelled"], ["f", "cancelled"]] }]);
  assert.deepStrictEqual(d.result.dependents, []);
  const jobs = commitJobs(s, { records: d.records, result: d.result.jobs }, at(7));
  assert.deepStrictEqual(jobs.map((j) => [j.id, j.state, j.last_error, j.finished_at]), [
    ["p", "dead", "cancelled", iso(7)],
    ["f", "dead", "cancelled", iso(7)],
  ]);
  assert.strictEqual(s.jobs.get("f")!.attempts, 1, "the attempts it ran stay counted");
  assert.deepStrictEqual(decideCancel(s, [], T0), { records: [], result: { jobs: [], dependents: [] } });
});

Deno.test("decideCancel() takes the jobs depending on a cancelled one with it, each listed once", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }]);
  enqueue(s, [{ id: "b", command: "x", after: ["a"] }, { id: "c", command: "x", after: ["a"] }]);
  enqueue(s, [{ id: "d", command: "x", after: ["b"] }]);
  const d = decided(s, () => decideCancel(s, ["a", "c"], T0));
  assert.deepStrictEqual(d.records, [{
    type: "bury",
    jobs: [["a", "cancelled"], ["c", "cancelled"], ["b", 'dependency "a" was cancelled'], [
      "d",
      'dependency "b" is dead',
    ]],
  }]);
  assert.deepStrictEqual(ids(commitJobs(s, { records: d.records, result: d.result.jobs })), ["a", "c"]);
  assert.deepStrictEqual(states(s), { a: "dead", b: "dead", c: "dead", d: "dead" });
  // the dependents it sent to the DLQ are returned too, as applied
  assert.deepStrictEqual(d.result.dependents.map((j) => [j.id, j.last_error]), [
    ["b", 'dependency "a" was cancelled'],
    ["d", 'dependency "b" is dead'],
  ]);
  for (const job of d.result.dependents) assert.deepStrictEqual(s.jobs.get(job.id), job);
});

Deno.test("dependentsOf() lists the waiting jobs that depend on the ids, directly or not, each once, as they are", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }, { id: "z", command: "x" }]);
  enqueue(s, [{ id: "b", command: "x", after: ["a"] }, { id: "c", command: "x", after: ["a", "z"] }]);
  enqueue(s, [{ id: "d", command: "x", after: ["b", "c"] }, { id: "e", command: "x", after: ["z"] }]);
  assert.deepStrictEqual(ids(dependentsOf(s, ["a"])), ["b", "c", "d"]);
  assert.deepStrictEqual(ids(dependentsOf(s, ["z", "a", "z"])), ["c", "e", "b", "d"]);
  assert.deepStrictEqual(ids(dependentsOf(s, ["d", "nope"])), []);
  assert.deepStrictEqual(dependentsOf(s, ["a"])[0], s.jobs.get("b"));
  // a dependent no longer waiting is not listed: b cancelled (and d with it)
  commit(s, decideCancel(s, ["b"], T0));
  assert.deepStrictEqual(ids(dependentsOf(s, ["a"])), ["c"]);
});

Deno.test("decideCancel() refuses a job that does not wait, naming its state, and unknown ids", () => {
  const s = mixedState();
  refusesWith(
    () => decided(s, () => decideCancel(s, ["p", "run"], T0)),
    JobStateError,
    /^Cannot cancel job "run": it is processing \(use kill to stop a running job\)$/,
  );
  refusesWith(() => decideCancel(s, ["c"], T0), JobStateError, /^Cannot cancel job "c": it is completed$/);
  refusesWith(() => decideCancel(s, ["d"], T0), JobStateError, /^Cannot cancel job "d": it is dead$/);
  refusesWith(() => decideCancel(s, ["zz"], T0), JobNotFoundError, /^Cannot cancel job "zz": no such job$/);
});

// ---- decideKill

Deno.test("decideKill() asks the holder of each running attempt to kill it, under its token", () => {
  const s = mixedState();
  const run = s.jobs.get("run")!;
  const d = decided(s, () => decideKill(s, ["run", "run"], "killed by alice", at(3)));
  assert.deepStrictEqual(d.records, [{
    type: "kill",
    id: "run",
    claim: run.claim,
    reason: "killed by alice",
  }]);
  const [job] = commitJobs(s, d, at(3));
  assert.deepStrictEqual(job, { ...run, kill: "killed by alice", updated_at: iso(3) });
});

Deno.test("decideKill() of a job already asked records nothing more and returns it as it is", () => {
  const s = mixedState();
  commit(s, decideKill(s, ["run"], "first", T0));
  const asked = s.jobs.get("run")!;
  assert.deepStrictEqual(decided(s, () => decideKill(s, ["run"], "second", at(1))), {
    records: [],
    result: [asked],
  });
});

Deno.test("decideKill() refuses a job that is not running, with a hint for a waiting one", () => {
  const s = mixedState();
  for (const [id, state] of [["p", "pending"], ["f", "failed"]]) {
    refusesWith(
      () => decided(s, () => decideKill(s, ["run", id], "killed", T0)),
      JobStateError,
      new RegExp(`^Cannot kill job "${id}": it is ${state} \\(use cancel for a job that waits\\)$`),
    );
  }
  refusesWith(
    () => decideKill(s, ["c"], "killed", T0),
    JobStateError,
    /^Cannot kill job "c": it is completed$/,
  );
  refusesWith(
    () => decideKill(s, ["zz"], "killed", T0),
    JobNotFoundError,
    /^Cannot kill job "zz": no such job$/,
  );
});

Deno.test("decideKill() refuses an attempt claimed by a version without tokens", () => {
  const s = new QueueState();
  const old = jobIn("old", 1, "processing", { attempts: 1, worker: "w0", lease_until: iso(30) });
  applyAll(s, [{ type: "enqueue", jobs: [old] }]);
  refusesWith(
    () => decideKill(s, ["old"], "killed", T0),
    JobStateError,
    /^Cannot kill job "old": it was claimed by an older queuectl; stop that worker$/,
  );
});

// ---- decideQueue and decideStop

Deno.test("decideQueue() records only the settings changed, and returns the queue's settings as they become", () => {
  const s = new QueueState();
  const d = decided(s, () => decideQueue(s, "uploads", { concurrency: 2 }));
  assert.deepStrictEqual(d, {
    records: [{ type: "queue", name: "uploads", concurrency: 2 }],
    result: { concurrency: 2, paused: false },
  });
  commit(s, d);
  const p = decided(s, () => decideQueue(s, "uploads", { paused: true }));
  assert.deepStrictEqual(p.records, [{ type: "queue", name: "uploads", paused: true }]);
  commit(s, p);
  assert.deepStrictEqual(s.settings("uploads"), p.result);
  assert.deepStrictEqual(p.result, { concurrency: 2, paused: true });
});

Deno.test("decideQueue() writes nothing when the settings would not change, a queue no job names included", () => {
  const s = new QueueState();
  assert.deepStrictEqual(decideQueue(s, "fresh", { paused: false }), {
    records: [],
    result: { concurrency: 0, paused: false },
  });
  commit(s, decideQueue(s, "fresh", { paused: true }));
  assert.deepStrictEqual(decideQueue(s, "fresh", { paused: true, concurrency: 0 }).records, []);
});

Deno.test("a queue's settings set back to the defaults are not kept in the state", () => {
  const s = new QueueState();
  commit(s, decideQueue(s, "typo", { paused: true, concurrency: 3 }));
  assert.deepStrictEqual([...s.queues.keys()], ["typo"]);
  commit(s, decideQueue(s, "typo", { paused: false }));
  assert.deepStrictEqual([...s.queues.keys()], ["typo"], "a limit is still set");
  commit(s, decideQueue(s, "typo", { concurrency: 0 }));
  assert.deepStrictEqual([...s.queues.keys()], []);
  assert.equal(s.byQueue.has("typo"), false);
});

Deno.test("decideQueue() refuses a concurrency that is not a whole number of at least 0", () => {
  const s = new QueueState();
  for (const concurrency of [-1, 1.5, NaN, Infinity]) {
    const before = snapshot(s);
    refusesWith(
      () => decideQueue(s, "q", { concurrency }),
      UsageError,
      new RegExp(`^Invalid concurrency ${concurrency}: it must be a whole number, 0 for no limit$`),
    );
    assert.deepStrictEqual(snapshot(s), before);
  }
});

Deno.test("decideStop() records a stop request whose seq it returns", () => {
  const s = mixedState();
  const d = decided(s, () => decideStop(s));
  assert.deepStrictEqual(d.records, [{ type: "stop_workers" }]);
  commit(s, d);
  assert.strictEqual(s.stopSeq, d.result);
  assert.strictEqual(s.seq, d.result);
});
