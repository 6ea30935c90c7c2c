/**
 * The records of the write-ahead log: events, never whole-table rewrites. Each carries `seq`
 * (contiguous, +1 per record across generations) and `at` (ISO-8601 UTC, the writer's clock).
 * A record is one line, so a transaction (a batch enqueue, a batch claim) is all or nothing.
 * Fields marked "since 0.2" are absent from logs written before; the reducer reads both.
 */
import type { Job, NewJob } from "../job.ts";
import type { SegmentFacts } from "./archive.ts";

/** Where a job stood in a pending segment's claim order: segment number, list, position. */
export type SegRef = [seg: number, list: number, pos: number];

/**
 * Jobs a record first takes out of pending segments (each with its place there and the job as
 * stored), so that what follows in the record finds them among the live jobs.
 */
export type Loaded = Array<[SegRef, Job]>;

/** A job's place in a claim: the session it runs in and where its output starts (since 0.2). */
export interface ClaimSlot {
  /** the slot runner's pid (a session leader) and its start time: what a rescuer kills */
  sid: [pid: number, start: number | null] | null;
  /** the slot's output file (under logs/) and the offset where this attempt's output starts */
  out: [file: string, start: number] | null;
}

/** A cron schedule: enqueues one job per tick (decide/schedule.ts). */
export interface Schedule {
  name: string;
  cron: string;
  /** IANA time zone the cron expression is read in */
  tz: string;
  paused: boolean;
  /**
   * the job each tick enqueues (its id is NAME@tick); without `max_retries`, the ticking worker's
   * config max-retries applies
   */
  job: Omit<NewJob, "id" | "seq" | "run_at" | "max_retries"> & { max_retries?: number };
  created_at: string;
  /** the latest tick that enqueued (or found) its job; ticks up to it are done */
  last_tick: string | null;
}

export interface QueueSettings {
  /** at most this many of its jobs processing at once, across all workers (0: no limit) */
  concurrency: number;
  paused: boolean;
}

export type RecordBody =
  /**
   * new jobs as given (their empty fields are implied, created_at is `at`); older logs hold whole
   * jobs. `load`: dependencies taken out of pending segments (a job others wait for is live)
   */
  | { type: "enqueue"; jobs: Array<NewJob | Job>; load?: Loaded }
  /**
   * `ids` claimed by `worker`; the record's seq is the claim token of each. Since 0.2: `by` is the
   * worker's pid and start time, `slots` (parallel to `ids`) where each runs, `load` the jobs
   * taken from pending segments.
   */
  | {
    type: "claim";
    worker: string;
    lease_until: string;
    ids: string[];
    by?: [pid: number, start: number | null];
    slots?: ClaimSlot[];
    load?: Loaded;
  }
  /** written by versions before 0.2 once the attempt's process group existed */
  | {
    type: "started";
    worker: string;
    id: string;
    attempt: number;
    pid: number;
    pid_start: number | null;
  }
  /** extends the leases of `ids` (all jobs the worker holds when absent); `claims` parallel to ids (0.2) */
  | { type: "renew"; worker: string; lease_until: string; ids?: string[]; claims?: number[] }
  | {
    type: "finish";
    id: string;
    /** null when the job is taken back from a lost worker */
    worker: string | null;
    attempt: number;
    /** the claim token of the attempt (since 0.2) */
    claim?: number;
    to: "completed" | "failed" | "dead";
    exit_code: number | null;
    error: string | null;
    run_at: string | null;
    tail: string | null;
    /** where the attempt's output ends in its slot file (since 0.2) */
    out_end?: number;
    /** dependents that go to the DLQ with it, and why (since 0.2) */
    bury?: Array<[id: string, error: string]>;
  }
  /** the worker could not run the attempt for a reason of its own: given back, not counted */
  | { type: "unclaim"; id: string; claim: number }
  | { type: "retry"; ids: string[] }
  /** `ids` are live jobs; `archived` are completed jobs in archive segments (tombstoned) */
  | {
    type: "delete";
    ids: string[];
    archived?: string[];
    /** how many of `archived` each queue held (since 0.2; before, all were in the default queue) */
    archived_queues?: Record<string, number>;
    load?: Loaded;
    bury?: Array<[id: string, error: string]>;
    /** attempts leaving each output file with the `archived` jobs (since 0.2; live jobs' runs are in the state) */
    outs?: Record<string, number>;
  }
  /**
   * Retention (decide/prune.ts): finished jobs that finished before a cutoff leave. `ids` are live
   * completed or dead jobs; `archived` archived jobs, tombstoned one by one; `segments` archive
   * segments dropped whole (every job in them is older than the cutoff). `archived_queues` counts
   * the visible archived jobs leaving per queue (tombstoned and dropped), `outs` their attempts per
   * output file; `facts` are facts of segments written before segments kept them, learned now.
   */
  | {
    type: "prune";
    ids: string[];
    archived?: string[];
    segments?: number[];
    archived_queues?: Record<string, number>;
    outs?: Record<string, number>;
    facts?: Array<[n: number, facts: SegmentFacts]>;
  }
  /** waiting jobs sent to the DLQ without running: cancelled, or a dependency failed */
  | { type: "bury"; jobs: Array<[id: string, error: string]>; load?: Loaded }
  /** ask the worker holding claim `claim` of job `id` to kill it; it then ends dead with `reason` */
  | { type: "kill"; id: string; claim: number; reason: string }
  | { type: "queue"; name: string; concurrency?: number; paused?: boolean }
  /** adds, replaces (a schedule) or removes (null) schedule `name` */
  | { type: "schedule"; name: string; schedule: Schedule | null }
  /** schedule `name` handled tick `tick` (the tick's enqueue, if any, is in the same transaction) */
  | { type: "tick"; name: string; tick: string }
  | { type: "stop_workers" }
  /** Last record of a generation: state as of here is in snapshot `next_gen`. */
  | { type: "seal"; next_gen: number };

export type LogRecord = RecordBody & { seq: number; at: string };

export const RECORD_TYPES: ReadonlySet<string> = new Set([
  "enqueue",
  "claim",
  "started",
  "renew",
  "finish",
  "unclaim",
  "retry",
  "delete",
  "prune",
  "bury",
  "kill",
  "queue",
  "schedule",
  "tick",
  "stop_workers",
  "seal",
]);
