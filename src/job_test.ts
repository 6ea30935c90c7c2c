import assert from "node:assert/strict";
import fc from "fast-check";
import {
  claimsBefore,
  describeOutcome,
  isRunnable,
  isTerminal,
  type Job,
  JOB_STATES,
  type JobEvent,
  type JobState,
  newJob,
  transition,
  TransitionError,
} from "./job.ts";

const T0 = "2026-01-01T00:00:00.000Z";
const T1 = "2026-01-01T00:01:00.000Z";
const LEASE = "2026-01-01T00:01:30.000Z";

function makeJob(overrides: Partial<Job> = {}): Job {
  const fields = {
    id: "j1",
    command: "echo hi",
    max_retries: 3,
    priority: 0,
    run_at: T0,
    timeout: null,
    cwd: null,
    seq: 1,
  };
  return { ...newJob(fields, T0), ...overrides };
}

/** A job in `state`, shaped the way the state machine leaves jobs in that state. */
function jobIn(state: JobState): Job {
  switch (state) {
    case "pending":
      return makeJob();
    case "processing":
      return makeJob({
        state,
        attempts: 1,
        worker: "w1",
        lease_until: LEASE,
        started_at: T0,
      });
    case "failed":
      return makeJob({
        state,
        attempts: 1,
        exit_code: 1,
        last_error: "exit code 1",
        started_at: T0,
        finished_at: T0,
      });
    case "completed":
      return makeJob({ state, attempts: 1, exit_code: 0, started_at: T0, finished_at: T0 });
    case "dead":
      return makeJob({
        state,
        attempts: 4,
        exit_code: 2,
        last_error: "exit code 2",
        started_at: T0,
        finished_at: T0,
      });
  }
}

const claim: JobEvent = { type: "claim", worker: "w2", lease_until: LEASE };
const started: JobEvent = { type: "started", worker: "w1", attempt: 1, pid: 4242, pid_start: 99 };
const renew: JobEvent = { type: "renew", lease_until: "2026-01-01T00:05:00.000Z" };
const finishByHolder: JobEvent = {
  type: "finish",
  worker: "w1",
  attempt: 1,
  to: "failed",
  exit_code: 3,
  error: "exit code 3",
  run_at: "2026-01-01T00:01:02.000Z",
  tail: "boom\n",
};
const finishByRescuer: JobEvent = { ...finishByHolder, worker: null, exit_code: null, error: "worker lost" };
const retry: JobEvent = { type: "retry" };

/** Which states each event is legal in (for the job shapes built by `jobIn`). */
const LEGAL: Array<[string, JobEvent, JobState[]]> = [
  ["claim", claim, ["pending", "failed"]],
  ["started", started, ["processing"]],
  ["renew", renew, ["processing"]],
  ["finish by its worker", finishByHolder, ["processing"]],
  ["finish by a rescuer", finishByRescuer, ["processing"]],
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
      });
    } else {
      Deno.test(`transition() refuses ${name} on a ${state} job with a TransitionError`, () => {
        const job = jobIn(state);
        assert.throws(
          () => transition(job, event, T1),
          (e: unknown) => e instanceof TransitionError && /^Cannot apply \w+ to job "j1": /.test(e.message),
        );
      });
    }
  }
}

Deno.test("transition() claim moves a pending job to processing and counts an attempt", () => {
  const job = transition(makeJob({ finished_at: T0 }), claim, T1);
  assert.deepStrictEqual(job, {
    ...makeJob(),
    state: "processing",
    attempts: 1,
    worker: "w2",
    lease_until: LEASE,
    pid: null,
    pid_start: null,
    started_at: T1,
    finished_at: null,
    updated_at: T1,
  });
});

Deno.test("transition() claim of a failed job keeps its last error and increments attempts", () => {
  const job = transition(jobIn("failed"), claim, T1);
  assert.strictEqual(job.state, "processing");
  assert.strictEqual(job.attempts, 2);
  assert.strictEqual(job.last_error, "exit code 1");
  assert.strictEqual(job.finished_at, null);
});

Deno.test("transition() started records the process group of the holder's attempt", () => {
  const job = transition(jobIn("processing"), started, T1);
  assert.strictEqual(job.pid, 4242);
  assert.strictEqual(job.pid_start, 99);
  assert.strictEqual(job.state, "processing");
  assert.strictEqual(job.updated_at, T1);
});

Deno.test("transition() started is refused for another worker or another attempt", () => {
  const job = jobIn("processing");
  assert.throws(
    () => transition(job, { ...started, worker: "w9" } as JobEvent, T1),
    (e: unknown) =>
      e instanceof TransitionError && /no longer held by worker w9 \(attempt 1\)/.test(e.message),
  );
  assert.throws(
    () => transition(job, { ...started, attempt: 2 } as JobEvent, T1),
    (e: unknown) =>
      e instanceof TransitionError && /no longer held by worker w1 \(attempt 2\)/.test(e.message),
  );
});

Deno.test("transition() renew extends only the lease of a processing job", () => {
  const before = jobIn("processing");
  const job = transition(before, renew, T1);
  assert.deepStrictEqual(job, { ...before, lease_until: "2026-01-01T00:05:00.000Z" });
});

Deno.test("transition() finish releases the job and records its outcome", () => {
  const before = transition(jobIn("processing"), started, T0);
  const job = transition(before, finishByHolder, T1);
  assert.deepStrictEqual(job, {
    ...before,
    state: "failed",
    exit_code: 3,
    last_error: "exit code 3",
    run_at: "2026-01-01T00:01:02.000Z",
    worker: null,
    lease_until: null,
    pid: null,
    pid_start: null,
    finished_at: T1,
    updated_at: T1,
    output_tail: "boom\n",
  });
});

Deno.test("transition() finish without run_at or tail keeps the job's previous ones", () => {
  const before = jobIn("processing");
  const job = transition(before, {
    ...finishByHolder,
    to: "completed",
    exit_code: 0,
    error: null,
    run_at: null,
    tail: null,
  } as JobEvent, T1);
  assert.strictEqual(job.state, "completed");
  assert.strictEqual(job.run_at, before.run_at);
  assert.strictEqual(job.output_tail, before.output_tail);
  assert.strictEqual(job.last_error, null);
});

Deno.test("transition() finish by a rescuer takes back a job held by any worker", () => {
  const job = transition(
    { ...jobIn("processing"), worker: "other" },
    { ...finishByRescuer, to: "dead" } as JobEvent,
    T1,
  );
  assert.strictEqual(job.state, "dead");
  assert.strictEqual(job.last_error, "worker lost");
  assert.strictEqual(job.worker, null);
});

Deno.test("transition() finish by a late worker is refused once the job was taken back and reclaimed", () => {
  const reclaimed = { ...jobIn("processing"), worker: "w2", attempts: 2 };
  assert.throws(() => transition(reclaimed, finishByHolder, T1), TransitionError);
});

Deno.test("transition() retry moves a dead job back to pending with attempts reset", () => {
  const job = transition(jobIn("dead"), retry, T1);
  assert.deepStrictEqual(job, {
    ...jobIn("dead"),
    state: "pending",
    attempts: 0,
    run_at: T1,
    exit_code: null,
    last_error: null,
    finished_at: null,
    updated_at: T1,
  });
});

Deno.test("isTerminal() is true only for completed and dead", () => {
  assert.deepStrictEqual(JOB_STATES.filter(isTerminal), ["completed", "dead"]);
});

Deno.test("isRunnable() accepts pending and failed jobs whose run_at has come", () => {
  for (const state of JOB_STATES) {
    const job = { ...jobIn(state), run_at: T0 };
    assert.strictEqual(isRunnable(job, T0), state === "pending" || state === "failed", state);
    assert.strictEqual(isRunnable(job, T1), state === "pending" || state === "failed", state);
  }
});

Deno.test("isRunnable() refuses pending and failed jobs whose run_at is in the future", () => {
  assert.strictEqual(isRunnable(makeJob({ run_at: T1 }), T0), false);
  assert.strictEqual(isRunnable(jobIn("failed"), "2025-12-31T23:59:59.999Z"), false);
});

Deno.test("claimsBefore() prefers higher priority, then earlier run_at, then enqueue order", () => {
  const a = makeJob({ priority: 5, run_at: T1, seq: 9 });
  const b = makeJob({ priority: 1, run_at: T0, seq: 1 });
  assert.strictEqual(claimsBefore(a, b), true);
  assert.strictEqual(claimsBefore(b, a), false);
  const c = makeJob({ priority: 1, run_at: T0, seq: 7 });
  const d = makeJob({ priority: 1, run_at: T1, seq: 2 });
  assert.strictEqual(claimsBefore(c, d), true);
  assert.strictEqual(claimsBefore(d, c), false);
  const e = makeJob({ priority: -1, run_at: T0, seq: 2 });
  const f = makeJob({ priority: -1, run_at: T0, seq: 3 });
  assert.strictEqual(claimsBefore(e, f), true);
  assert.strictEqual(claimsBefore(f, e), false);
  assert.strictEqual(claimsBefore(e, e), false);
});

Deno.test("claimsBefore() is the strict order of (priority desc, run_at asc, seq asc)", () => {
  const arbJob = fc.record({
    priority: fc.integer({ min: -3, max: 3 }),
    run_at: fc.constantFrom(T0, T1, LEASE),
    seq: fc.integer({ min: 1, max: 5 }),
  }).map((o) => makeJob(o));
  const key = (j: Job) => [-j.priority, j.run_at, j.seq] as const;
  const less = (a: Job, b: Job) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] < y[i];
    return false;
  };
  fc.assert(
    fc.property(arbJob, arbJob, (a, b) => {
      assert.strictEqual(claimsBefore(a, b), less(a, b));
      assert.ok(!(claimsBefore(a, b) && claimsBefore(b, a)));
    }),
  );
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
