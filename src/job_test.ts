import assert from "node:assert/strict";
import fc from "fast-check";
import {
  claimsBefore,
  DEFAULT_QUEUE,
  describeOutcome,
  dueSince,
  isDue,
  isLive,
  isTerminal,
  isWaiting,
  type Job,
  JOB_STATES,
  type JobEvent,
  type JobState,
  newJob,
  type Outcome,
  RUNS_KEPT,
  settle,
  transition,
  TransitionError,
  upgradeJob,
} from "./job.ts";

const T0 = "2026-01-01T00:00:00.000Z";
const T1 = "2026-01-01T00:01:00.000Z";
const T2 = "2026-01-01T00:02:00.000Z";
const LEASE = "2026-01-01T00:01:30.000Z";
const BACKOFF = { backoff_base: 2, backoff_max: 3600 };

function makeJob(overrides: Partial<Job> = {}): Job {
  const fields = {
    id: "j1",
    command: "echo hi",
    max_retries: 3,
    priority: 0,
    run_at: null,
    timeout: null,
    cwd: null,
    seq: 1,
  };
  return { ...newJob(fields, T0), ...overrides };
}

/** The claim of `job` by w1 under token 5, on runner pid 700 with output from byte 40 of w1-0.out. */
const claimW1: JobEvent = {
  type: "claim",
  worker: "w1",
  claim: 5,
  lease_until: LEASE,
  pid: 700,
  pid_start: 12,
  out: ["w1-0.out", 40],
};

/** A job in `state`, reached through the state machine from a fresh pending job. */
function jobIn(state: JobState): Job {
  const pending = makeJob();
  if (state === "pending") return pending;
  const processing = transition(pending, claimW1, T0);
  if (state === "processing") return processing;
  const end = (to: "completed" | "failed" | "dead"): JobEvent => ({
    type: "finish",
    worker: "w1",
    claim: 5,
    tail: "out\n",
    out_end: 90,
    to,
    exit_code: to === "completed" ? 0 : 1,
    error: to === "completed" ? null : "exit code 1",
    run_at: to === "failed" ? T1 : null,
  });
  return transition(processing, end(state), T0);
}

const claimW2: JobEvent = { ...claimW1, worker: "w2", claim: 9, pid: 800, out: ["w2-0.out", 0] };
const started: JobEvent = { type: "started", worker: "w1", attempt: 1, pid: 4242, pid_start: 99 };
const renew: JobEvent = { type: "renew", lease_until: "2026-01-01T00:05:00.000Z" };
const finishByHolder: JobEvent = {
  type: "finish",
  worker: "w1",
  claim: 5,
  tail: "boom\n",
  out_end: 120,
  to: "failed",
  exit_code: 3,
  error: "exit code 3",
  run_at: "2026-01-01T00:01:02.000Z",
};
const finishByRescuer: JobEvent = { ...finishByHolder, worker: null, exit_code: null, error: "worker lost" };
const unclaim: JobEvent = { type: "unclaim", claim: 5 };
const kill: JobEvent = { type: "kill", claim: 5, reason: "killed" };
const bury: JobEvent = { type: "bury", error: "cancelled" };
const retry: JobEvent = { type: "retry" };

/** Which states each event is legal in (for the job shapes built by `jobIn`). */
const LEGAL: Array<[string, JobEvent, JobState[]]> = [
  ["claim", claimW2, ["pending", "failed"]],
  ["started", started, ["processing"]],
  ["renew", renew, ["processing"]],
  ["finish by its worker", finishByHolder, ["processing"]],
  ["finish by a rescuer", finishByRescuer, ["processing"]],
  ["unclaim", unclaim, ["processing"]],
  ["kill", kill, ["processing"]],
  ["bury", bury, ["pending", "failed"]],
  ["retry", retry, ["dead"]],
];

for (const [name, event, legal] of LEGAL) {
  for (const state of JOB_STATES) {
    if (legal.includes(state)) {
      Deno.test(`transition() accepts ${name} on a ${state} job and does not mutate it`, () => {
        const before = Object.freeze(jobIn(state));
        const copy = structuredClone(before);
        const after = transition(before, event, T1);
        assert.deepStrictEqual(before, copy);
        assert.notStrictEqual(after, before);
        assert.strictEqual(after.id, before.id);
        assert.strictEqual(after.command, before.command);
        assert.strictEqual(after.seq, before.seq);
      });
    } else {
      Deno.test(`transition() refuses ${name} on a ${state} job with a TransitionError naming its state`, () => {
        const job = jobIn(state);
        assert.throws(
          () => transition(job, event, T1),
          (e: unknown) =>
            e instanceof TransitionError &&
            new RegExp(`^Cannot apply ${event.type} to job "j1": it is ${state}$`).test(e.message),
        );
      });
    }
  }
}

// ---- claim

Deno.test("transition() claim moves a pending job to processing under its token, session and output start", () => {
  const job = transition(makeJob(), claimW1, T1);
  assert.deepStrictEqual(job, {
    ...makeJob(),
    state: "processing",
    attempts: 1,
    worker: "w1",
    claim: 5,
    lease_until: LEASE,
    pid: 700,
    pid_start: 12,
    started_at: T1,
    finished_at: null,
    updated_at: T1,
    runs: [{
      attempt: 1,
      worker: "w1",
      started_at: T1,
      finished_at: null,
      out: ["w1-0.out", 40, null],
      result: null,
    }],
  });
});

Deno.test("transition() claim without a session or an output file leaves them null", () => {
  const job = transition(makeJob(), { ...claimW1, pid: null, pid_start: null, out: null }, T1);
  assert.strictEqual(job.pid, null);
  assert.strictEqual(job.pid_start, null);
  assert.strictEqual(job.runs?.[0].out, null);
});

Deno.test("transition() claim of a failed job keeps its last error, counts an attempt and opens a second run", () => {
  const failed = jobIn("failed");
  const job = transition(failed, claimW2, T1);
  assert.strictEqual(job.state, "processing");
  assert.strictEqual(job.attempts, 2);
  assert.strictEqual(job.claim, 9);
  assert.strictEqual(job.last_error, "exit code 1");
  assert.strictEqual(job.finished_at, null);
  assert.deepStrictEqual(job.runs?.map((r) => [r.attempt, r.worker, r.finished_at]), [[1, "w1", T0], [
    2,
    "w2",
    null,
  ]]);
});

Deno.test("transition() keeps the newest RUNS_KEPT finished runs, and the running one", () => {
  let job = makeJob({ max_retries: RUNS_KEPT + 5 });
  for (let i = 1; i <= RUNS_KEPT + 3; i++) {
    job = transition(job, { ...claimW1, claim: i }, T1);
    if (i > RUNS_KEPT) assert.strictEqual(job.runs?.length, RUNS_KEPT + 1);
    job = transition(job, { ...finishByHolder, claim: i }, T1);
  }
  assert.strictEqual(job.runs?.length, RUNS_KEPT);
  assert.deepStrictEqual(job.runs?.map((r) => r.attempt), Array.from({ length: RUNS_KEPT }, (_, i) => i + 4));
});

// ---- started (written by versions before 0.2)

Deno.test("transition() started records the process group of the holder's attempt", () => {
  const job = transition(jobIn("processing"), started, T1);
  assert.strictEqual(job.pid, 4242);
  assert.strictEqual(job.pid_start, 99);
  assert.strictEqual(job.state, "processing");
  assert.strictEqual(job.claim, 5);
  assert.strictEqual(job.updated_at, T1);
});

Deno.test("transition() started is refused for another worker or another attempt", () => {
  const job = jobIn("processing");
  for (const event of [{ ...started, worker: "w9" }, { ...started, attempt: 2 }] as JobEvent[]) {
    assert.throws(
      () => transition(job, event, T1),
      (e: unknown) => e instanceof TransitionError && /^Cannot apply started to job "j1"/.test(e.message),
    );
  }
});

// ---- renew

Deno.test("transition() renew extends only the lease of a processing job", () => {
  const before = jobIn("processing");
  assert.deepStrictEqual(transition(before, renew, T1), {
    ...before,
    lease_until: "2026-01-01T00:05:00.000Z",
  });
});

// ---- finish

Deno.test("transition() finish releases the job, records its outcome and closes its run", () => {
  const before = jobIn("processing");
  const job = transition(before, finishByHolder, T1);
  assert.deepStrictEqual(job, {
    ...before,
    state: "failed",
    exit_code: 3,
    last_error: "exit code 3",
    run_at: "2026-01-01T00:01:02.000Z",
    worker: null,
    claim: null,
    lease_until: null,
    pid: null,
    pid_start: null,
    finished_at: T1,
    updated_at: T1,
    output_tail: "boom\n",
    runs: [{
      attempt: 1,
      worker: "w1",
      started_at: T0,
      finished_at: T1,
      out: ["w1-0.out", 40, 120],
      result: "exit code 3",
    }],
  });
});

Deno.test("transition() finish is refused under a claim token other than the job's", () => {
  const job = jobIn("processing");
  for (const event of [{ ...finishByHolder, claim: 4 }, { ...finishByRescuer, claim: 6 }] as JobEvent[]) {
    assert.throws(
      () => transition(job, event, T1),
      (e: unknown) =>
        e instanceof TransitionError && e.message === 'Cannot apply finish to job "j1": it is processing',
    );
  }
});

Deno.test("transition() finish is refused from a worker other than the holder", () => {
  assert.throws(
    () => transition(jobIn("processing"), { ...finishByHolder, worker: "w2" }, T1),
    TransitionError,
  );
});

Deno.test("transition() finish by a late worker is refused once the job was taken back and claimed again", () => {
  const back = transition(jobIn("processing"), { ...finishByRescuer, run_at: T0 }, T1);
  const again = transition(back, { ...claimW1, claim: 11 }, T1);
  assert.throws(() => transition(again, finishByHolder, T2), TransitionError);
  assert.strictEqual(transition(again, { ...finishByHolder, claim: 11 }, T2).state, "failed");
});

Deno.test("transition() finish by a rescuer takes back a job held by any worker, under its token", () => {
  const held = transition(makeJob(), claimW2, T0);
  const job = transition(held, { ...finishByRescuer, claim: 9, to: "dead" }, T1);
  assert.strictEqual(job.state, "dead");
  assert.strictEqual(job.last_error, "worker lost");
  assert.strictEqual(job.worker, null);
  assert.strictEqual(job.claim, null);
  assert.strictEqual(job.runs?.[0].result, "worker lost");
});

Deno.test("transition() finish without a token (a log written before tokens) ends any attempt of the holder", () => {
  const legacy = { ...jobIn("processing"), claim: null, runs: undefined };
  const job = transition(legacy, { ...finishByHolder, claim: null }, T1);
  assert.strictEqual(job.state, "failed");
  assert.strictEqual(job.runs, undefined, "no runs are made up for an attempt claimed before runs existed");
  assert.strictEqual(transition(jobIn("processing"), { ...finishByHolder, claim: null }, T1).state, "failed");
});

Deno.test("transition() finish without run_at or tail keeps the job's previous ones", () => {
  const before = { ...jobIn("processing"), run_at: T0, output_tail: "old\n" };
  const job = transition(before, {
    ...finishByHolder,
    to: "completed",
    exit_code: 0,
    error: null,
    run_at: null,
    tail: null,
  }, T1);
  assert.strictEqual(job.state, "completed");
  assert.strictEqual(job.run_at, T0);
  assert.strictEqual(job.output_tail, "old\n");
  assert.strictEqual(job.last_error, null);
});

Deno.test("transition() finish without an output end leaves the run's end open", () => {
  const job = transition(jobIn("processing"), { ...finishByHolder, out_end: null }, T1);
  assert.deepStrictEqual(job.runs?.[0].out, ["w1-0.out", 40, null]);
  assert.strictEqual(job.runs?.[0].finished_at, T1);
});

Deno.test("transition() finish names each run's result: exit code 0, its error, its exit code, or its state", () => {
  const end = (fields: Partial<Extract<JobEvent, { type: "finish" }>>) =>
    transition(jobIn("processing"), { ...finishByHolder, ...fields } as JobEvent, T1).runs![0].result;
  assert.strictEqual(end({ to: "completed", exit_code: 0, error: null, run_at: null }), "exit code 0");
  assert.strictEqual(
    end({ to: "failed", exit_code: null, error: "timed out after 5s" }),
    "timed out after 5s",
  );
  assert.strictEqual(end({ to: "dead", exit_code: 7, error: null, run_at: null }), "exit code 7");
  assert.strictEqual(end({ to: "dead", exit_code: null, error: null, run_at: null }), "dead");
});

Deno.test("transition() finish clears a kill request", () => {
  const asked = transition(jobIn("processing"), kill, T1);
  const job = transition(asked, { ...finishByHolder, to: "dead", error: "killed", run_at: null }, T2);
  assert.strictEqual(job.kill, undefined);
  assert.ok(!("kill" in job));
  assert.strictEqual(job.last_error, "killed");
});

// ---- unclaim

Deno.test("transition() unclaim gives a first attempt back: pending, no attempt counted, no run", () => {
  const job = transition(jobIn("processing"), unclaim, T1);
  assert.deepStrictEqual(job, { ...makeJob(), updated_at: T1 });
  assert.ok(!("runs" in job));
});

Deno.test("transition() unclaim gives a retry back to the failed job it was, with its earlier runs", () => {
  const failed = jobIn("failed");
  const job = transition(transition(failed, claimW2, T1), { type: "unclaim", claim: 9 }, T2);
  assert.strictEqual(job.state, "failed");
  assert.strictEqual(job.attempts, failed.attempts);
  assert.strictEqual(job.run_at, failed.run_at);
  assert.strictEqual(job.last_error, failed.last_error);
  assert.deepStrictEqual(job.runs, failed.runs);
  assert.strictEqual(job.claim, null);
  assert.strictEqual(job.worker, null);
});

Deno.test("transition() unclaim of a job that had RUNS_KEPT runs gives every one of them back", () => {
  let job = makeJob({ max_retries: RUNS_KEPT + 5 });
  for (let i = 1; i <= RUNS_KEPT; i++) {
    job = transition(job, { ...claimW1, claim: i }, T1);
    job = transition(job, { ...finishByHolder, claim: i }, T1);
  }
  const claimed = transition(job, { ...claimW1, claim: 99 }, T2);
  const back = transition(claimed, { type: "unclaim", claim: 99 }, T2);
  assert.deepStrictEqual(back.runs, job.runs);
});

Deno.test("transition() unclaim is refused under another token, and drops a kill request when accepted", () => {
  assert.throws(() => transition(jobIn("processing"), { type: "unclaim", claim: 6 }, T1), TransitionError);
  const job = transition(transition(jobIn("processing"), kill, T1), unclaim, T1);
  assert.ok(!("kill" in job));
});

// ---- kill

Deno.test("transition() kill records why the running attempt is to be killed, under its token only", () => {
  const before = jobIn("processing");
  assert.deepStrictEqual(transition(before, kill, T1), { ...before, kill: "killed", updated_at: T1 });
  assert.throws(() => transition(before, { ...kill, claim: 4 }, T1), TransitionError);
});

// ---- bury

Deno.test("transition() bury sends a waiting job to the DLQ with its reason, keeping its attempts", () => {
  for (const state of ["pending", "failed"] as const) {
    const before = jobIn(state);
    assert.deepStrictEqual(transition(before, bury, T1), {
      ...before,
      state: "dead",
      last_error: "cancelled",
      finished_at: T1,
      updated_at: T1,
    });
  }
});

// ---- retry

Deno.test("transition() retry moves a dead job back to pending, due as soon as possible, attempts reset", () => {
  const dead = { ...jobIn("dead"), run_at: T1 };
  assert.deepStrictEqual(transition(dead, retry, T2), {
    ...dead,
    state: "pending",
    attempts: 0,
    run_at: null,
    exit_code: null,
    last_error: null,
    finished_at: null,
    updated_at: T2,
  });
});

// ---- settle

const job2 = (fields: Partial<Job> = {}) => ({ ...jobIn("processing"), ...fields });
const NOW = new Date(T1);

Deno.test("settle() completes an attempt that exited 0", () => {
  assert.deepStrictEqual(settle(job2(), { kind: "exited", code: 0 }, BACKOFF, NOW), {
    to: "completed",
    exit_code: 0,
    error: null,
    run_at: null,
  });
});

Deno.test("settle() completes an attempt that exited 0 even after a kill was asked for", () => {
  assert.strictEqual(
    settle(job2({ kill: "killed" }), { kind: "exited", code: 0 }, BACKOFF, NOW).to,
    "completed",
  );
});

Deno.test("settle() ends an attempt dead with the kill's reason when a kill was asked for, retries left or not", () => {
  for (
    const outcome of [{ kind: "exited", code: 143 }, { kind: "lost" }, {
      kind: "timeout",
      after: 3,
    }] as Outcome[]
  ) {
    assert.deepStrictEqual(settle(job2({ kill: "killed by alice" }), outcome, BACKOFF, NOW), {
      to: "dead",
      exit_code: outcome.kind === "exited" ? 143 : null,
      error: "killed by alice",
      run_at: null,
    });
  }
});

Deno.test("settle() fails an attempt with its retry due after the backoff while retries are left", () => {
  for (const attempts of [1, 2, 3]) {
    const s = settle(job2({ attempts, max_retries: 3 }), { kind: "exited", code: 2 }, BACKOFF, NOW);
    assert.deepStrictEqual(s, {
      to: "failed",
      exit_code: 2,
      error: "exit code 2",
      run_at: new Date(NOW.getTime() + 2 ** attempts * 1000).toISOString(),
    });
  }
});

Deno.test("settle() caps the retry delay at backoff_max", () => {
  const s = settle(job2({ max_retries: 50 }), { kind: "spawn_failed", message: "no sh" }, {
    backoff_base: 1000,
    backoff_max: 60,
  }, NOW);
  assert.strictEqual(s.run_at, new Date(NOW.getTime() + 60_000).toISOString());
  assert.strictEqual(s.error, "could not start: no sh");
  assert.strictEqual(s.exit_code, null);
});

Deno.test("settle() ends the last attempt dead: max_retries + 1 attempts in all", () => {
  const s = settle(job2({ attempts: 4, max_retries: 3 }), { kind: "timeout", after: 5 }, BACKOFF, NOW);
  assert.deepStrictEqual(s, { to: "dead", exit_code: null, error: "timed out after 5s", run_at: null });
  assert.strictEqual(
    settle(job2({ attempts: 1, max_retries: 0 }), { kind: "lost" }, BACKOFF, NOW).to,
    "dead",
  );
});

Deno.test("settle() is a pure function of the job, the outcome, the config and the time", () => {
  const job = Object.freeze(job2());
  const a = settle(job, { kind: "exited", code: 1 }, BACKOFF, NOW);
  assert.deepStrictEqual(settle(job, { kind: "exited", code: 1 }, BACKOFF, new Date(T1)), a);
});

// ---- the order and the predicates

Deno.test("claimsBefore() prefers higher priority, then enqueue order, whatever run_at says", () => {
  const a = makeJob({ priority: 5, run_at: T1, seq: 9 });
  const b = makeJob({ priority: 1, run_at: T0, seq: 1 });
  assert.strictEqual(claimsBefore(a, b), true);
  assert.strictEqual(claimsBefore(b, a), false);
  const c = makeJob({ priority: 1, run_at: T1, seq: 2 });
  const d = makeJob({ priority: 1, run_at: T0, seq: 7 });
  assert.strictEqual(claimsBefore(c, d), true, "an earlier run_at does not jump the enqueue order");
  assert.strictEqual(claimsBefore(d, c), false);
  const e = makeJob({ priority: -1, seq: 2 });
  assert.strictEqual(claimsBefore(e, e), false);
});

Deno.test("claimsBefore() is the strict order of (priority desc, seq asc)", () => {
  const arbJob = fc.record({
    priority: fc.integer({ min: -3, max: 3 }),
    run_at: fc.constantFrom(null, T0, T1, LEASE),
    seq: fc.integer({ min: 1, max: 5 }),
  }).map((o) => makeJob(o));
  const less = (a: Job, b: Job) => a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq;
  fc.assert(
    fc.property(arbJob, arbJob, arbJob, (a, b, c) => {
      assert.strictEqual(claimsBefore(a, b), less(a, b));
      assert.ok(!(claimsBefore(a, b) && claimsBefore(b, a)), "asymmetric");
      if (claimsBefore(a, b) && claimsBefore(b, c)) assert.ok(claimsBefore(a, c), "transitive");
    }),
  );
});

Deno.test("isDue() is true for a job without a start time, and for one whose time has come", () => {
  assert.strictEqual(isDue({ run_at: null }, T0), true);
  assert.strictEqual(
    isDue({ run_at: null }, "1970-01-01T00:00:00.000Z"),
    true,
    "whatever the wall clock says",
  );
  assert.strictEqual(isDue({ run_at: T1 }, T0), false);
  assert.strictEqual(isDue({ run_at: T1 }, T1), true);
  assert.strictEqual(isDue({ run_at: T1 }, T2), true);
});

Deno.test("dueSince() is the start time, or the enqueue time of a job due as soon as possible", () => {
  assert.strictEqual(dueSince({ run_at: T1, created_at: T0 }), T1);
  assert.strictEqual(dueSince({ run_at: null, created_at: T0 }), T0);
});

Deno.test("isTerminal(), isLive() and isWaiting() split the states as documented", () => {
  assert.deepStrictEqual(JOB_STATES.filter(isTerminal), ["completed", "dead"]);
  assert.deepStrictEqual(JOB_STATES.filter(isLive), ["pending", "processing", "failed"]);
  assert.deepStrictEqual(JOB_STATES.filter(isWaiting), ["pending", "failed"]);
});

// ---- building and upgrading jobs

Deno.test("newJob() builds a pending job in the default queue, with optional fields only when given", () => {
  const plain = makeJob();
  assert.strictEqual(plain.queue, DEFAULT_QUEUE);
  assert.strictEqual(plain.state, "pending");
  assert.strictEqual(plain.claim, null);
  for (const key of ["argv", "env", "after", "unique", "kill", "runs"]) assert.ok(!(key in plain), key);
  const full = newJob({
    id: "x",
    command: "'ls'",
    argv: ["ls"],
    queue: "q",
    env: { A: "1" },
    after: ["a"],
    unique: "k",
    max_retries: 0,
    priority: 2,
    run_at: T1,
    timeout: 5,
    cwd: "/tmp",
    seq: 4,
  }, T0);
  assert.deepStrictEqual(
    [full.argv, full.queue, full.env, full.after, full.unique],
    [["ls"], "q", { A: "1" }, ["a"], "k"],
  );
  assert.strictEqual(full.created_at, T0);
  assert.strictEqual(full.updated_at, T0);
});

Deno.test("upgradeJob() gives a job from an older file the default queue and no claim", () => {
  const { queue: _q, claim: _c, ...old } = makeJob({ state: "failed", attempts: 1, run_at: T1 });
  const job = upgradeJob(old as Job);
  assert.deepStrictEqual(job, { ...old, queue: DEFAULT_QUEUE, claim: null });
  assert.ok(!("queue" in old), "the old job is not changed");
});

Deno.test("upgradeJob() returns a current job as it is", () => {
  const job = makeJob({ queue: "q" });
  assert.strictEqual(upgradeJob(job), job);
});

Deno.test("describeOutcome() gives a short sentence for every failed outcome and null for success", () => {
  assert.strictEqual(describeOutcome({ kind: "exited", code: 0 }), null);
  assert.strictEqual(describeOutcome({ kind: "exited", code: 7 }), "exit code 7");
  assert.strictEqual(describeOutcome({ kind: "timeout", after: 30 }), "timed out after 30s");
  assert.strictEqual(
    describeOutcome({ kind: "spawn_failed", message: "No such file" }),
    "could not start: No such file",
  );
  assert.strictEqual(
    describeOutcome({ kind: "killed", signal: "SIGKILL" }),
    "killed by SIGKILL when the worker was interrupted",
  );
  assert.strictEqual(describeOutcome({ kind: "lost" }), "worker lost");
});
