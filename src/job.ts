/**
 * The job model and its one state machine. `settle()` is the only place that decides how an
 * attempt ends (completed, failed with a retry time, or dead); `transition()` is the only place
 * that applies an event to a job. The store's reducer, its decisions, the worker and the CLI all
 * ask these two. Pure: no I/O, and time comes in as an argument.
 *
 * States, and who moves a job out of each:
 *   pending     waiting to be claimed (a worker's claim; `cancel`; `delete`)
 *   processing  claimed by a worker under a claim token (that worker's finish or unclaim; a
 *               rescuer's take-back once the worker is gone)
 *   failed      an attempt failed and a retry is due at `run_at` (a claim, like pending; `cancel`)
 *   completed   final (`delete`, `prune`)
 *   dead        in the dead letter queue (`dlq retry`; `delete`, `prune`)
 */
import { type BackoffConfig, nextRunAt } from "./backoff.ts";

export const JOB_STATES = [
  "pending",
  "processing",
  "completed",
  "failed",
  "dead",
] as const;
export type JobState = typeof JOB_STATES[number];

export const DEFAULT_QUEUE = "default";

/** One attempt, as `logs` and the dashboard show it. */
export interface Run {
  attempt: number;
  worker: string;
  started_at: string;
  finished_at: string | null;
  /** where its output is: a file under logs/, and the byte range [start, end); end is null while it runs */
  out: [file: string, start: number, end: number | null] | null;
  /** how it ended ("exit code 0", "timed out after 5s", ...), null while it runs */
  result: string | null;
}

/** Runs kept per job: the newest ones. */
export const RUNS_KEPT = 20;

export interface Job {
  id: string;
  /** The shell command (`sh -c`); for an `argv` job, its arguments shell-quoted, for display. */
  command: string;
  /** Present only for a job run without a shell: the program and its arguments, verbatim. */
  argv?: string[];
  /** The queue it belongs to. */
  queue: string;
  state: JobState;
  attempts: number;
  max_retries: number;
  priority: number;
  /**
   * Earliest start (ISO-8601 UTC), or null for "as soon as possible" (immune to wall-clock steps);
   * for a failed job, when its retry becomes due.
   */
  run_at: string | null;
  /** Working directory; the job runs there. */
  cwd: string | null;
  /** Variables added to the worker's environment for this job. */
  env?: Record<string, string>;
  /** Ids of jobs that must have completed before this one may run. */
  after?: string[];
  /** While this job is pending, processing or failed, enqueues with the same key create nothing. */
  unique?: string;
  /** Seconds; null means the home's `job-timeout` applies. */
  timeout: number | null;
  created_at: string;
  updated_at: string;
  exit_code: number | null;
  last_error: string | null;
  worker: string | null;
  /** The claim token: seq of the record that claimed the running attempt (null when not processing). */
  claim: number | null;
  /** The process of the worker holding it (pid, start time): liveness.ts checks it when its lock is gone. */
  worker_proc?: [pid: number, start: number | null];
  /** Renewed while the worker lives; informational (liveness is judged by the worker's lock). */
  lease_until: string | null;
  /** Session leader (the slot's runner) of the running attempt, and its start time: the kill scope. */
  pid: number | null;
  pid_start: number | null;
  started_at: string | null;
  finished_at: string | null;
  /** The last KiB (at most) of the last attempt's output. */
  output_tail: string | null;
  /** Why a kill of the running attempt was asked for; it then ends dead, without a retry. */
  kill?: string;
  /** The newest attempts: at most RUNS_KEPT finished ones, and the one running (an unclaim gives it back). */
  runs?: Run[];
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

/** The fields a new job is given; everything else starts empty. */
export type NewJob =
  & Pick<Job, "id" | "command" | "max_retries" | "priority" | "run_at" | "timeout" | "cwd" | "seq">
  & Partial<Pick<Job, "argv" | "queue" | "env" | "after" | "unique">>;

/** A freshly enqueued, pending job created at `at`: the one place that lists a job's empty fields. */
export function newJob(fields: NewJob, at: string): Job {
  // spelled out rather than spread: one object shape for every job, built fast in batches of 100,000
  const job: Job = {
    id: fields.id,
    command: fields.command,
    queue: fields.queue ?? DEFAULT_QUEUE,
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
    claim: null,
    lease_until: null,
    pid: null,
    pid_start: null,
    started_at: null,
    finished_at: null,
    output_tail: null,
  };
  // optional fields only when given, so a plain job keeps its shape (and bytes)
  if (fields.argv !== undefined) job.argv = fields.argv;
  if (fields.env !== undefined) job.env = fields.env;
  if (fields.after !== undefined) job.after = fields.after;
  if (fields.unique !== undefined) job.unique = fields.unique;
  return job;
}

/**
 * A job as read from any file of any version: fields added since (queue, claim) get their
 * neutral values. Files written by this version already hold them; the object is returned as is.
 */
export function upgradeJob(job: Job): Job {
  if (job.queue !== undefined && job.claim !== undefined) return job;
  return { ...job, queue: job.queue ?? DEFAULT_QUEUE, claim: job.claim ?? null };
}

export class TransitionError extends Error {}

export function isTerminal(state: JobState): boolean {
  return state === "completed" || state === "dead";
}

/** Pending, processing or failed: the job may still run. */
export function isLive(state: JobState): boolean {
  return state === "pending" || state === "processing" || state === "failed";
}

/** Pending or failed: a claim may take it once it is due. */
export function isWaiting(state: JobState): boolean {
  return state === "pending" || state === "failed";
}

/** Due at `nowIso`: no start time, or one that has come. */
export function isDue(job: Pick<Job, "run_at">, nowIso: string): boolean {
  return job.run_at === null || job.run_at <= nowIso;
}

/** When a waiting job became (or becomes) due: its start time, or its enqueue time when it has none. */
export function dueSince(job: Pick<Job, "run_at" | "created_at">): string {
  return job.run_at ?? job.created_at;
}

/** Claim order: higher priority first, then enqueue order. */
export function claimsBefore(a: Pick<Job, "priority" | "seq">, b: Pick<Job, "priority" | "seq">): boolean {
  return a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq;
}

/** How an attempt ends, decided once, here: the fields of its `finish` event. */
export interface Settled {
  to: "completed" | "failed" | "dead";
  exit_code: number | null;
  error: string | null;
  run_at: string | null;
}

/**
 * The end of the running attempt of `job` with `outcome`: completed on exit code 0, dead when a
 * kill was asked for or no retry is left, else failed with its retry due after the backoff.
 */
export function settle(job: Job, outcome: Outcome, config: BackoffConfig, now: Date): Settled {
  const exit_code = outcome.kind === "exited" ? outcome.code : null;
  // a job that succeeded before a kill reached it is completed: that is what happened
  if (outcome.kind === "exited" && outcome.code === 0) {
    return { to: "completed", exit_code, error: null, run_at: null };
  }
  const error = job.kill ?? describeOutcome(outcome);
  if (job.kill !== undefined || job.attempts > job.max_retries) {
    return { to: "dead", exit_code, error, run_at: null };
  }
  return { to: "failed", exit_code, error, run_at: nextRunAt(job.attempts, config, now).toISOString() };
}

export type JobEvent =
  | {
    type: "claim";
    worker: string;
    claim: number;
    lease_until: string;
    pid: number | null;
    pid_start: number | null;
    out: [string, number] | null;
    by?: [number, number | null];
  }
  | { type: "started"; worker: string; attempt: number; pid: number; pid_start: number | null }
  | { type: "renew"; lease_until: string }
  | ({
    type: "finish";
    worker: string | null;
    claim: number | null;
    tail: string | null;
    out_end: number | null;
  } & Settled)
  | { type: "unclaim"; claim: number }
  | { type: "kill"; claim: number; reason: string }
  | { type: "bury"; error: string }
  | { type: "retry" };

/** Returns the job after `event` at `at` (ISO-8601), or throws TransitionError. Never mutates. */
export function transition(job: Job, event: JobEvent, at: string): Job {
  switch (event.type) {
    case "claim": {
      if (!isWaiting(job.state)) refuse(job, event.type);
      const attempts = job.attempts + 1;
      const run: Run = {
        attempt: attempts,
        worker: event.worker,
        started_at: at,
        finished_at: null,
        out: event.out ? [event.out[0], event.out[1], null] : null,
        result: null,
      };
      const claimed: Job = {
        ...job,
        updated_at: at,
        state: "processing",
        attempts,
        worker: event.worker,
        claim: event.claim,
        lease_until: event.lease_until,
        pid: event.pid,
        pid_start: event.pid_start,
        started_at: at,
        finished_at: null,
        // trimmed when the attempt ends, so that an unclaim gives back every run the job had
        runs: [...(job.runs ?? []), run],
      };
      if (event.by) claimed.worker_proc = event.by;
      else delete claimed.worker_proc;
      return claimed;
    }
    case "started":
      // written by older versions between claim and "go"; the claim now carries the session
      if (job.state !== "processing" || job.worker !== event.worker || job.attempts !== event.attempt) {
        refuse(job, event.type);
      }
      return { ...job, updated_at: at, pid: event.pid, pid_start: event.pid_start };
    case "renew":
      if (job.state !== "processing") refuse(job, event.type);
      return { ...job, lease_until: event.lease_until };
    case "finish": {
      if (job.state !== "processing") refuse(job, event.type);
      // a claim token (null only in logs written before tokens) names the attempt it ends
      if (event.claim !== null && job.claim !== null && event.claim !== job.claim) refuse(job, event.type);
      if (event.worker !== null && job.worker !== event.worker) refuse(job, event.type);
      const runs = job.runs ? [...job.runs] : undefined;
      const last = runs?.[runs.length - 1];
      if (runs && last && last.finished_at === null) {
        runs[runs.length - 1] = {
          ...last,
          finished_at: at,
          out: last.out && event.out_end !== null ? [last.out[0], last.out[1], event.out_end] : last.out,
          result: resultText(event),
        };
      }
      const next: Job = {
        ...job,
        updated_at: at,
        state: event.to,
        exit_code: event.exit_code,
        last_error: event.error,
        run_at: event.run_at ?? job.run_at,
        worker: null,
        claim: null,
        lease_until: null,
        pid: null,
        pid_start: null,
        finished_at: at,
        output_tail: event.tail ?? job.output_tail,
      };
      if (runs) next.runs = runs.slice(-RUNS_KEPT);
      delete next.kill;
      delete next.worker_proc;
      return next;
    }
    case "unclaim": {
      if (job.state !== "processing" || job.claim !== event.claim) refuse(job, event.type);
      const attempts = job.attempts - 1;
      const next: Job = {
        ...job,
        updated_at: at,
        // the worker's own failure: the attempt is given back as if it never started
        state: attempts === 0 ? "pending" : "failed",
        attempts,
        worker: null,
        claim: null,
        lease_until: null,
        pid: null,
        pid_start: null,
        started_at: null,
        runs: job.runs?.slice(0, -1),
      };
      if (!next.runs?.length) delete next.runs;
      delete next.kill;
      delete next.worker_proc;
      return next;
    }
    case "kill":
      if (job.state !== "processing" || job.claim !== event.claim) refuse(job, event.type);
      return { ...job, updated_at: at, kill: event.reason };
    case "bury":
      if (!isWaiting(job.state)) refuse(job, event.type);
      return { ...job, updated_at: at, state: "dead", last_error: event.error, finished_at: at };
    case "retry": {
      if (job.state !== "dead") refuse(job, event.type);
      return {
        ...job,
        updated_at: at,
        state: "pending",
        attempts: 0,
        run_at: null,
        exit_code: null,
        last_error: null,
        finished_at: null,
      };
    }
  }
}

function refuse(job: Job, what: string): never {
  throw new TransitionError(`Cannot apply ${what} to job "${job.id}": it is ${job.state}`);
}

/** The run's result as `logs` shows it. */
function resultText(event: Settled): string {
  if (event.to === "completed") return "exit code 0";
  return event.error ?? (event.exit_code !== null ? `exit code ${event.exit_code}` : event.to);
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
