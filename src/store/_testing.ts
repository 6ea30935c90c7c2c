/**
 * Helpers for the unit tests of the store's pure core (state_test.ts, decide/*_test.ts): states
 * built by applying records the way the log does, decisions committed, checked to leave the
 * state they were given unchanged, and a state compared with a recount of its own jobs.
 */
import assert from "node:assert/strict";
import type { BackoffConfig } from "../backoff.ts";
import {
  claimsBefore,
  isDue,
  isLive,
  isWaiting,
  type Job,
  type JobState,
  newJob,
  type Outcome,
} from "../job.ts";
import { type ClaimRequest, decideClaim } from "./decide/claim.ts";
import { decideEnqueue } from "./decide/enqueue.ts";
import { decideFinish } from "./decide/finish.ts";
import type { Decision } from "./log.ts";
import type { JobSpec } from "./mod.ts";
import type { ClaimSlot, LogRecord, RecordBody } from "./records.ts";
import { apply, type Counts, type QueueState, zeroCounts } from "./state.ts";

export const T0 = new Date("2026-03-01T12:00:00.000Z");
export const BACKOFF: BackoffConfig = { backoff_base: 2, backoff_max: 3600 };
export const DEFAULTS = { max_retries: 3 };

/** `seconds` after T0. */
export function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

export function iso(seconds: number): string {
  return at(seconds).toISOString();
}

/** Job `id` (command "x", no retries, due as soon as possible, created at T0), number `seq`, in `state`, `extra` over it. */
export function jobIn(id: string, seq: number, state: JobState, extra: Partial<Job> = {}): Job {
  const fields = {
    id,
    command: "x",
    max_retries: 0,
    priority: 0,
    run_at: null,
    timeout: null,
    cwd: null,
    seq,
  };
  return { ...newJob(fields, iso(0)), state, ...extra };
}

/**
 * A whole job as an enqueue record of a version before queues and claim tokens carried it: no
 * `queue`, no `claim`. Job "old" (command "x", 3 retries, due at iso(0)), number `seq`, created at
 * `created`, with `fields` over it.
 */
export function olderJob(seq: number, created: string, fields: Partial<Job>): Job {
  const { queue: _q, claim: _c, ...old } = {
    ...newJob({
      id: "old",
      command: "x",
      max_retries: 3,
      priority: 0,
      run_at: iso(0),
      timeout: null,
      cwd: null,
      seq,
    }, created),
    ...fields,
  };
  return old as Job;
}

/** `body` as the next record of `state`, written at `when`. */
export function stamp(state: QueueState, body: RecordBody, when: Date = T0): LogRecord {
  return { ...body, seq: state.seq + 1, at: when.toISOString() } as LogRecord;
}

/** Applies `bodies` in turn, each as the next record, written at `when`. */
export function applyAll(state: QueueState, bodies: RecordBody[], when: Date = T0): void {
  for (const body of bodies) apply(state, stamp(state, body, when));
}

/** Applies a decision's records as the log does (stamped `now`), appending them to `log` if given. */
export function commit<T>(state: QueueState, decision: Decision<T>, now: Date = T0, log?: LogRecord[]): T {
  for (const body of decision.records) {
    const rec = stamp(state, body, now);
    apply(state, rec);
    log?.push(rec);
  }
  return decision.result;
}

/** Everything observable about a state, deeply copied: two states are equal when these are. */
export function snapshot(state: QueueState) {
  const sorted = <V>(map: Map<string, V>) =>
    [...map.entries()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  return structuredClone({
    seq: state.seq,
    nextOrder: state.nextOrder,
    stopSeq: state.stopSeq,
    archived: state.archived,
    jobs: sorted(state.jobs),
    counts: state.counts,
    byQueue: sorted(state.byQueue),
    queues: sorted(state.queues),
    schedules: sorted(state.schedules),
    waiting: [...state.waiting].sort(),
    processing: [...state.processing].sort(),
    uniques: sorted(state.uniques),
    dependents: waitingDependents(state),
    tombstones: sorted(state.tombstones),
  });
}

/**
 * Runs a decision and asserts it left `state` as it found it (a refusal included); returns it.
 * The decision's records are not applied.
 */
export function decided<T>(state: QueueState, decide: () => Decision<T>): Decision<T> {
  const before = snapshot(state);
  try {
    return decide();
  } finally {
    assert.deepStrictEqual(snapshot(state), before, "a decision does not change the state it was given");
  }
}

export function enqueue(state: QueueState, specs: JobSpec[], now: Date = T0): Job[] {
  return commit(state, decideEnqueue(state, specs, DEFAULTS, now), now).map((r) => r.job);
}

/** `n` slots of `worker`, each with a session (pid 1000 + i, started at 7) and an output file. */
export function slotsOf(worker: string, n: number): ClaimSlot[] {
  return Array.from({ length: n }, (_, i) => ({ sid: [1000 + i, 7], out: [`${worker}-${i}.out`, 100 * i] }));
}

export function claimRequest(worker: string, slots: number, extra: Partial<ClaimRequest> = {}): ClaimRequest {
  return { worker, slots: slotsOf(worker, slots), leaseSeconds: 30, ...extra };
}

export function claim(
  state: QueueState,
  worker: string,
  slots: number,
  now: Date = T0,
  extra: Partial<ClaimRequest> = {},
): Job[] {
  return commit(state, decideClaim(state, claimRequest(worker, slots, extra), now), now);
}

/** Ends the attempt `job` holds (as claimed) with `outcome`; `worker` null is a rescuer's take-back. */
export function finish(
  state: QueueState,
  job: Job,
  outcome: Outcome,
  now: Date = T0,
  worker: string | null = job.worker,
): Job | null {
  return commit(
    state,
    decideFinish(state, { worker, id: job.id, claim: job.claim, outcome, tail: null, config: BACKOFF }, now),
    now,
  );
}

/** Asserts `fn` throws an error of `type` whose message matches `pattern`. */
export function refusesWith(
  fn: () => unknown,
  type: abstract new (...a: never[]) => Error,
  pattern: RegExp,
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected a ${type.name}, got ${e}`);
    assert.match(e.message, pattern);
    return true;
  });
}

/** The states of the live jobs, by id: a compact picture for assertions. */
export function states(state: QueueState): Record<string, JobState> {
  return Object.fromEntries([...state.jobs.values()].map((j) => [j.id, j.state]));
}

/** The dependents map's waiting jobs (what it must hold; it may hold others that ended since). */
function waitingDependents(state: QueueState): Array<[string, string[]]> {
  const waiting = (id: string) => {
    const job = state.jobs.get(id);
    return job !== undefined && isWaiting(job.state);
  };
  return [...state.dependents]
    .map(([dep, ids]): [string, string[]] => [dep, [...ids].filter(waiting).sort()])
    .filter(([, ids]) => ids.length > 0)
    .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Asserts that everything `state` keeps besides its jobs agrees with a recount of them: counts
 * (in all and per queue, archived jobs included), the waiting and processing sets, the unique-key
 * holders and the dependents; and that each job is shaped as its state requires.
 */
export function assertConsistent(state: QueueState): void {
  const jobs = [...state.jobs.values()];
  const archived = state.archived > 0 && state.archiveView ? [...state.archiveView.jobs()] : [];
  assert.strictEqual(archived.length, state.archived, "the archive holds as many jobs as counted");
  const recount: Counts = zeroCounts();
  const perQueue = new Map<string, Counts>();
  for (const job of [...jobs, ...archived]) {
    recount[job.state]++;
    if (!perQueue.has(job.queue)) perQueue.set(job.queue, zeroCounts());
    perQueue.get(job.queue)![job.state]++;
  }
  assert.deepStrictEqual({ ...state.counts }, recount, "counts match a recount of the jobs");
  for (const queue of new Set([...state.byQueue.keys(), ...perQueue.keys()])) {
    assert.deepStrictEqual(
      { ...state.queueCounts(queue) },
      perQueue.get(queue) ?? zeroCounts(),
      `the counts of queue "${queue}" match a recount`,
    );
  }
  const idsWhere = (keep: (j: Job) => boolean) => jobs.filter(keep).map((j) => j.id).sort();
  assert.deepStrictEqual(
    [...state.waiting].sort(),
    idsWhere((j) => isWaiting(j.state)),
    "waiting = pending + failed",
  );
  assert.deepStrictEqual([...state.processing].sort(), idsWhere((j) => j.state === "processing"));

  const holders = new Map<string, string[]>();
  for (const job of jobs) {
    if (job.unique !== undefined && isLive(job.state)) {
      holders.set(job.unique, [...holders.get(job.unique) ?? [], job.id]);
    }
  }
  for (const [key, ids] of holders) {
    assert.strictEqual(ids.length, 1, `one live job holds key "${key}": ${ids}`);
  }
  assert.deepStrictEqual(
    new Map([...state.uniques].sort()),
    new Map([...holders].map(([key, ids]): [string, string] => [key, ids[0]]).sort()),
    "the unique keys map to their live holders",
  );

  const dependents = new Map<string, string[]>();
  for (const job of jobs) {
    if (!isWaiting(job.state)) continue;
    for (const dep of job.after ?? []) dependents.set(dep, [...dependents.get(dep) ?? [], job.id].sort());
  }
  assert.deepStrictEqual(
    new Map(waitingDependents(state)),
    new Map([...dependents].sort()),
    "dependents list every waiting job naming each dependency",
  );
  for (const [dep, ids] of state.dependents) {
    for (const id of ids) {
      const job = state.jobs.get(id);
      assert.ok(!job || job.after?.includes(dep), `a dependent of "${dep}", job "${id}" names it`);
    }
  }

  const orders = new Set<number>();
  for (const job of jobs) {
    const held = job.state === "processing";
    assert.strictEqual(job.worker !== null, held, `${job.id}: a worker holds exactly the processing jobs`);
    assert.strictEqual(job.claim !== null, held, `${job.id}: a claim token exactly for processing jobs`);
    assert.strictEqual(job.lease_until !== null, held, `${job.id}: a lease exactly for processing jobs`);
    if (job.kill !== undefined) assert.ok(held, `${job.id}: a kill request only while processing`);
    if (held) assert.ok(job.claim! <= state.seq, `${job.id}: its token is the seq of an applied record`);
    assert.ok(
      job.attempts >= 0 && job.attempts <= job.max_retries + 1,
      `${job.id}: attempts ${job.attempts}`,
    );
    if (job.state === "pending") assert.strictEqual(job.attempts, 0, `${job.id}: a pending job has not run`);
    if (job.state === "failed") {
      assert.ok(job.attempts <= job.max_retries, `${job.id}: failed with a retry left`);
    }
    assert.ok(
      job.seq >= 1 && job.seq < state.nextOrder,
      `${job.id}: enqueue order ${job.seq} < ${state.nextOrder}`,
    );
    assert.ok(!orders.has(job.seq), `${job.id}: enqueue order ${job.seq} is unique`);
    orders.add(job.seq);
  }
}

/**
 * Moves the completed jobs `ids` into a stand-in archive, as compaction would (counts stay), and
 * gives `state` a view of it that hides tombstoned ids. Once per state.
 */
export function archive(state: QueueState, ids: string[]): void {
  const held = new Map(ids.map((id) => [id, state.jobs.get(id)!]));
  state.archiveOut(ids);
  const visible = () => [...held.values()].filter((j) => !state.tombstones.has(j.id));
  state.archiveView = {
    get: (id) => state.tombstones.has(id) ? undefined : held.get(id),
    findAny: (wanted) => wanted.find((id) => held.has(id) && !state.tombstones.has(id)),
    jobs: (order = "asc") => order === "asc" ? visible() : visible().reverse(),
    idsWithPrefix: (prefix, limit) =>
      visible().map((j) => j.id).filter((id) => id.startsWith(prefix)).sort().slice(0, limit),
    // the stand-in has no segments (state.archive stays empty): nothing asks these of it
    scan: () => {
      throw new Error("the stand-in archive has no segments");
    },
    hiddenIn: () => [],
    learnFacts: () => {
      throw new Error("the stand-in archive has no segments");
    },
  };
}

/**
 * The ids a claim of `req` should take at `now`, found without the runnable index: every waiting,
 * due job of a served queue whose dependencies (those still live) all completed, in claim order,
 * skipping a queue once it is paused or at its concurrency limit. What decideClaim must agree with.
 */
export function bruteForceClaim(state: QueueState, req: ClaimRequest, now: Date): string[] {
  const nowIso = now.toISOString();
  const jobs = [...state.jobs.values()];
  const blocked = (job: Job) =>
    (job.after ?? []).some((id) => {
      const dep = state.jobs.get(id);
      return dep !== undefined && dep.state !== "completed";
    });
  const room = new Map<string, number>();
  const roomOf = (queue: string) => {
    if (!room.has(queue)) {
      const s = state.settings(queue);
      const running = jobs.filter((j) => j.queue === queue && j.state === "processing").length;
      room.set(queue, s.paused ? 0 : s.concurrency === 0 ? Infinity : Math.max(0, s.concurrency - running));
    }
    return room.get(queue)!;
  };
  const candidates = jobs
    .filter((j) => isWaiting(j.state) && isDue(j, nowIso) && !blocked(j))
    .filter((j) => !req.queues || req.queues.includes(j.queue))
    .sort((a, b) => claimsBefore(a, b) ? -1 : claimsBefore(b, a) ? 1 : 0);
  const picked: string[] = [];
  for (const job of candidates) {
    if (picked.length === req.slots.length) break;
    if (roomOf(job.queue) === 0) continue;
    room.set(job.queue, roomOf(job.queue) - 1);
    picked.push(job.id);
  }
  return picked;
}
