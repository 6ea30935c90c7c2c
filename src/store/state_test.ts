import assert from "node:assert/strict";
import fc from "fast-check";
import { QueueError } from "../errors.ts";
import { type Job, JOB_STATES, newJob, type Outcome } from "../job.ts";
import {
  applyAll,
  archive,
  assertConsistent,
  at,
  BACKOFF,
  bruteForceClaim,
  claim,
  claimRequest,
  commit,
  decided,
  DEFAULTS,
  enqueue,
  finish,
  iso,
  olderJob,
  slotsOf,
  snapshot,
  stamp,
  states,
  T0,
} from "./_testing.ts";
import { type ClaimRequest, decideClaim } from "./decide/claim.ts";
import { decideEnqueue } from "./decide/enqueue.ts";
import { decideFinish, decideRenew, decideUnclaim } from "./decide/finish.ts";
import { decideCancel, decideDelete, decideKill, decideQueue, decideRetry } from "./decide/manage.ts";
import { decideScheduleAdd, decideTick } from "./decide/schedule.ts";
import type { LogRecord, RecordBody } from "./records.ts";
import { apply, ApplyError, NO_LIMIT, QueueState, zeroCounts } from "./state.ts";

function assertRefused(state: QueueState, record: LogRecord, pattern: RegExp): void {
  const before = snapshot(state);
  assert.throws(
    () => apply(state, record),
    (e: unknown) => e instanceof ApplyError && pattern.test(e.message),
  );
  assert.deepStrictEqual(snapshot(state), before, "a refused record leaves the state unchanged");
}

/** A state with jobs a (pending), b (processing by w1, token 2) and c (processing by w2, token 3). */
function threeJobs(): QueueState {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }, { id: "b", command: "x" }, { id: "c", command: "x", queue: "q" }]);
  applyAll(
    s,
    [{ type: "claim", worker: "w1", lease_until: iso(30), ids: ["b"], slots: slotsOf("w1", 1) }],
    at(1),
  );
  applyAll(s, [{ type: "claim", worker: "w2", lease_until: iso(30), ids: ["c"] }], at(1));
  return s;
}

function finishBody(
  id: string,
  worker: string | null,
  claim: number | undefined,
  to: "completed" | "failed" | "dead",
  attempt = 1,
): RecordBody {
  return {
    type: "finish",
    id,
    worker,
    attempt,
    ...(claim !== undefined ? { claim } : {}),
    to,
    exit_code: to === "completed" ? 0 : 1,
    error: to === "completed" ? null : "exit code 1",
    run_at: to === "failed" ? iso(100) : null,
    tail: "out",
  };
}

// ---- the empty state and the sequence

Deno.test("QueueState starts empty", () => {
  const s = new QueueState();
  assert.deepStrictEqual([s.seq, s.nextOrder, s.stopSeq, s.archived], [0, 1, 0, 0]);
  assert.deepStrictEqual(s.counts, zeroCounts());
  assert.deepStrictEqual(zeroCounts(), Object.fromEntries(JOB_STATES.map((st) => [st, 0])));
  assert.strictEqual(s.byQueue.size, 0);
  assert.deepStrictEqual(s.settings("any"), NO_LIMIT);
  assert.deepStrictEqual(s.queueCounts("any"), zeroCounts());
  assert.strictEqual(s.byQueue.size, 0, "asking for a queue's counts does not create it");
  assertConsistent(s);
});

Deno.test("apply() requires each record's seq to follow the last one", () => {
  const s = new QueueState();
  assertRefused(s, { type: "stop_workers", seq: 2, at: iso(0) }, /^sequence number 2 follows 0$/);
  assertRefused(s, { type: "stop_workers", seq: 0, at: iso(0) }, /sequence number 0 follows 0/);
  apply(s, { type: "stop_workers", seq: 1, at: iso(0) });
  assertRefused(s, { type: "stop_workers", seq: 1, at: iso(0) }, /sequence number 1 follows 1/);
  assertRefused(s, { type: "seal", next_gen: 2, seq: 3, at: iso(0) }, /sequence number 3 follows 1/);
  apply(s, { type: "seal", next_gen: 2, seq: 2, at: iso(0) });
  assert.strictEqual(s.seq, 2);
});

Deno.test("apply() refuses a record of an unknown type", () => {
  const s = new QueueState();
  assertRefused(
    s,
    { type: "explode", seq: 1, at: iso(0) } as unknown as LogRecord,
    /^unknown record type "explode"$/,
  );
});

// ---- enqueue

Deno.test("apply() enqueue makes pending jobs from the fields given, created at the record's time", () => {
  const s = new QueueState();
  applyAll(s, [{
    type: "enqueue",
    jobs: [
      { id: "a", command: "x", max_retries: 1, priority: 0, run_at: null, timeout: null, cwd: null, seq: 1 },
      {
        id: "b",
        command: "y",
        max_retries: 2,
        priority: 3,
        run_at: iso(60),
        timeout: 5,
        cwd: "/tmp",
        seq: 2,
        queue: "q",
        unique: "k",
        after: ["a"],
      },
    ],
  }], at(7));
  assert.deepStrictEqual(s.jobs.get("a"), newJob({ ...s.jobs.get("a")!, seq: 1 }, iso(7)));
  assert.strictEqual(s.jobs.get("a")!.created_at, iso(7));
  assert.deepStrictEqual([s.jobs.get("b")!.queue, s.jobs.get("b")!.unique], ["q", "k"]);
  assert.deepStrictEqual([s.seq, s.nextOrder], [1, 3]);
  assert.deepStrictEqual(s.queueCounts("default"), { ...zeroCounts(), pending: 1 });
  assert.deepStrictEqual(s.queueCounts("q"), { ...zeroCounts(), pending: 1 });
  assert.deepStrictEqual(s.uniques, new Map([["k", "b"]]));
  assert.deepStrictEqual(s.dependents, new Map([["a", new Set(["b"])]]));
  assertConsistent(s);
});

Deno.test("apply() enqueue of whole jobs (older logs) upgrades them: the default queue, no claim", () => {
  const s = new QueueState();
  const old = olderJob(5, iso(-9), { state: "failed", attempts: 1 });
  applyAll(s, [{ type: "enqueue", jobs: [old] }]);
  assert.deepStrictEqual(s.jobs.get("old"), { ...old, queue: "default", claim: null });
  assert.strictEqual(s.nextOrder, 6, "the enqueue order continues past the job's");
  assert.deepStrictEqual(s.counts, { ...zeroCounts(), failed: 1 });
  assertConsistent(s);
});

Deno.test("apply() refuses an enqueue that repeats an existing id, or names one id twice, and changes nothing", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }]);
  const fields = { command: "y", max_retries: 0, priority: 0, run_at: null, timeout: null, cwd: null };
  assertRefused(
    s,
    stamp(s, { type: "enqueue", jobs: [{ ...fields, id: "fresh", seq: 2 }, { ...fields, id: "a", seq: 3 }] }),
    /^record enqueue repeats job id "a"$/,
  );
  assertRefused(
    s,
    stamp(s, { type: "enqueue", jobs: [{ ...fields, id: "x", seq: 2 }, { ...fields, id: "x", seq: 3 }] }),
    /^record enqueue repeats job id "x"$/,
  );
  assert.ok(!s.jobs.has("fresh"));
});

// ---- claim and started

Deno.test("apply() claim moves jobs to processing under the record's seq, each in its slot's session", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }, { id: "b", command: "x", queue: "q" }]);
  applyAll(s, [{
    type: "claim",
    worker: "w1",
    lease_until: iso(30),
    ids: ["a", "b"],
    by: [555, 9],
    slots: slotsOf("w1", 2),
  }], at(1));
  for (const [i, id] of ["a", "b"].entries()) {
    const job = s.jobs.get(id)!;
    assert.deepStrictEqual(
      [
        job.state,
        job.worker,
        job.claim,
        job.attempts,
        job.lease_until,
        job.started_at,
        job.pid,
        job.pid_start,
      ],
      ["processing", "w1", 2, 1, iso(30), iso(1), 1000 + i, 7],
    );
    assert.deepStrictEqual(job.runs?.[0].out, [`w1-${i}.out`, 100 * i, null]);
  }
  assert.deepStrictEqual(s.counts, { ...zeroCounts(), processing: 2 });
  assert.deepStrictEqual(s.queueCounts("q"), { ...zeroCounts(), processing: 1 });
  assert.deepStrictEqual([...s.processing].sort(), ["a", "b"]);
  assert.strictEqual(s.waiting.size, 0);
  assertConsistent(s);
});

Deno.test("apply() claim without slots (an older log) leaves the session and output unknown", () => {
  const s = threeJobs();
  const c = s.jobs.get("c")!;
  assert.deepStrictEqual([c.claim, c.pid, c.pid_start, c.runs?.[0].out], [3, null, null, null]);
});

Deno.test("apply() refuses a claim naming a job that is not claimable, and applies none of it", () => {
  const s = threeJobs();
  const body = (ids: string[]): RecordBody => ({ type: "claim", worker: "w3", lease_until: iso(60), ids });
  assertRefused(s, stamp(s, body(["a", "b"])), /^Cannot apply claim to job "b": it is processing$/);
  assertRefused(s, stamp(s, body(["a", "ghost"])), /^record claim names unknown job "ghost"$/);
  assertRefused(s, stamp(s, body(["a", "a"])), /^Cannot apply claim to job "a": it is processing$/);
  assert.strictEqual(s.jobs.get("a")!.state, "pending");
});

Deno.test("apply() started records the pid of the holder's attempt and refuses anyone else", () => {
  const s = threeJobs();
  applyAll(s, [{ type: "started", worker: "w1", id: "b", attempt: 1, pid: 321, pid_start: 77 }], at(2));
  assert.deepStrictEqual([s.jobs.get("b")!.pid, s.jobs.get("b")!.pid_start], [321, 77]);
  assertRefused(
    s,
    stamp(s, { type: "started", worker: "w2", id: "b", attempt: 1, pid: 9, pid_start: null }),
    /^Cannot apply started to job "b": it is processing$/,
  );
  assertRefused(
    s,
    stamp(s, { type: "started", worker: "w1", id: "a", attempt: 1, pid: 9, pid_start: null }),
    /^Cannot apply started to job "a": it is pending$/,
  );
  assertConsistent(s);
});

// ---- renew

Deno.test("apply() renew without ids extends every lease the worker holds, and no other", () => {
  const s = threeJobs();
  applyAll(s, [{ type: "renew", worker: "w1", lease_until: iso(90) }], at(60));
  assert.strictEqual(s.jobs.get("b")!.lease_until, iso(90));
  assert.strictEqual(s.jobs.get("c")!.lease_until, iso(30));
  assert.strictEqual(s.jobs.get("a")!.lease_until, null);
  assert.strictEqual(s.seq, 4);
  assertConsistent(s);
});

Deno.test("apply() renew with ids extends only the named jobs the worker still holds", () => {
  const s = threeJobs();
  applyAll(s, [{ type: "renew", worker: "w2", lease_until: iso(90), ids: ["a", "b", "c", "ghost"] }], at(60));
  assert.strictEqual(s.jobs.get("c")!.lease_until, iso(90));
  assert.strictEqual(s.jobs.get("b")!.lease_until, iso(30));
  assert.strictEqual(s.jobs.get("a")!.state, "pending");
  assertConsistent(s);
});

Deno.test("apply() renew with claims extends only the attempts still held under those tokens", () => {
  const s = threeJobs();
  enqueue(s, [{ id: "d", command: "x" }]);
  applyAll(s, [{ type: "claim", worker: "w1", lease_until: iso(30), ids: ["d"] }]);
  const d = s.jobs.get("d")!;
  applyAll(s, [{
    type: "renew",
    worker: "w1",
    lease_until: iso(90),
    ids: ["b", "d"],
    claims: [2, d.claim! + 1],
  }]);
  assert.strictEqual(s.jobs.get("b")!.lease_until, iso(90));
  assert.strictEqual(s.jobs.get("d")!.lease_until, iso(30), "a stale token renews nothing");
});

// ---- finish

Deno.test("apply() finish under the job's token moves it to completed, failed or dead", () => {
  for (const to of ["completed", "failed", "dead"] as const) {
    const s = threeJobs();
    applyAll(s, [finishBody("c", "w2", 3, to)], at(5));
    const job = s.jobs.get("c")!;
    assert.deepStrictEqual(
      [job.state, job.worker, job.claim, job.lease_until, job.finished_at, job.output_tail],
      [to, null, null, null, iso(5), "out"],
    );
    assert.strictEqual(job.run_at, to === "failed" ? iso(100) : null);
    assert.deepStrictEqual(s.queueCounts("q"), { ...zeroCounts(), [to]: 1 });
    assert.strictEqual(s.counts.processing, 1);
    assert.strictEqual(s.waiting.has("c"), to === "failed");
    assert.ok(!s.processing.has("c"));
    assertConsistent(s);
  }
});

Deno.test("apply() finish with a null worker takes back a job from whichever worker holds it", () => {
  const s = threeJobs();
  applyAll(s, [{ ...finishBody("c", null, 3, "failed"), error: "worker lost" } as RecordBody], at(40));
  assert.deepStrictEqual([s.jobs.get("c")!.state, s.jobs.get("c")!.last_error], ["failed", "worker lost"]);
  assertConsistent(s);
});

Deno.test("apply() refuses a finish under another token, from another worker, or of a job not processing", () => {
  const s = threeJobs();
  assertRefused(
    s,
    stamp(s, finishBody("b", "w1", 3, "completed")),
    /^Cannot apply finish to job "b": it is processing$/,
  );
  assertRefused(s, stamp(s, finishBody("b", "w2", 2, "completed")), /^Cannot apply finish to job "b"/);
  assertRefused(
    s,
    stamp(s, finishBody("a", null, 1, "completed")),
    /^Cannot apply finish to job "a": it is pending$/,
  );
  assertRefused(s, stamp(s, finishBody("ghost", null, 1, "dead")), /unknown job "ghost"/);
});

Deno.test("apply() finish without a token (an older log) names the attempt by its number", () => {
  const s = threeJobs();
  assertRefused(
    s,
    stamp(s, finishBody("b", "w1", undefined, "completed", 2)),
    /^record finish names attempt 2 of job "b"$/,
  );
  applyAll(s, [finishBody("b", "w1", undefined, "completed", 1)]);
  assert.strictEqual(s.jobs.get("b")!.state, "completed");
});

Deno.test("apply() finish buries the dependents the record names, all or nothing", () => {
  const s = threeJobs();
  enqueue(s, [{ id: "d", command: "x", after: ["b"] }, { id: "e", command: "x", after: ["d"] }]);
  const body = (bury: Array<[string, string]>) =>
    ({ ...finishBody("b", "w1", 2, "dead"), bury }) as RecordBody;
  assertRefused(
    s,
    stamp(s, body([["d", 'dependency "b" is dead'], ["c", "x"]])),
    /^Cannot apply bury to job "c"/,
  );
  applyAll(s, [body([["d", 'dependency "b" is dead'], ["e", 'dependency "d" is dead']])], at(3));
  assert.deepStrictEqual(states(s), { a: "pending", b: "dead", c: "processing", d: "dead", e: "dead" });
  assert.deepStrictEqual([s.jobs.get("e")!.last_error, s.jobs.get("e")!.finished_at], [
    'dependency "d" is dead',
    iso(3),
  ]);
  assertConsistent(s);
});

// ---- unclaim, bury, kill, retry

Deno.test("apply() unclaim gives the attempt back under its token only", () => {
  const s = threeJobs();
  assertRefused(
    s,
    stamp(s, { type: "unclaim", id: "b", claim: 3 }),
    /^Cannot apply unclaim to job "b": it is processing$/,
  );
  assertRefused(
    s,
    stamp(s, { type: "unclaim", id: "a", claim: 2 }),
    /^Cannot apply unclaim to job "a": it is pending$/,
  );
  applyAll(s, [{ type: "unclaim", id: "b", claim: 2 }], at(2));
  const b = s.jobs.get("b")!;
  assert.deepStrictEqual([b.state, b.attempts, b.claim, b.worker, b.runs], [
    "pending",
    0,
    null,
    null,
    undefined,
  ]);
  assert.ok(s.waiting.has("b"));
  assertConsistent(s);
});

Deno.test("apply() bury sends waiting jobs to the DLQ, and refuses a running one whole", () => {
  const s = threeJobs();
  enqueue(s, [{ id: "d", command: "x" }]);
  assertRefused(
    s,
    stamp(s, { type: "bury", jobs: [["a", "cancelled"], ["b", "cancelled"]] }),
    /"b": it is processing$/,
  );
  applyAll(s, [{ type: "bury", jobs: [["a", "cancelled"], ["d", 'dependency "a" was cancelled']] }], at(4));
  assert.deepStrictEqual(states(s), { a: "dead", b: "processing", c: "processing", d: "dead" });
  assert.strictEqual(s.jobs.get("d")!.last_error, 'dependency "a" was cancelled');
  assert.strictEqual(s.counts.dead, 2);
  assertConsistent(s);
});

Deno.test("apply() kill marks the running attempt under its token, and refuses another token", () => {
  const s = threeJobs();
  assertRefused(
    s,
    stamp(s, { type: "kill", id: "b", claim: 3, reason: "killed" }),
    /^Cannot apply kill to job "b"/,
  );
  assertRefused(s, stamp(s, { type: "kill", id: "a", claim: 1, reason: "killed" }), /"a": it is pending$/);
  applyAll(s, [{ type: "kill", id: "b", claim: 2, reason: "killed by carol" }], at(2));
  assert.deepStrictEqual([s.jobs.get("b")!.kill, s.jobs.get("b")!.state], ["killed by carol", "processing"]);
  applyAll(s, [finishBody("b", "w1", 2, "dead")]);
  assert.ok(!("kill" in s.jobs.get("b")!));
  assertConsistent(s);
});

Deno.test("apply() retry moves dead jobs back to waiting, and refuses any other state whole", () => {
  const s = threeJobs();
  applyAll(s, [finishBody("b", "w1", 2, "dead")], at(5));
  assertRefused(
    s,
    stamp(s, { type: "retry", ids: ["b", "a"] }),
    /^Cannot apply retry to job "a": it is pending$/,
  );
  applyAll(s, [{ type: "retry", ids: ["b"] }], at(9));
  const b = s.jobs.get("b")!;
  assert.deepStrictEqual([b.state, b.attempts, b.run_at], ["pending", 0, null]);
  assert.ok(s.waiting.has("b"));
  assert.strictEqual(s.counts.dead, 0);
  assertConsistent(s);
});

// ---- delete

Deno.test("apply() delete removes live jobs, buries what it names, and refuses processing or unknown ones whole", () => {
  const s = threeJobs();
  enqueue(s, [{ id: "d", command: "x", after: ["a"] }]);
  applyAll(s, [finishBody("b", "w1", 2, "completed")], at(5));
  assertRefused(s, stamp(s, { type: "delete", ids: ["a", "c"] }), /^record delete names processing job "c"$/);
  assertRefused(s, stamp(s, { type: "delete", ids: ["a", "ghost"] }), /unknown job "ghost"/);
  applyAll(s, [{ type: "delete", ids: ["a", "b"], bury: [["d", 'dependency "a" was deleted']] }], at(6));
  assert.deepStrictEqual(states(s), { c: "processing", d: "dead" });
  assert.deepStrictEqual(s.counts, { ...zeroCounts(), processing: 1, dead: 1 });
  assert.strictEqual(s.nextOrder, 5, "deleting never reuses enqueue order");
  assertConsistent(s);
});

Deno.test("apply() delete of archived jobs tombstones them and takes them off the counts, per queue", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x", queue: "q" }, { id: "b", command: "x" }, { id: "c", command: "x" }]);
  for (const job of claim(s, "w1", 3)) finish(s, job, { kind: "exited", code: 0 });
  archive(s, ["a", "b", "c"]);
  s.nextSegment = 4;
  assertRefused(
    s,
    stamp(s, { type: "delete", ids: [], archived: ["a", "b", "c", "d"] }),
    /^record delete names 4 archived jobs of 3$/,
  );
  applyAll(s, [{ type: "delete", ids: [], archived: ["a"], archived_queues: { q: 1 } }]);
  assert.deepStrictEqual([s.archived, s.counts.completed, s.queueCounts("q").completed], [2, 2, 0]);
  assert.deepStrictEqual(s.tombstones, new Map([["a", 3]]));
  // before queues (0.2) every archived job was in the default queue
  applyAll(s, [{ type: "delete", ids: [], archived: ["b"] }]);
  assert.deepStrictEqual([s.archived, s.counts.completed, s.queueCounts("default").completed], [1, 1, 1]);
  assertConsistent(s);
});

// ---- queues, schedules, ticks, stop, seal

Deno.test("apply() queue changes the settings named and keeps the others; settings back at the defaults go", () => {
  const s = new QueueState();
  applyAll(s, [{ type: "queue", name: "uploads", concurrency: 2 }]);
  assert.deepStrictEqual(s.settings("uploads"), { concurrency: 2, paused: false });
  assert.deepStrictEqual(s.queueCounts("uploads"), zeroCounts());
  assert.ok(s.queues.has("uploads"));
  applyAll(s, [{ type: "queue", name: "uploads", paused: true }]);
  assert.deepStrictEqual(s.settings("uploads"), { concurrency: 2, paused: true });
  applyAll(s, [{ type: "queue", name: "uploads", concurrency: 0, paused: false }]);
  assert.deepStrictEqual(s.settings("uploads"), NO_LIMIT);
  assert.equal(s.queues.has("uploads"), false);
  assert.equal(s.byQueue.has("uploads"), false);
});

Deno.test("apply() schedule adds, replaces and removes a schedule; tick remembers its last tick", () => {
  const s = new QueueState();
  const sched = {
    name: "n",
    cron: "0 3 * * *",
    tz: "UTC",
    paused: false,
    job: { command: "x", max_retries: 0, priority: 0, timeout: null, cwd: null },
    created_at: iso(0),
    last_tick: null,
  };
  assertRefused(
    s,
    stamp(s, { type: "tick", name: "n", tick: iso(60) }),
    /^record tick names unknown schedule "n"$/,
  );
  applyAll(s, [{ type: "schedule", name: "n", schedule: sched }]);
  applyAll(s, [{ type: "tick", name: "n", tick: iso(60) }]);
  assert.deepStrictEqual(s.schedules.get("n"), { ...sched, last_tick: iso(60) });
  applyAll(s, [{ type: "schedule", name: "n", schedule: { ...sched, paused: true } }]);
  assert.strictEqual(s.schedules.get("n")!.paused, true);
  applyAll(s, [{ type: "schedule", name: "n", schedule: null }]);
  assert.strictEqual(s.schedules.size, 0);
});

Deno.test("apply() stop_workers remembers its seq, and seal only advances seq", () => {
  const s = threeJobs();
  const before = snapshot(s);
  applyAll(s, [{ type: "stop_workers" }]);
  assert.strictEqual(s.stopSeq, 4);
  applyAll(s, [{ type: "seal", next_gen: 2 }]);
  assert.deepStrictEqual([s.seq, s.stopSeq], [5, 4]);
  assert.deepStrictEqual({ ...snapshot(s), seq: 3, stopSeq: 0 }, before);
});

// ---- the maps kept beside the jobs

Deno.test("the unique keys map to their live holder through claims, ends, cancels, retries and deletes", () => {
  const s = new QueueState();
  s.uniques; // built now, then kept by the reducer
  enqueue(s, [
    { id: "a", command: "x", unique: "ka", max_retries: 0 },
    { id: "b", command: "x", unique: "kb" },
    { id: "c", command: "x", unique: "kc" },
  ]);
  const [a, b] = claim(s, "w1", 2);
  assert.deepStrictEqual(
    s.uniques,
    new Map([["ka", "a"], ["kb", "b"], ["kc", "c"]]),
    "processing holds its key",
  );
  finish(s, a, { kind: "exited", code: 1 });
  finish(s, b, { kind: "exited", code: 0 });
  commit(s, decideCancel(s, ["c"], T0));
  assert.deepStrictEqual(s.uniques, new Map(), "dead and completed jobs hold no key");
  commit(s, decideRetry(s, ["a"], T0));
  assert.deepStrictEqual(s.uniques, new Map([["ka", "a"]]), "a retried job holds its key again");
  commit(s, decideDelete(s, ["a"], ["pending"], T0));
  assert.deepStrictEqual(s.uniques, new Map());
  assertConsistent(s);
});

Deno.test("the dependents map lists each dependency's dependents, and loses a job when it is deleted", () => {
  const s = new QueueState();
  s.dependents; // built now, then kept by the reducer
  enqueue(s, [{ id: "a", command: "x" }, { id: "b", command: "x" }]);
  enqueue(s, [{ id: "c", command: "x", after: ["a", "b"] }, { id: "d", command: "x", after: ["a"] }]);
  assert.deepStrictEqual(s.dependents, new Map([["a", new Set(["c", "d"])], ["b", new Set(["c"])]]));
  commit(s, decideDelete(s, ["d"], ["pending"], T0));
  assert.deepStrictEqual(s.dependents.get("a"), new Set(["c"]));
  assertConsistent(s);
});

Deno.test("the runnable index takes a dependent once its last dependency completes, built before or after", () => {
  for (const early of [true, false]) {
    const s = new QueueState();
    if (early) s.runnable;
    enqueue(s, [{ id: "a", command: "x" }, { id: "b", command: "x" }]);
    enqueue(s, [{ id: "c", command: "x", after: ["a", "b"], priority: 5 }]);
    const [a, b] = claim(s, "w1", 2);
    finish(s, a, { kind: "exited", code: 0 });
    assert.deepStrictEqual(decideClaim(s, claimRequest("w1", 5), T0).result, [], "b has not completed yet");
    finish(s, b, { kind: "exited", code: 0 });
    assert.deepStrictEqual(decideClaim(s, claimRequest("w1", 5), T0).result.map((j) => j.id), ["c"]);
  }
});

Deno.test("untracked() drops the sets, maps and index, and they are built again the same", () => {
  const s = new QueueState();
  enqueue(s, [
    { id: "a", command: "x", unique: "k" },
    { id: "b", command: "x", after: ["a"] },
    { id: "c", command: "x", run_at: iso(5) },
  ]);
  claim(s, "w1", 1);
  const before = snapshot(s);
  const picks = decideClaim(s, claimRequest("w2", 5), at(10)).result;
  s.untracked();
  assert.deepStrictEqual(snapshot(s), before);
  assert.deepStrictEqual(decideClaim(s, claimRequest("w2", 5), at(10)).result, picks);
});

// ---- properties: any decided operations keep the state consistent, and the index right

type Op =
  | {
    k: "enqueue";
    specs: Array<{
      id: number | null;
      priority: number;
      max_retries: number;
      delay: number | null;
      queue: number;
      after: number[];
      unique: number | null;
    }>;
  }
  | { k: "claim"; worker: number; slots: number; queues: number[] | null }
  | { k: "started"; pick: number }
  | { k: "renew"; worker: number; legacy: boolean; stale: boolean }
  | { k: "finish"; pick: number; outcome: Outcome; rescuer: boolean; stale: boolean }
  | { k: "unclaim"; pick: number; stale: boolean }
  | { k: "kill"; pick: number }
  | { k: "cancel"; picks: number[]; anyState: boolean }
  | { k: "retry"; picks: number[]; all: boolean; anyState: boolean }
  | { k: "delete"; picks: number[]; anyState: boolean }
  | { k: "queue"; queue: number; concurrency: number; paused: boolean }
  | { k: "tick" }
  | { k: "reload" }
  | { k: "stop" }
  | { k: "seal" };

const QUEUES = ["default", "q1", "q2"];
const rarely = fc.integer({ min: 0, max: 3 }).map((n) => n === 0);

const arbOutcome: fc.Arbitrary<Outcome> = fc.oneof(
  fc.constant({ kind: "exited" as const, code: 0 }),
  fc.integer({ min: 0, max: 3 }).map((code) => ({ kind: "exited" as const, code })),
  fc.constant({ kind: "timeout" as const, after: 5 }),
  fc.constant({ kind: "lost" as const }),
);

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant("enqueue" as const),
      specs: fc.array(
        fc.record({
          id: fc.option(fc.integer({ min: 0, max: 15 }), { freq: 4 }),
          priority: fc.integer({ min: -1, max: 1 }),
          max_retries: fc.integer({ min: 0, max: 2 }),
          delay: fc.option(fc.integer({ min: 0, max: 10 }), { freq: 2 }),
          queue: fc.nat(2),
          after: fc.array(fc.nat(), { maxLength: 2 }),
          unique: fc.option(fc.nat(2), { freq: 3 }),
        }),
        { maxLength: 3 },
      ),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant("claim" as const),
      worker: fc.nat(2),
      slots: fc.integer({ min: 1, max: 3 }),
      queues: fc.option(fc.subarray([0, 1, 2]), { freq: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("started" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("renew" as const),
      worker: fc.nat(2),
      legacy: rarely,
      stale: rarely,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant("finish" as const),
      pick: fc.nat(),
      outcome: arbOutcome,
      rescuer: rarely,
      stale: rarely,
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("unclaim" as const), pick: fc.nat(), stale: rarely }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("kill" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("cancel" as const),
      picks: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }),
      anyState: rarely,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("retry" as const),
      picks: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }),
      all: fc.boolean(),
      anyState: rarely,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("delete" as const),
      picks: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }),
      anyState: rarely,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("queue" as const),
      queue: fc.nat(2),
      concurrency: fc.nat(2),
      paused: rarely,
    }),
  },
  { weight: 1, arbitrary: fc.constant({ k: "tick" as const }) },
  { weight: 1, arbitrary: fc.constant({ k: "reload" as const }) },
  { weight: 1, arbitrary: fc.constant({ k: "stop" as const }) },
  { weight: 1, arbitrary: fc.constant({ k: "seal" as const }) },
);

/** Operations, each after 0 to 8 seconds: the clock only moves forward. */
const arbRun = fc.array(fc.tuple(arbOp, fc.integer({ min: 0, max: 8 })), { minLength: 5, maxLength: 50 });

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A state whose sets, maps and index exist from the start, so that the reducer keeps them all. */
function trackedState(log: LogRecord[]): QueueState {
  const s = new QueueState();
  s.waiting;
  s.uniques;
  s.dependents;
  s.runnable;
  // a schedule whose ticks hold a unique key: a tick while its last job lives enqueues nothing
  const job = {
    command: "tick",
    max_retries: 0,
    priority: 0,
    timeout: null,
    cwd: null,
    queue: "q1",
    unique: "k0",
  };
  const schedule = {
    name: "s",
    cron: "* * * * *",
    tz: "UTC",
    paused: false,
    job,
    created_at: iso(0),
    last_tick: null,
  };
  commit(s, decideScheduleAdd(s, schedule), T0, log);
  return s;
}

/**
 * Runs `op` through its decision (or writes its record, for those only older versions write),
 * checks the decision left the state unchanged and that its result is what applying it made,
 * then applies it, appending its records to `log`.
 */
function step(state: QueueState, op: Op, now: Date, rand: () => number, log: LogRecord[]): void {
  const processing = () => [...state.processing].sort().map((id) => state.jobs.get(id)!);
  const pick = <T>(list: T[], n: number): T | undefined => list.length ? list[n % list.length] : undefined;
  const run = <T>(decide: () => { records: RecordBody[]; result: T }): T | undefined => {
    let d;
    try {
      d = decided(state, decide);
    } catch (e) {
      assert.ok(e instanceof QueueError, `a refusal is a QueueError: ${e}`);
      return undefined;
    }
    return commit(state, d, now, log);
  };
  const write = (body: RecordBody) => {
    const r = stamp(state, body, now);
    apply(state, r);
    log.push(r);
  };
  const assertApplied = (jobs: Array<Job | null> | undefined) => {
    for (const job of jobs ?? []) {
      if (job) assert.deepStrictEqual(state.jobs.get(job.id), job, "result = applied");
    }
  };
  switch (op.k) {
    case "enqueue": {
      const ids: string[] = [...state.jobs.keys()].sort();
      const specs = op.specs.map((s) => {
        const spec = {
          id: s.id === null ? undefined : `j${s.id}`,
          command: "true",
          priority: s.priority,
          max_retries: s.max_retries,
          queue: QUEUES[s.queue],
          run_at: s.delay === null ? null : new Date(now.getTime() + s.delay * 1000).toISOString(),
          after: s.after.map((n) => pick(ids, n)).filter((id) => id !== undefined),
          ...(s.unique === null ? {} : { unique: `k${s.unique}` }),
        };
        if (spec.id) ids.push(spec.id);
        return spec;
      });
      const results = run(() => decideEnqueue(state, specs, DEFAULTS, now, rand));
      return assertApplied(results?.map((r) => r.job));
    }
    case "claim": {
      const req: ClaimRequest = claimRequest(`w${op.worker}`, op.slots, {
        ...(op.queues ? { queues: op.queues.map((q) => QUEUES[q]) } : {}),
      });
      const expected = bruteForceClaim(state, req, now);
      const claimed = run(() => decideClaim(state, req, now))!;
      assert.deepStrictEqual(claimed.map((j) => j.id), expected, "the claim takes the best due jobs");
      return assertApplied(claimed);
    }
    case "started": {
      const job = pick(processing(), op.pick);
      if (job) {
        write({
          type: "started",
          worker: job.worker!,
          id: job.id,
          attempt: job.attempts,
          pid: 9,
          pid_start: 1,
        });
      }
      return;
    }
    case "renew": {
      const worker = `w${op.worker}`;
      if (op.legacy) {
        return write({ type: "renew", worker, lease_until: new Date(now.getTime() + 30_000).toISOString() });
      }
      const holds = processing().map((j): [string, number] => [j.id, j.claim! - (op.stale ? 1 : 0)]);
      run(() => decideRenew(state, worker, holds, 30, now));
      return;
    }
    case "finish": {
      const job = pick(processing(), op.pick);
      if (!job) return;
      const claim = op.stale ? job.claim! - 1 : job.claim;
      const req = {
        worker: op.rescuer ? null : job.worker,
        id: job.id,
        claim,
        outcome: op.outcome,
        tail: null,
        config: BACKOFF,
      };
      const done = run(() => decideFinish(state, req, now));
      if (op.stale) return assert.strictEqual(done, null, "a stale token ends nothing");
      const ok = op.outcome.kind === "exited" && op.outcome.code === 0;
      const to = ok
        ? "completed"
        : job.kill !== undefined || job.attempts > job.max_retries
        ? "dead"
        : "failed";
      assert.strictEqual(done?.state, to);
      return assertApplied([done!]);
    }
    case "unclaim": {
      const job = pick(processing(), op.pick);
      if (!job) return;
      const back = run(() => decideUnclaim(state, job.worker!, job.id, job.claim! - (op.stale ? 1 : 0), now));
      if (op.stale) return assert.strictEqual(back, null);
      return assertApplied([back!]);
    }
    case "kill": {
      const job = pick(processing(), op.pick);
      if (job) assertApplied(run(() => decideKill(state, [job.id], "killed", now)));
      return;
    }
    case "cancel":
    case "retry":
    case "delete": {
      const want = op.k === "cancel"
        ? ["pending", "failed"]
        : op.k === "retry"
        ? ["dead"]
        : ["pending", "failed", "completed", "dead"];
      const pool = [...state.jobs.values()].filter((j) => op.anyState || want.includes(j.state)).map((j) =>
        j.id
      ).sort();
      const ids = op.picks.map((n) => pick(pool, n)).filter((id) => id !== undefined);
      if (op.k === "cancel") {
        const cancelled = run(() => decideCancel(state, ids, now));
        return assertApplied(cancelled && [...cancelled.jobs, ...cancelled.dependents]);
      }
      if (op.k === "retry") return assertApplied(run(() => decideRetry(state, op.all ? "all" : ids, now)));
      const deleted = run(() => decideDelete(state, ids, ["pending", "failed", "completed", "dead"], now));
      for (const job of deleted?.jobs ?? []) assert.ok(!state.jobs.has(job.id));
      return;
    }
    case "queue": {
      const settings = run(() =>
        decideQueue(state, QUEUES[op.queue], { concurrency: op.concurrency, paused: op.paused })
      );
      assert.deepStrictEqual(state.settings(QUEUES[op.queue]), settings);
      return;
    }
    case "tick": {
      const tick = new Date(Math.floor(now.getTime() / 60_000) * 60_000).toISOString();
      const result = run(() => decideTick(state, "s", tick, 3, now));
      if (result?.job) assertApplied([result.job]);
      return;
    }
    case "reload":
      // as after reading a snapshot: sets, maps and index are built again when next asked for
      return state.untracked();
    case "stop":
      write({ type: "stop_workers" });
      return assert.strictEqual(state.stopSeq, state.seq);
    case "seal":
      return write({ type: "seal", next_gen: state.seq + 1 });
  }
}

Deno.test("property: counts, per-queue counts, sets, unique keys and dependents equal a recount after any decided operations", () => {
  fc.assert(
    fc.property(arbRun, fc.integer(), (ops, seed) => {
      const log: LogRecord[] = [];
      const state = trackedState(log);
      const rand = seeded(seed);
      let now = T0;
      for (const [op, dt] of ops) {
        now = new Date(now.getTime() + dt * 1000);
        step(state, op, now, rand, log);
        assert.strictEqual(state.seq, log.length, "every decided record applied, seq contiguous");
        assertConsistent(state);
      }
      // replaying the same records from scratch gives the same state: one reducer for both
      const replayed = new QueueState();
      for (const r of log) apply(replayed, r);
      assert.deepStrictEqual(snapshot(replayed), snapshot(state));
    }),
    { numRuns: 300 },
  );
});

Deno.test("property: decideClaim() takes what a brute-force scan of the waiting jobs takes, after any operations", () => {
  const arbRequest = fc.record({
    slots: fc.integer({ min: 1, max: 4 }),
    queues: fc.option(fc.subarray([0, 1, 2]), { freq: 2 }),
  });
  fc.assert(
    fc.property(
      arbRun,
      fc.array(arbRequest, { minLength: 1, maxLength: 3 }),
      fc.integer(),
      (ops, requests, seed) => {
        const log: LogRecord[] = [];
        const state = trackedState(log);
        const rand = seeded(seed);
        let now = T0;
        const check = (s: QueueState) => {
          for (const r of requests) {
            const req = claimRequest(
              "wx",
              r.slots,
              r.queues ? { queues: r.queues.map((q) => QUEUES[q]) } : {},
            );
            const picks = decided(s, () => decideClaim(s, req, now)).result.map((j) => j.id);
            assert.deepStrictEqual(picks, bruteForceClaim(s, req, now), JSON.stringify(req.queues));
          }
        };
        for (const [op, dt] of ops) {
          now = new Date(now.getTime() + dt * 1000);
          step(state, op, now, rand, log);
          check(state);
        }
        // an index built at once from the same jobs agrees too
        const fresh = new QueueState();
        for (const r of log) apply(fresh, r);
        check(fresh);
      },
    ),
    { numRuns: 300 },
  );
});
