import assert from "node:assert/strict";
import fc from "fast-check";
import { OperationError } from "../errors.ts";
import { type Job, JOB_STATES, type JobState, type Outcome } from "../job.ts";
import { decideClaim, decideDelete, decideEnqueue, decideFinish, decideRetry } from "./decide.ts";
import type { Decision } from "./log.ts";
import type { JobSpec } from "./mod.ts";
import type { LogRecord, RecordBody } from "./records.ts";
import { apply, ApplyError, type Counts, QueueState, zeroCounts } from "./state.ts";

const T0 = new Date("2026-03-01T12:00:00.000Z");
const BACKOFF = { backoff_base: 2, backoff_max: 3600 };

function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

function iso(seconds: number): string {
  return at(seconds).toISOString();
}

/** The next record for `state`, stamped at `when`. */
function rec(state: QueueState, body: RecordBody, when = T0): LogRecord {
  return { ...body, seq: state.seq + 1, at: when.toISOString() } as LogRecord;
}

function commit<T>(state: QueueState, decision: Decision<T>, now: Date, log?: LogRecord[]): T {
  for (const body of decision.records) {
    const r = rec(state, body, now);
    apply(state, r);
    log?.push(r);
  }
  return decision.result;
}

function enqueue(state: QueueState, specs: JobSpec[], now = T0): Job[] {
  return commit(state, decideEnqueue(state, specs, 3, now), now);
}

/** Everything observable about a state, for "unchanged" comparisons. */
function snapshot(state: QueueState) {
  return {
    seq: state.seq,
    nextOrder: state.nextOrder,
    stopSeq: state.stopSeq,
    jobs: [...state.jobs.entries()].map(([id, job]) => [id, structuredClone(job)]),
    counts: { ...state.counts },
    waiting: [...state.waiting].sort(),
    processing: [...state.processing].sort(),
  };
}

function assertRefused(state: QueueState, record: LogRecord, pattern: RegExp): void {
  const before = snapshot(state);
  assert.throws(
    () => apply(state, record),
    (e: unknown) => e instanceof ApplyError && pattern.test(e.message),
  );
  assert.deepStrictEqual(snapshot(state), before, "a refused record leaves the state unchanged");
}

/** counts, `waiting` and `processing` agree with the jobs themselves. */
function assertConsistent(state: QueueState): void {
  const recount: Counts = zeroCounts();
  for (const job of state.jobs.values()) recount[job.state]++;
  assert.deepStrictEqual({ ...state.counts }, recount, "counts match a recount of the jobs");
  const idsIn = (...states: JobState[]) =>
    [...state.jobs.values()].filter((j) => states.includes(j.state)).map((j) => j.id).sort();
  assert.deepStrictEqual([...state.waiting].sort(), idsIn("pending", "failed"), "waiting = pending + failed");
  assert.deepStrictEqual([...state.processing].sort(), idsIn("processing"), "processing = processing jobs");
  for (const [id, job] of state.jobs) {
    assert.strictEqual(job.id, id);
    if (job.state === "processing") {
      assert.ok(job.worker !== null && job.lease_until !== null, `${id} is held by a worker`);
    } else {
      assert.ok(job.worker === null && job.lease_until === null, `${id} is not held`);
    }
    assert.ok(job.attempts >= 0 && job.attempts <= job.max_retries + 1, `${id} attempts ${job.attempts}`);
    assert.ok(
      job.seq >= 1 && job.seq < state.nextOrder,
      `${id} enqueue order ${job.seq} < ${state.nextOrder}`,
    );
  }
  const orders = [...state.jobs.values()].map((j) => j.seq);
  assert.strictEqual(new Set(orders).size, orders.length, "enqueue order is unique");
}

/** A state with jobs a (pending), b (processing by w1) and c (processing by w2). */
function threeJobs(): QueueState {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }, { id: "b", command: "x" }, { id: "c", command: "x" }]);
  apply(s, rec(s, { type: "claim", worker: "w1", lease_until: iso(30), ids: ["b"] }, at(1)));
  apply(s, rec(s, { type: "claim", worker: "w2", lease_until: iso(30), ids: ["c"] }, at(1)));
  return s;
}

function finishBody(id: string, worker: string | null, attempt: number, to: "completed" | "failed" | "dead") {
  return {
    type: "finish" as const,
    id,
    worker,
    attempt,
    to,
    exit_code: to === "completed" ? 0 : 1,
    error: to === "completed" ? null : "exit code 1",
    run_at: to === "failed" ? iso(100) : null,
    tail: "out",
  };
}

Deno.test("QueueState starts empty", () => {
  const s = new QueueState();
  assert.strictEqual(s.seq, 0);
  assert.strictEqual(s.nextOrder, 1);
  assert.strictEqual(s.stopSeq, 0);
  assert.deepStrictEqual(s.counts, zeroCounts());
  assert.deepStrictEqual(zeroCounts(), Object.fromEntries(JOB_STATES.map((st) => [st, 0])));
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

Deno.test("apply() enqueue adds pending jobs and advances the enqueue order", () => {
  const s = new QueueState();
  const jobs = enqueue(s, [{ id: "a", command: "x" }, { id: "b", command: "y" }]);
  assert.strictEqual(s.seq, 1);
  assert.strictEqual(s.nextOrder, 3);
  assert.deepStrictEqual(s.jobs.get("a"), jobs[0]);
  assert.deepStrictEqual(s.jobs.get("b"), jobs[1]);
  assert.strictEqual(s.counts.pending, 2);
  assertConsistent(s);
});

Deno.test("apply() refuses an enqueue that repeats an existing id, and changes nothing", () => {
  const s = new QueueState();
  const [a] = enqueue(s, [{ id: "a", command: "x" }]);
  const [fresh] = decideEnqueue(new QueueState(), [{ id: "fresh", command: "y" }], 3, T0).result;
  assertRefused(
    s,
    rec(s, { type: "enqueue", jobs: [{ ...fresh, seq: 2 }, { ...a, command: "other", seq: 3 }] }),
    /^record enqueue repeats job id "a"$/,
  );
  assert.strictEqual(s.jobs.get("a")!.command, "x");
  assert.ok(!s.jobs.has("fresh"));
});

Deno.test("apply() refuses an enqueue that names one id twice", () => {
  const s = new QueueState();
  const [x] = decideEnqueue(s, [{ id: "x", command: "y" }], 3, T0).result;
  assertRefused(s, rec(s, { type: "enqueue", jobs: [x, { ...x, seq: 2 }] }), /repeats job id "x"/);
});

Deno.test("apply() claim moves jobs from waiting to processing under the worker's lease", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }, { id: "b", command: "x" }]);
  apply(s, rec(s, { type: "claim", worker: "w1", lease_until: iso(30), ids: ["a", "b"] }, at(1)));
  for (const id of ["a", "b"]) {
    const job = s.jobs.get(id)!;
    assert.strictEqual(job.state, "processing");
    assert.strictEqual(job.worker, "w1");
    assert.strictEqual(job.attempts, 1);
    assert.strictEqual(job.lease_until, iso(30));
    assert.strictEqual(job.started_at, iso(1));
  }
  assert.deepStrictEqual(s.counts, { ...zeroCounts(), processing: 2 });
  assert.deepStrictEqual([...s.processing].sort(), ["a", "b"]);
  assert.strictEqual(s.waiting.size, 0);
  assertConsistent(s);
});

Deno.test("apply() refuses a claim naming a job that is not claimable, and applies none of it", () => {
  const s = threeJobs();
  assertRefused(
    s,
    rec(s, { type: "claim", worker: "w3", lease_until: iso(60), ids: ["a", "b"] }),
    /^Cannot apply claim to job "b": it is processing$/,
  );
  assertRefused(
    s,
    rec(s, { type: "claim", worker: "w3", lease_until: iso(60), ids: ["a", "ghost"] }),
    /^record claim names unknown job "ghost"$/,
  );
  assert.strictEqual(s.jobs.get("a")!.state, "pending");
});

Deno.test("apply() started records the pid of the holder's attempt and refuses anyone else", () => {
  const s = threeJobs();
  apply(s, rec(s, { type: "started", worker: "w1", id: "b", attempt: 1, pid: 321, pid_start: 77 }, at(2)));
  assert.strictEqual(s.jobs.get("b")!.pid, 321);
  assert.strictEqual(s.jobs.get("b")!.pid_start, 77);
  assertRefused(
    s,
    rec(s, { type: "started", worker: "w2", id: "b", attempt: 1, pid: 9, pid_start: null }),
    /no longer held by worker w2/,
  );
  assertRefused(
    s,
    rec(s, { type: "started", worker: "w1", id: "a", attempt: 1, pid: 9, pid_start: null }),
    /^Cannot apply started to job "a"/,
  );
  assertConsistent(s);
});

Deno.test("apply() renew without ids extends every lease the worker holds, and no other", () => {
  const s = threeJobs();
  apply(s, rec(s, { type: "renew", worker: "w1", lease_until: iso(90) }, at(60)));
  assert.strictEqual(s.jobs.get("b")!.lease_until, iso(90));
  assert.strictEqual(s.jobs.get("c")!.lease_until, iso(30));
  assert.strictEqual(s.jobs.get("a")!.lease_until, null);
  assert.strictEqual(s.seq, 4);
  assertConsistent(s);
});

Deno.test("apply() renew with ids extends only the named jobs the worker still holds", () => {
  const s = threeJobs();
  apply(
    s,
    rec(s, { type: "renew", worker: "w2", lease_until: iso(90), ids: ["a", "b", "c", "ghost"] }, at(60)),
  );
  assert.strictEqual(s.jobs.get("c")!.lease_until, iso(90));
  assert.strictEqual(s.jobs.get("b")!.lease_until, iso(30));
  assert.strictEqual(s.jobs.get("a")!.state, "pending");
  assertConsistent(s);
});

Deno.test("apply() finish moves a processing job to completed, failed or dead", () => {
  for (const to of ["completed", "failed", "dead"] as const) {
    const s = threeJobs();
    apply(s, rec(s, finishBody("b", "w1", 1, to), at(5)));
    const job = s.jobs.get("b")!;
    assert.strictEqual(job.state, to);
    assert.strictEqual(job.worker, null);
    assert.strictEqual(job.lease_until, null);
    assert.strictEqual(job.finished_at, iso(5));
    assert.strictEqual(job.output_tail, "out");
    assert.strictEqual(job.run_at, to === "failed" ? iso(100) : iso(0));
    assert.strictEqual(s.counts[to], 1);
    assert.strictEqual(s.counts.processing, 1);
    assert.strictEqual(s.waiting.has("b"), to === "failed");
    assert.ok(!s.processing.has("b"));
    assertConsistent(s);
  }
});

Deno.test("apply() finish with a null worker takes back a job from whichever worker holds it", () => {
  const s = threeJobs();
  apply(s, rec(s, { ...finishBody("c", null, 1, "failed"), error: "worker lost" }, at(40)));
  assert.strictEqual(s.jobs.get("c")!.state, "failed");
  assert.strictEqual(s.jobs.get("c")!.last_error, "worker lost");
  assertConsistent(s);
});

Deno.test("apply() refuses a finish from a worker that no longer holds the job", () => {
  const s = threeJobs();
  assertRefused(
    s,
    rec(s, finishBody("b", "w2", 1, "completed")),
    /no longer held by worker w2 \(attempt 1\)/,
  );
  assertRefused(
    s,
    rec(s, finishBody("b", "w1", 2, "completed")),
    /no longer held by worker w1 \(attempt 2\)/,
  );
  assertRefused(
    s,
    rec(s, finishBody("a", null, 0, "completed")),
    /^Cannot apply finish to job "a": it is pending$/,
  );
  assertRefused(s, rec(s, finishBody("ghost", null, 1, "dead")), /unknown job "ghost"/);
});

Deno.test("apply() retry moves dead jobs back to waiting, and refuses any other state whole", () => {
  const s = threeJobs();
  apply(s, rec(s, finishBody("b", "w1", 1, "dead"), at(5)));
  assertRefused(
    s,
    rec(s, { type: "retry", ids: ["b", "a"] }),
    /^Cannot apply retry to job "a": it is pending$/,
  );
  assert.strictEqual(s.jobs.get("b")!.state, "dead");
  apply(s, rec(s, { type: "retry", ids: ["b"] }, at(9)));
  const b = s.jobs.get("b")!;
  assert.strictEqual(b.state, "pending");
  assert.strictEqual(b.attempts, 0);
  assert.strictEqual(b.run_at, iso(9));
  assert.ok(s.waiting.has("b"));
  assert.strictEqual(s.counts.dead, 0);
  assertConsistent(s);
});

Deno.test("apply() delete removes jobs, and refuses processing or unknown ones whole", () => {
  const s = threeJobs();
  apply(s, rec(s, finishBody("b", "w1", 1, "completed"), at(5)));
  assertRefused(s, rec(s, { type: "delete", ids: ["a", "c"] }), /^record delete names processing job "c"$/);
  assertRefused(s, rec(s, { type: "delete", ids: ["a", "ghost"] }), /unknown job "ghost"/);
  apply(s, rec(s, { type: "delete", ids: ["a", "b"] }, at(6)));
  assert.deepStrictEqual([...s.jobs.keys()], ["c"]);
  assert.deepStrictEqual(s.counts, { ...zeroCounts(), processing: 1 });
  assert.strictEqual(s.waiting.size, 0);
  assert.strictEqual(s.nextOrder, 4, "deleting never reuses enqueue order");
  assertConsistent(s);
});

Deno.test("apply() stop_workers remembers its seq, and seal only advances seq", () => {
  const s = threeJobs();
  const before = snapshot(s);
  apply(s, rec(s, { type: "stop_workers" }));
  assert.strictEqual(s.stopSeq, 4);
  apply(s, rec(s, { type: "seal", next_gen: 2 }));
  assert.strictEqual(s.seq, 5);
  assert.strictEqual(s.stopSeq, 4);
  assert.deepStrictEqual({ ...snapshot(s), seq: 3, stopSeq: 0 }, before);
});

Deno.test("apply() refuses a record of an unknown type", () => {
  const s = new QueueState();
  assertRefused(
    s,
    { type: "explode", seq: 1, at: iso(0) } as unknown as LogRecord,
    /^unknown record type "explode"$/,
  );
});

// ---- property: any sequence of decided operations keeps the state consistent ----

type Op =
  | {
    k: "enqueue";
    specs: Array<{ id: number | null; priority: number; max_retries: number; delay: number }>;
  }
  | { k: "claim"; worker: number; slots: number; lease: number }
  | { k: "started"; pick: number }
  | { k: "renew"; worker: number; named: boolean }
  | { k: "finish"; pick: number; outcome: Outcome; rescuer: boolean; stale: boolean }
  | { k: "retry"; picks: number[]; all: boolean; anyState: boolean }
  | { k: "delete"; picks: number[]; anyState: boolean }
  | { k: "stop" }
  | { k: "seal" };

const arbOutcome: fc.Arbitrary<Outcome> = fc.oneof(
  fc.integer({ min: 0, max: 3 }).map((code) => ({ kind: "exited" as const, code })),
  fc.constant({ kind: "exited" as const, code: 0 }),
  fc.constant({ kind: "timeout" as const, after: 5 }),
  fc.constant({ kind: "lost" as const }),
  fc.constant({ kind: "killed" as const, signal: "SIGTERM" }),
);

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant("enqueue" as const),
      specs: fc.array(
        fc.record({
          id: fc.option(fc.integer({ min: 0, max: 11 }), { freq: 4 }),
          priority: fc.integer({ min: -1, max: 1 }),
          max_retries: fc.integer({ min: 0, max: 2 }),
          delay: fc.integer({ min: 0, max: 10 }),
        }),
        { maxLength: 3 },
      ),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant("claim" as const),
      worker: fc.integer({ min: 0, max: 2 }),
      slots: fc.integer({ min: 1, max: 3 }),
      lease: fc.integer({ min: 1, max: 60 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("started" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("renew" as const),
      worker: fc.integer({ min: 0, max: 2 }),
      named: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant("finish" as const),
      pick: fc.nat(),
      outcome: arbOutcome,
      rescuer: fc.boolean(),
      stale: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("retry" as const),
      picks: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }),
      all: fc.boolean(),
      anyState: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("delete" as const),
      picks: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }),
      anyState: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ k: "stop" as const }) },
  { weight: 1, arbitrary: fc.constant({ k: "seal" as const }) },
);

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Runs `op` through its decide function (or builds its record) and applies the result. */
function step(state: QueueState, op: Op, now: Date, rand: () => number, log: LogRecord[]): void {
  const processing = () => [...state.jobs.values()].filter((j) => j.state === "processing");
  const pick = <T>(list: T[], n: number): T | undefined => list.length ? list[n % list.length] : undefined;
  const tryDecide = (fn: () => void) => {
    const before = snapshot(state);
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof OperationError, `decide threw ${e}`);
      assert.deepStrictEqual(snapshot(state), before, "a refused decision writes nothing");
    }
  };
  switch (op.k) {
    case "enqueue":
      return tryDecide(() => {
        const specs = op.specs.map((s) => ({
          id: s.id === null ? undefined : `j${s.id}`,
          command: "true",
          priority: s.priority,
          max_retries: s.max_retries,
          run_at: new Date(now.getTime() + s.delay * 1000).toISOString(),
        }));
        const added = commit(state, decideEnqueue(state, specs, 3, now, rand), now, log);
        for (const job of added) assert.deepStrictEqual(state.jobs.get(job.id), job);
      });
    case "claim": {
      const worker = `w${op.worker}`;
      const claimed = commit(state, decideClaim(state, worker, op.slots, op.lease, now), now, log);
      assert.ok(claimed.length <= op.slots);
      for (const job of claimed) {
        const actual = state.jobs.get(job.id)!;
        assert.deepStrictEqual(
          [actual.state, actual.attempts, actual.worker, actual.lease_until],
          [job.state, job.attempts, job.worker, job.lease_until],
        );
      }
      return;
    }
    case "started": {
      const job = pick(processing(), op.pick);
      if (!job) return;
      const r = rec(state, {
        type: "started",
        worker: job.worker!,
        id: job.id,
        attempt: job.attempts,
        pid: 1000 + op.pick % 1000,
        pid_start: null,
      }, now);
      apply(state, r);
      log.push(r);
      return;
    }
    case "renew": {
      const worker = `w${op.worker}`;
      const held = processing().filter((j) => j.worker === worker).map((j) => j.id);
      const others = processing().filter((j) => j.worker !== worker);
      const lease_until = new Date(now.getTime() + 30_000).toISOString();
      const r = rec(state, { type: "renew", worker, lease_until, ...(op.named ? { ids: held } : {}) }, now);
      apply(state, r);
      log.push(r);
      for (const id of held) assert.strictEqual(state.jobs.get(id)!.lease_until, lease_until);
      for (const j of others) assert.strictEqual(state.jobs.get(j.id)!.lease_until, j.lease_until);
      return;
    }
    case "finish": {
      const job = pick(processing(), op.pick);
      if (!job) return;
      const d = decideFinish(state, {
        worker: op.rescuer ? null : job.worker,
        id: job.id,
        attempt: op.stale ? job.attempts - 1 : job.attempts,
        outcome: op.outcome,
        tail: null,
        config: BACKOFF,
      }, now);
      if (op.stale) {
        assert.deepStrictEqual(d, { records: [], result: null });
        return;
      }
      const done = commit(state, d, now, log)!;
      assert.deepStrictEqual(state.jobs.get(job.id), done, "decideFinish's result is the applied job");
      const ok = op.outcome.kind === "exited" && op.outcome.code === 0;
      assert.strictEqual(done.state, ok ? "completed" : job.attempts > job.max_retries ? "dead" : "failed");
      return;
    }
    case "retry":
      return tryDecide(() => {
        // mostly dead jobs; sometimes any job, which decideRetry must refuse unless it is dead
        const pool = op.anyState
          ? [...state.jobs.values()]
          : [...state.jobs.values()].filter((j) => j.state === "dead");
        const ids = op.all ? "all" : op.picks.map((n) => pick(pool, n)?.id).filter((id) => id !== undefined);
        const retried = commit(state, decideRetry(state, ids), now, log);
        for (const job of retried) assert.strictEqual(state.jobs.get(job.id)!.state, "pending");
      });
    case "delete":
      return tryDecide(() => {
        const pool = op.anyState
          ? [...state.jobs.values()]
          : [...state.jobs.values()].filter((j) => j.state !== "processing");
        const ids = op.picks.map((n) => pick(pool, n)?.id).filter((id) => id !== undefined);
        const deleted = commit(
          state,
          decideDelete(state, ids, ["pending", "failed", "completed", "dead"]),
          now,
          log,
        );
        for (const job of deleted) assert.ok(!state.jobs.has(job.id));
      });
    case "stop": {
      const r = rec(state, { type: "stop_workers" }, now);
      apply(state, r);
      log.push(r);
      assert.strictEqual(state.stopSeq, state.seq);
      return;
    }
    case "seal": {
      const r = rec(state, { type: "seal", next_gen: state.seq + 1 }, now);
      apply(state, r);
      log.push(r);
      return;
    }
  }
}

Deno.test("apply() keeps counts, waiting and processing equal to a recount after any decided operations", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(arbOp, fc.integer({ min: 0, max: 20 })), {
        minLength: 5,
        maxLength: 60,
        size: "max",
      }),
      fc.integer(),
      (ops, seed) => {
        const state = new QueueState();
        const log: LogRecord[] = [];
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
      },
    ),
    { numRuns: 300 },
  );
});
