/**
 * The Store seam: every queue operation the CLI, the worker and the dashboard need, in the
 * words of the domain (jobs, claims, queues, schedules), never of files. The file store
 * (file_store.ts) implements it now; a PostgreSQL store will implement the same interface and
 * run the same conformance suite (tests/store/store_conformance.ts).
 *
 * Contracts every implementation keeps:
 * - a user's command (enqueue, retry, delete, cancel, kill, queue and schedule changes, stop) is
 *   durable when its promise resolves; a worker's (claim, renew, finish, unclaim, takeBack, tick)
 *   is visible to every process at once and survives any process crash;
 * - every write that acts on a running attempt names its claim token and changes nothing when
 *   the job is no longer held under that claim;
 * - refusals throw a QueueError (errors.ts) before anything is written.
 */
import type { Job, JobState } from "../job.ts";
import type { CompactionResult } from "./compaction.ts";
import type { ClaimRequest } from "./decide/claim.ts";
import type { EnqueueDefaults, EnqueueResult } from "./decide/enqueue.ts";
import type { CascadeResult } from "./decide/manage.ts";
import type { FinishRequest } from "./decide/finish.ts";
import type { TickResult } from "./decide/schedule.ts";
import type { PruneRequest, PruneResult } from "./decide/prune.ts";
import type { QueueSettings, Schedule } from "./records.ts";
import type { Counts } from "./state.ts";

export type {
  CascadeResult,
  ClaimRequest,
  CompactionResult,
  Counts,
  EnqueueDefaults,
  EnqueueResult,
  FinishRequest,
  PruneRequest,
  PruneResult,
  QueueSettings,
  Schedule,
  TickResult,
};

/** A job as the user asked for it, already validated (validate.ts). */
export interface JobSpec {
  id?: string;
  command: string;
  /** run without a shell (`command` is then its quoted form, for display) */
  argv?: string[];
  queue?: string;
  max_retries?: number;
  priority?: number;
  /** earliest start; absent or null: as soon as possible */
  run_at?: string | null;
  timeout?: number | null;
  cwd?: string | null;
  env?: Record<string, string>;
  after?: string[];
  unique?: string;
}

export interface ListQuery {
  state?: JobState;
  queue?: string;
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

/** A queue as `queue list` shows it: its settings and its counts per state. */
export interface QueueInfo extends QueueSettings {
  name: string;
  counts: Counts;
}

export interface Store {
  /**
   * Enqueues all jobs or none; a duplicate id refuses the whole batch. A job with a unique key
   * held by a live job creates nothing: its result is that job, marked `existing`.
   */
  enqueue(specs: JobSpec[], defaults: EnqueueDefaults): Promise<EnqueueResult[]>;
  get(id: string): Promise<Job | undefined>;
  /** Ids of jobs (live or archived) that start with `prefix`, at most `limit`, sorted. */
  idsWithPrefix(prefix: string, limit: number): Promise<string[]>;
  list(query?: ListQuery): Promise<Job[]>;
  counts(): Promise<Counts>;
  /**
   * The queues listed by the one rule of queue_listing.ts (`queueListed`): those with a job in any
   * state, archived ones counted, or a setting other than the default; sorted by name.
   */
  queues(): Promise<QueueInfo[]>;
  /** Changes a queue's concurrency limit or paused flag (the others stay). */
  setQueue(name: string, change: Partial<QueueSettings>): Promise<QueueSettings>;

  // ---- workers
  /**
   * Claims up to `slots.length` due jobs in claim order for `worker`, in one transaction; claims
   * nothing if `proceed()` says no when the decision is taken (a stop signal that came meanwhile),
   * nor once a stop request was recorded after `stopsAfter`.
   */
  claim(request: ClaimRequest, proceed?: () => boolean): Promise<Job[]>;
  /** Records an attempt's end; null when the job is no longer held under this claim. */
  finish(request: FinishRequest): Promise<Job | null>;
  /** Gives an attempt back without counting it (the worker could not run it); null if not held. */
  unclaim(worker: string, id: string, claim: number): Promise<Job | null>;
  /** Extends the leases of the attempts `worker` still holds among `holds` ([id, claim]). */
  renew(worker: string, leaseSeconds: number, holds: ReadonlyArray<readonly [string, number]>): Promise<void>;
  /** Every processing job (rescuers judge whose worker is gone). */
  processing(): Promise<Job[]>;
  /** Jobs `worker` holds whose kill was asked for. */
  killRequests(worker: string): Promise<Job[]>;
  /** True while a job of these queues (default: all) is due now or waiting for a retry. */
  hasWork(queues?: readonly string[]): Promise<boolean>;
  /** The earliest start time in the future among waiting jobs, if any. */
  nextDue(): Promise<string | null>;

  // ---- the user's commands on jobs
  retryDead(ids: string[] | "all"): Promise<Job[]>;
  delete(ids: string[], states?: readonly JobState[]): Promise<CascadeResult>;
  /**
   * Sends waiting (pending or failed) jobs to the DLQ as "cancelled", all or none, and with them
   * every waiting job that depends on one, directly or not: both are returned, as they are now.
   */
  cancel(ids: string[]): Promise<CascadeResult>;
  /**
   * Enqueues a copy of the finished (completed or dead) job `id` under a new id and returns it:
   * same command or argv, queue, env, cwd, priority, max_retries, timeout and unique key; due at
   * once, without dependencies. Refused when the job is not finished, or when its unique key is
   * held by a live job.
   */
  rerun(id: string): Promise<Job>;
  /** Asks the workers running these jobs to kill them; they then end dead with `reason`. */
  kill(ids: string[], reason?: string): Promise<Job[]>;
  /**
   * The waiting jobs that depend on one of `ids`, directly or through others, as they are now:
   * those that go to the DLQ with them should they end dead.
   */
  dependents(ids: string[]): Promise<Job[]>;

  // ---- schedules
  schedules(): Promise<Schedule[]>;
  addSchedule(schedule: Schedule): Promise<Schedule>;
  removeSchedule(name: string): Promise<Schedule>;
  /**
   * Pauses or resumes a schedule; a resume with `skipThrough` (an ISO tick) counts the ticks up to
   * it as done, so the ones missed while paused do not run.
   */
  pauseSchedule(name: string, paused: boolean, skipThrough?: string | null): Promise<Schedule>;
  /** Schedule `name` fires for `tick`: enqueues its job once, whoever calls (a worker). */
  tick(name: string, tick: string, maxRetries: number): Promise<TickResult>;

  // ---- the home
  /** Asks every worker running now to stop; returns the request's sequence number. */
  requestStop(): Promise<number>;
  stopSeq(): Promise<number>;
  /** Sequence number of the last committed record: it moves with every change. */
  head(): Promise<number>;
  /**
   * Folds the log into a new starting point now. Refused with a NoStoreError (errors.ts), creating
   * nothing, when nothing was ever written to the store: there is nothing to compact.
   */
  compact(): Promise<CompactionResult>;
  /**
   * Retention: removes one batch of the completed and dead jobs that finished before the cutoffs,
   * with their output once no other job needs it; `more` says when another call is needed.
   * Durable when it resolves.
   */
  prune(request: PruneRequest): Promise<PruneResult>;
  close(): void;
}
