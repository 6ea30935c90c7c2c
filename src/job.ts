/**
 * The job model and its one state machine. `transition()` is the only place that decides a
 * job's next state; the store's reducer, the worker and the CLI all ask it. Pure: no I/O, and
 * time comes in as an argument.
 */

export const JOB_STATES = [
  "pending",
  "processing",
  "completed",
  "failed",
  "dead",
] as const;
export type JobState = typeof JOB_STATES[number];

export interface Job {
  id: string;
  /** The shell command (`sh -c`); for an `argv` job, its arguments shell-quoted, for display. */
  command: string;
  /** Present only for a job run without a shell: the program and its arguments, verbatim. */
  argv?: string[];
  state: JobState;
  attempts: number;
  max_retries: number;
  priority: number;
  /** Earliest start (ISO-8601 UTC); for a failed job, when its retry becomes due. */
  run_at: string;
  /** Working directory of the enqueuer; the job runs there. */
  cwd: string | null;
  /** Seconds; null means the home's `job-timeout` applies. */
  timeout: number | null;
  created_at: string;
  updated_at: string;
  exit_code: number | null;
  last_error: string | null;
  worker: string | null;
  lease_until: string | null;
  /** Process id and start time (clock ticks since boot) of the running attempt's process group. */
  pid: number | null;
  pid_start: number | null;
  started_at: string | null;
  finished_at: string | null;
  /** The last KiB (at most) of the last attempt's output. */
  output_tail: string | null;
  /** Sequence number of the record that enqueued the job: the tie-breaker "enqueue order". */
  seq: number;
}

/** What a finished attempt looked like: data, never an exception. */
export type Outcome =
  | { kind: "exited"; code: number }
  | { kind: "timeout"; after: number }
  | { kind: "spawn_failed"; message: string }
  | { kind: "killed"; signal: string }
  | { kind: "lost" };

export type JobEvent =
  | { type: "claim"; worker: string; lease_until: string }
  | {
    type: "started";
    worker: string;
    attempt: number;
    pid: number;
    pid_start: number | null;
  }
  | { type: "renew"; lease_until: string }
  | {
    type: "finish";
    worker: string | null;
    attempt: number;
    /** The state the job moves to, decided by `finishEvent()`. */
    to: "completed" | "failed" | "dead";
    exit_code: number | null;
    error: string | null;
    run_at: string | null;
    tail: string | null;
  }
  | { type: "retry" };

/** The fields a new job is given; everything else starts empty. */
export type NewJob = Pick<
  Job,
  "id" | "command" | "argv" | "max_retries" | "priority" | "run_at" | "timeout" | "cwd" | "seq"
>;

/** A freshly enqueued, pending job created at `at`: the one place that lists a job's empty fields. */
export function newJob(fields: NewJob, at: string): Job {
  // spelled out rather than spread: one object shape for every job, built fast in batches of 100,000
  const job: Job = {
    id: fields.id,
    command: fields.command,
    max_retries: fields.max_retries,
    priority: fields.priority,
    run_at: fields.run_at,
    timeout: fields.timeout,
    cwd: fields.cwd,
    seq: fields.seq,
    state: "pending",
    attempts: 0,
    created_at: at,
    updated_at: at,
    exit_code: null,
    last_error: null,
    worker: null,
    lease_until: null,
    pid: null,
    pid_start: null,
    started_at: null,
    finished_at: null,
    output_tail: null,
  };
  // only argv jobs carry the field, so every other job keeps the shape (and bytes) it had
  if (fields.argv !== undefined) job.argv = fields.argv;
  return job;
}

export class TransitionError extends Error {}

export function isTerminal(state: JobState): boolean {
  return state === "completed" || state === "dead";
}

/** A pending job, or a failed one whose backoff has elapsed, may be claimed at `now`. */
export function isRunnable(job: Job, nowIso: string): boolean {
  return (job.state === "pending" || job.state === "failed") &&
    job.run_at <= nowIso;
}

/** Claim order: higher priority, then earlier run_at, then enqueue order. */
export function claimsBefore(a: Job, b: Job): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.run_at !== b.run_at) return a.run_at < b.run_at;
  return a.seq < b.seq;
}

/** Returns the job after `event` at `at` (ISO-8601), or throws TransitionError. Never mutates. */
export function transition(job: Job, event: JobEvent, at: string): Job {
  const base = { ...job, updated_at: at };
  switch (event.type) {
    case "claim":
      if (job.state !== "pending" && job.state !== "failed") {
        refuse(job, event.type);
      }
      return {
        ...base,
        state: "processing",
        attempts: job.attempts + 1,
        worker: event.worker,
        lease_until: event.lease_until,
        pid: null,
        pid_start: null,
        started_at: at,
        finished_at: null,
      };
    case "started":
      holdGuard(job, event.worker, event.attempt, event.type);
      return { ...base, pid: event.pid, pid_start: event.pid_start };
    case "renew":
      if (job.state !== "processing") refuse(job, event.type);
      return { ...job, lease_until: event.lease_until };
    case "finish":
      if (event.worker !== null) {
        holdGuard(job, event.worker, event.attempt, event.type);
      } else if (job.state !== "processing") refuse(job, event.type);
      return {
        ...base,
        state: event.to,
        exit_code: event.exit_code,
        last_error: event.error,
        run_at: event.run_at ?? job.run_at,
        worker: null,
        lease_until: null,
        pid: null,
        pid_start: null,
        finished_at: at,
        output_tail: event.tail ?? job.output_tail,
      };
    case "retry":
      if (job.state !== "dead") refuse(job, event.type);
      return {
        ...base,
        state: "pending",
        attempts: 0,
        run_at: at,
        exit_code: null,
        last_error: null,
        finished_at: null,
      };
  }
}

function holdGuard(
  job: Job,
  worker: string,
  attempt: number,
  what: string,
): void {
  if (
    job.state !== "processing" || job.worker !== worker ||
    job.attempts !== attempt
  ) {
    throw new TransitionError(
      `Cannot apply ${what} to job "${job.id}": it is no longer held by worker ${worker} (attempt ${attempt})`,
    );
  }
}

function refuse(job: Job, what: string): never {
  throw new TransitionError(
    `Cannot apply ${what} to job "${job.id}": it is ${job.state}`,
  );
}

/** A short human sentence for an outcome, stored as `last_error`. */
export function describeOutcome(outcome: Outcome): string | null {
  switch (outcome.kind) {
    case "exited":
      return outcome.code === 0 ? null : `exit code ${outcome.code}`;
    case "timeout":
      return `timed out after ${outcome.after}s`;
    case "spawn_failed":
      return `could not start: ${outcome.message}`;
    case "killed":
      return `killed by ${outcome.signal} when the worker was interrupted`;
    case "lost":
      return "worker lost";
  }
}
