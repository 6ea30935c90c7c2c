/**
 * The Store seam: every queue operation the CLI, the worker and (later) the dashboard need.
 * The file store implements it now; a PostgreSQL store will implement the same interface and
 * run the same conformance suite (tests/store/store_conformance_test.ts).
 */
import type { BackoffConfig } from "../backoff.ts";
import type { Job, JobState, Outcome } from "../job.ts";
import type { CompactionResult } from "./log.ts";
import type { Counts } from "./state.ts";

export type { CompactionResult, Counts };

/** A job as the user asked for it, already validated (validate.ts). */
export interface JobSpec {
  id?: string;
  command: string;
  /** run without a shell (`command` is then its quoted form, for display) */
  argv?: string[];
  max_retries?: number;
  priority?: number;
  run_at?: string;
  timeout?: number | null;
  cwd?: string | null;
}

export interface ListQuery {
  state?: JobState;
  limit?: number;
  /** enqueue order: oldest first ("asc", the default) or newest first ("desc") */
  order?: "asc" | "desc";
  /** the seq of the last job of the previous page: the listing resumes past it, in `order` */
  past?: number;
  /** the listing ends at this seq, in `order`: jobs beyond it are not read (a bounded search) */
  through?: number;
  /** only jobs whose id or command contains this text, ignoring case */
  text?: string;
}

export interface FinishRequest {
  /** null when a rescuer takes the job back from a lost worker */
  worker: string | null;
  id: string;
  attempt: number;
  outcome: Outcome;
  tail: string | null;
  config: BackoffConfig;
}

export interface Store {
  /** Enqueues all jobs or none; a duplicate id refuses the whole batch. */
  enqueue(specs: JobSpec[], defaultMaxRetries: number): Promise<Job[]>;
  get(id: string): Promise<Job | undefined>;
  list(query?: ListQuery): Promise<Job[]>;
  counts(): Promise<Counts>;
  /**
   * Claims up to `slots` runnable jobs in claim order for `worker`, in one transaction; claims
   * nothing if `proceed()` says no when the decision is taken (a stop signal that came meanwhile).
   */
  claim(worker: string, slots: number, leaseSeconds: number, proceed?: () => boolean): Promise<Job[]>;
  /** Records the process group of a claimed attempt; false if its lease expired or it was taken back. */
  started(
    worker: string,
    id: string,
    attempt: number,
    pid: number,
    pidStart: number | null,
  ): Promise<boolean>;
  /** Records an attempt's end; null when the job is no longer held under this claim. */
  finish(request: FinishRequest): Promise<Job | null>;
  /** Extends the unexpired leases of `ids` (default: every job `worker` holds) in one record. */
  renew(worker: string, leaseSeconds: number, ids?: string[]): Promise<void>;
  /** Processing jobs whose lease has expired, or whose worker `isDead` says has died. */
  lost(isDead: (worker: string) => boolean): Promise<Job[]>;
  /**
   * Takes a lost job back as a failed attempt ("worker lost"), if it is still held under the
   * same claim and still lost; null otherwise.
   */
  takeBack(
    job: Job,
    isDead: (worker: string) => boolean,
    config: BackoffConfig,
  ): Promise<Job | null>;
  /** True while a job is runnable now or waiting for a retry. */
  hasWork(): Promise<boolean>;
  retryDead(ids: string[] | "all"): Promise<Job[]>;
  delete(ids: string[], states?: readonly JobState[]): Promise<Job[]>;
  /** Asks every worker running now to stop; returns the request's sequence number. */
  requestStop(): Promise<number>;
  stopSeq(): Promise<number>;
  /** The earliest `run_at` in the future among waiting jobs, if any. */
  nextDue(): Promise<string | null>;
  /** Sequence number of the last committed record (what a fresh worker has seen). */
  head(): Promise<number>;
  compact(): Promise<CompactionResult>;
  close(): void;
}
