/**
 * The in-memory state and the one reducer that builds it, both at open (snapshot + replay) and
 * after a live write: state = snapshot + records.reduce(apply). Deterministic: everything a
 * record needs (times, retry delays, target states, cascades) was decided by its writer and is
 * in it.
 */
import {
  DEFAULT_QUEUE,
  isLive,
  isWaiting,
  type Job,
  JOB_STATES,
  type JobEvent,
  type JobState,
  newJob,
  transition,
  upgradeJob,
} from "../job.ts";
import type { Segment, SegmentFacts, Tombstones } from "./archive.ts";
import { JobMap } from "./lazy_jobs.ts";
import { mergeSources, type SeqSource } from "./seq_merge.ts";
import type { LogRecord, QueueSettings, Schedule } from "./records.ts";
import { DEFAULT_QUEUE_SETTINGS, isDefaultSettings } from "./queue_listing.ts";
import { PendingSet } from "./pending_set.ts";
import { RunnableIndex } from "./runnable.ts";

export type Counts = Record<JobState, number>;

export function zeroCounts(): Counts {
  return Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Counts;
}

/** The archive as one loaded state sees it (bound to its segments and tombstones by log.ts). */
export interface ArchiveView {
  get(id: string): Job | undefined;
  /** the first of `ids` that is archived, for duplicate checks */
  findAny(ids: readonly string[]): string | undefined;
  /** archived jobs in enqueue order (newest first for "desc"), only those past seq `past` if given */
  jobs(order?: "asc" | "desc", past?: number): Iterable<Job>;
  /** archived ids starting with `prefix`, sorted, at most `limit` */
  idsWithPrefix(prefix: string, limit: number): string[];
  /** every job line of one segment, hidden copies included, in seq order (prune) */
  scan(seg: Segment): Iterable<Job>;
  /** the copies in `seg` that tombstones hide */
  hiddenIn(seg: Segment): Job[];
  /** the facts of a segment written before segments kept them (one read of it) */
  learnFacts(seg: Segment): SegmentFacts;
}

export const NO_LIMIT: QueueSettings = DEFAULT_QUEUE_SETTINGS;

export class QueueState {
  /** seq of the last record applied */
  seq = 0;
  /** enqueue order of the next job */
  nextOrder = 1;
  /** seq of the latest `stop_workers` request */
  stopSeq = 0;
  /** live jobs (not archived); those of a snapshot are parsed when first asked for */
  readonly jobs = new JobMap();
  readonly counts: Counts = zeroCounts();
  /** the counts of each queue that holds or held a job (archived ones included) */
  readonly byQueue = new Map<string, Counts>();
  /** queues with settings other than the defaults (a limit or a pause) */
  readonly queues = new Map<string, QueueSettings>();
  readonly schedules = new Map<string, Schedule>();
  #waiting: Set<string> | null = new Set();
  #processing: Set<string> | null = new Set();
  #dependents: Map<string, Set<string>> | null = null;
  #uniques: Map<string, string> | null = null;
  #index: RunnableIndex | null = null;
  /** archive segments holding completed jobs that left `jobs` (archive.ts), oldest first */
  archive: Segment[] = [];
  /** deleted archived jobs: id → newest segment number when deleted */
  tombstones: Tombstones = new Map();
  /** number of the next archive segment; never reused */
  nextSegment = 1;
  /** visible archived jobs, all completed; `counts.completed` includes them */
  archived = 0;
  /** reads the archive; absent for a state that has none on disk */
  archiveView: ArchiveView | null = null;
  /** plain pending jobs that compaction moved out of `jobs` into pending segments (counted in `counts`) */
  readonly pending = new PendingSet();
  /**
   * Output files under logs/ → the attempts of existing jobs (live, waiting in pending segments or
   * archived) whose output is in them: a file no attempt points into can go (compaction). Null
   * when unknown (a snapshot from before it was kept): compaction counts it again.
   */
  outputs: Map<string, number> | null = new Map();

  /** Adds (`sign` 1) or takes away (-1) the attempts of `job` from `outputs`. */
  countRuns(job: Job, sign: number): void {
    if (!this.outputs || !job.runs) return;
    for (const run of job.runs) if (run.out) this.countOutput(run.out[0], sign);
  }

  countOutput(file: string, n: number): void {
    if (!this.outputs) return;
    const left = (this.outputs.get(file) ?? 0) + n;
    if (left > 0) this.outputs.set(file, left);
    else this.outputs.delete(file);
  }

  /** ids of pending and failed jobs (from the snapshot header's states: parses none but a version 3's) */
  get waiting(): Set<string> {
    if (!this.#waiting) this.#track();
    return this.#waiting!;
  }

  /** ids of processing jobs: the only ones lease checks look at (parsed as `waiting`) */
  get processing(): Set<string> {
    if (!this.#processing) this.#track();
    return this.#processing!;
  }

  /** Called when `jobs` gets unparsed jobs (snapshot.ts): the sets are built when first needed. */
  untracked(): void {
    this.#waiting = null;
    this.#processing = null;
    this.#dependents = null;
    this.#uniques = null;
    this.#index = null;
  }

  #track(): void {
    const waiting = new Set<string>();
    const processing = new Set<string>();
    for (const [id, state] of this.jobs.unendedStates()) {
      if (isWaiting(state)) waiting.add(id);
      else if (state === "processing") processing.add(id);
    }
    this.#waiting = waiting;
    this.#processing = processing;
  }

  /**
   * dependency id → ids of jobs that list it in `after`: every job that has not ended, and any put
   * since that ended after (read a dependent's state). Built from the jobs that have not ended,
   * so a history of ended ones stays unparsed: what the reducer and a cascade ask for is the
   * waiting dependents. Compaction, which parses every job, finds those of any state itself.
   */
  get dependents(): Map<string, Set<string>> {
    if (!this.#dependents) {
      const map = new Map<string, Set<string>>();
      for (const job of this.jobs.unended()) if (job.after) link(map, job);
      this.#dependents = map;
    }
    return this.#dependents;
  }

  /** unique key → id of the live (pending, processing or failed) job holding it */
  get uniques(): Map<string, string> {
    if (!this.#uniques) {
      const map = new Map<string, string>();
      for (const job of this.jobs.unended()) {
        if (job.unique !== undefined) map.set(job.unique, job.id);
      }
      this.#uniques = map;
    }
    return this.#uniques;
  }

  /** The claim index over the waiting jobs (runnable.ts), built when first asked for. */
  get runnable(): RunnableIndex {
    if (!this.#index) {
      const source = { job: (id: string) => this.jobs.get(id), blocked: (job: Job) => this.blocked(job) };
      this.#index = new RunnableIndex(source, this.jobs.waitingKeys());
    }
    return this.#index;
  }

  /**
   * True while a dependency of `job` has not completed. A dependency that is not live was
   * completed and archived: a dead or deleted one sends its dependents to the DLQ at once.
   */
  blocked(job: Job): boolean {
    if (!job.after) return false;
    for (const id of job.after) {
      const dep = this.jobs.get(id);
      if (dep && dep.state !== "completed") return true;
    }
    return false;
  }

  /** Live jobs in enqueue order, with `state` if given, parsing only as far as the caller reads. */
  *inOrder(state?: JobState): Generator<Job> {
    yield* mergeSources(this.liveRuns(false, state), false);
  }

  /** Live jobs in reverse enqueue order, as `inOrder`. */
  *inOrderDesc(state?: JobState): Generator<Job> {
    yield* mergeSources(this.liveRuns(true, state), true);
  }

  /**
   * Live jobs in enqueue order (newest first when `desc`), with `state` if given, as the runs a
   * listing merges with the archive's and the pending set's (lazy_jobs.ts runs()).
   */
  liveRuns(desc: boolean, state?: JobState): SeqSource<Job>[] {
    return this.jobs.runs(desc).map((run) => ({
      reach: run.reach,
      open: () => state ? withState(run.open(), state) : run.open(),
    }));
  }

  /** A job, live, archived or waiting in a pending segment. */
  find(id: string): Job | undefined {
    return this.jobs.get(id) ?? (this.archived > 0 ? this.archiveView?.get(id) : undefined) ??
      this.pending.lookup(id)?.job;
  }

  /**
   * Takes a job out of a pending segment into `jobs` (it was counted all along): a record is about
   * to change it, or it came due and claims weigh it by priority now.
   */
  adopt(job: Job): void {
    this.jobs.set(job.id, job);
    if (isWaiting(job.state)) this.#waiting?.add(job.id);
    if (job.after && this.#dependents) link(this.#dependents, job);
    this.#index?.note(job);
  }

  /** Moves plain pending jobs out of `jobs` once they are in a pending segment; counts stay. */
  segmentOut(ids: readonly string[]): void {
    for (const id of ids) {
      if (this.jobs.get(id)?.state !== "pending") throw new Error(`job "${id}" is not pending`);
      this.jobs.delete(id);
      this.#waiting?.delete(id);
    }
  }

  settings(queue: string): QueueSettings {
    return this.queues.get(queue) ?? NO_LIMIT;
  }

  /** The counts of `queue` (zero for a queue no job ever named). */
  queueCounts(queue: string): Counts {
    return this.byQueue.get(queue) ?? zeroCounts();
  }

  #queueCounts(queue: string): Counts {
    let c = this.byQueue.get(queue);
    if (!c) {
      c = zeroCounts();
      this.byQueue.set(queue, c);
    }
    return c;
  }

  /** Moves live completed jobs out of `jobs` once they are in archive segment(s); counts stay. */
  archiveOut(ids: readonly string[]): void {
    for (const id of ids) {
      const job = this.jobs.get(id);
      if (job?.state !== "completed") throw new Error(`job "${id}" is not completed`);
      // no longer anyone's dependent: a job enqueued later under its id is another job
      this.#unlink(job);
      this.jobs.delete(id);
    }
    this.archived += ids.length;
  }

  put(job: Job): void {
    const old = this.jobs.get(job.id);
    if (old) this.#untrack(old);
    // a claim adds an attempt (and may drop the oldest kept), an unclaim takes one away
    if (old?.runs !== job.runs) {
      if (old) this.countRuns(old, -1);
      this.countRuns(job, 1);
    }
    this.jobs.set(job.id, job);
    this.counts[job.state]++;
    this.#queueCounts(job.queue)[job.state]++;
    if (isWaiting(job.state)) this.#waiting?.add(job.id);
    else if (job.state === "processing") this.#processing?.add(job.id);
    if (job.after && this.#dependents) link(this.#dependents, job);
    if (job.unique !== undefined && this.#uniques && isLive(job.state)) this.#uniques.set(job.unique, job.id);
    this.#index?.note(job);
    // a dependency that completed may free its dependents
    if (job.state === "completed" && old?.state !== "completed" && this.#index) {
      for (const id of this.dependents.get(job.id) ?? []) {
        const dependent = this.jobs.get(id);
        if (dependent) this.#index.note(dependent);
      }
    }
  }

  remove(id: string): void {
    const old = this.jobs.get(id);
    if (!old) return;
    this.#untrack(old);
    this.countRuns(old, -1);
    this.#unlink(old);
    this.jobs.delete(id);
  }

  /** Takes `job` out of the dependents of the jobs it names in `after`. */
  #unlink(job: Job): void {
    if (!job.after || !this.#dependents) return;
    for (const dep of job.after) this.#dependents.get(dep)?.delete(job.id);
  }

  #untrack(job: Job): void {
    this.counts[job.state]--;
    this.#queueCounts(job.queue)[job.state]--;
    this.#waiting?.delete(job.id);
    this.#processing?.delete(job.id);
    if (job.unique !== undefined && this.#uniques?.get(job.unique) === job.id) {
      this.#uniques.delete(job.unique);
    }
  }
}

function link(map: Map<string, Set<string>>, job: Job): void {
  for (const dep of job.after!) {
    let set = map.get(dep);
    if (!set) {
      set = new Set();
      map.set(dep, set);
    }
    set.add(job.id);
  }
}

export class ApplyError extends Error {}

/** Applies one record. Throws ApplyError (leaving `state` unchanged) if it does not fit. */
export function apply(state: QueueState, rec: LogRecord): void {
  if (rec.seq !== state.seq + 1) {
    throw new ApplyError(`sequence number ${rec.seq} follows ${state.seq}`);
  }
  // decide every change first, then commit them: a record applies whole or not at all
  const changed = new Map<string, Job>();
  const loaded = new Map<string, Job>();
  const load = "load" in rec ? rec.load ?? [] : [];
  for (const [ref, job] of load) {
    const problem = state.pending.problem(ref);
    if (problem !== null) throw new ApplyError(`record ${rec.type} loads job "${job.id}": ${problem}`);
    if (state.jobs.has(job.id) || loaded.has(job.id)) {
      throw new ApplyError(`record ${rec.type} loads job "${job.id}", which is live already`);
    }
    loaded.set(job.id, upgradeJob(job));
  }
  const current = (id: string): Job => {
    const job = changed.get(id) ?? state.jobs.get(id) ?? loaded.get(id);
    if (!job) throw new ApplyError(`record ${rec.type} names unknown job "${id}"`);
    return job;
  };
  const step = (id: string, event: JobEvent) => {
    try {
      changed.set(id, transition(current(id), event, rec.at));
    } catch (e) {
      throw new ApplyError((e as Error).message);
    }
  };
  const bury = (list: Array<[string, string]> | undefined) => {
    for (const [id, error] of list ?? []) step(id, { type: "bury", error });
  };
  let removed: string[] = [];
  switch (rec.type) {
    case "enqueue": {
      // `changed` is also the set of the record's ids so far: one table of 100,000 for a batch, not two
      for (const job of rec.jobs) {
        if (state.jobs.has(job.id) || changed.has(job.id)) {
          throw new ApplyError(`record enqueue repeats job id "${job.id}"`);
        }
        changed.set(job.id, "state" in job ? upgradeJob(job) : newJob(job, rec.at));
      }
      break;
    }
    case "claim":
      rec.ids.forEach((id, i) => {
        const slot = rec.slots?.[i];
        step(id, {
          type: "claim",
          worker: rec.worker,
          claim: rec.seq,
          lease_until: rec.lease_until,
          pid: slot?.sid?.[0] ?? null,
          pid_start: slot?.sid?.[1] ?? null,
          out: slot?.out ?? null,
          ...(rec.by ? { by: rec.by } : {}),
        });
      });
      break;
    case "started":
      step(rec.id, { ...rec, type: "started" });
      break;
    case "renew":
      (rec.ids ?? [...state.processing]).forEach((id, i) => {
        const job = state.jobs.get(id);
        const claim = rec.claims?.[i];
        if (
          job?.state === "processing" && job.worker === rec.worker &&
          (claim === undefined || job.claim === claim)
        ) {
          step(id, { type: "renew", lease_until: rec.lease_until });
        }
      });
      break;
    case "finish":
      step(rec.id, {
        type: "finish",
        worker: rec.worker,
        claim: rec.claim ?? null,
        to: rec.to,
        exit_code: rec.exit_code,
        error: rec.error,
        run_at: rec.run_at,
        tail: rec.tail,
        out_end: rec.out_end ?? null,
      });
      // before tokens, an attempt was named by its number
      if (rec.claim === undefined && state.jobs.get(rec.id)!.attempts !== rec.attempt) {
        throw new ApplyError(`record finish names attempt ${rec.attempt} of job "${rec.id}"`);
      }
      bury(rec.bury);
      break;
    case "unclaim":
      step(rec.id, { type: "unclaim", claim: rec.claim });
      break;
    case "retry":
      for (const id of rec.ids) step(id, { type: "retry" });
      break;
    case "delete":
      for (const id of rec.ids) {
        if (current(id).state === "processing") {
          throw new ApplyError(`record delete names processing job "${id}"`);
        }
      }
      if ((rec.archived?.length ?? 0) > state.archived) {
        throw new ApplyError(
          `record delete names ${rec.archived!.length} archived jobs of ${state.archived}`,
        );
      }
      bury(rec.bury);
      removed = rec.ids;
      break;
    case "prune": {
      for (const id of rec.ids) {
        const state_ = current(id).state;
        if (state_ !== "completed" && state_ !== "dead") {
          throw new ApplyError(`record prune names ${state_} job "${id}"`);
        }
      }
      const known = new Set(state.archive.map((seg) => seg.n));
      for (const n of [...(rec.segments ?? []), ...(rec.facts ?? []).map(([n]) => n)]) {
        if (!known.has(n)) {
          throw new ApplyError(`record prune names archive segment ${n}, which is not in use`);
        }
      }
      const leaving = Object.values(rec.archived_queues ?? {}).reduce((a, b) => a + b, 0);
      if (leaving > state.archived || (rec.archived?.length ?? 0) > leaving) {
        throw new ApplyError(`record prune takes ${leaving} archived jobs of ${state.archived}`);
      }
      removed = rec.ids;
      break;
    }
    case "bury":
      bury(rec.jobs);
      break;
    case "kill":
      step(rec.id, { type: "kill", claim: rec.claim, reason: rec.reason });
      break;
    case "queue":
    case "schedule":
    case "tick":
    case "stop_workers":
    case "seal":
      break;
    default:
      throw new ApplyError(
        `unknown record type "${(rec as { type: string }).type}"`,
      );
  }
  if (rec.type === "tick" && !state.schedules.has(rec.name)) {
    throw new ApplyError(`record tick names unknown schedule "${rec.name}"`);
  }
  state.seq = rec.seq;
  for (const [ref, job] of load) {
    state.pending.consume(ref);
    state.adopt(loaded.get(job.id)!);
  }
  for (const job of changed.values()) state.put(job);
  if (rec.type === "enqueue") {
    for (const job of rec.jobs) {
      if (job.seq >= state.nextOrder) state.nextOrder = job.seq + 1;
    }
  }
  for (const id of removed) state.remove(id);
  switch (rec.type) {
    case "stop_workers":
      state.stopSeq = rec.seq;
      break;
    case "delete":
      for (const id of rec.archived ?? []) state.tombstones.set(id, state.nextSegment - 1);
      state.archived -= rec.archived?.length ?? 0;
      state.counts.completed -= rec.archived?.length ?? 0;
      // before queues (0.2) every archived job was in the default queue
      for (
        const [queue, n] of Object.entries(
          rec.archived_queues ?? (rec.archived?.length ? { [DEFAULT_QUEUE]: rec.archived.length } : {}),
        )
      ) {
        const c = state.byQueue.get(queue);
        if (c) c.completed -= n;
      }
      for (const [file, n] of Object.entries(rec.outs ?? {})) state.countOutput(file, -n);
      break;
    case "prune": {
      const facts = new Map(rec.facts ?? []);
      const dropped = new Set(rec.segments ?? []);
      state.archive = state.archive.filter((seg) => !dropped.has(seg.n)).map((seg) =>
        facts.has(seg.n) ? { ...seg, facts: facts.get(seg.n)! } : seg
      );
      for (const id of rec.archived ?? []) state.tombstones.set(id, state.nextSegment - 1);
      for (const [queue, n] of Object.entries(rec.archived_queues ?? {})) {
        state.archived -= n;
        state.counts.completed -= n;
        const c = state.byQueue.get(queue);
        if (c) c.completed -= n;
      }
      for (const [file, n] of Object.entries(rec.outs ?? {})) state.countOutput(file, -n);
      break;
    }
    case "queue": {
      const was = state.settings(rec.name);
      const now = { concurrency: rec.concurrency ?? was.concurrency, paused: rec.paused ?? was.paused };
      // back to the defaults: nothing to keep (queue_listing.ts: such a queue is listed only while it has a job)
      if (isDefaultSettings(now)) state.queues.delete(rec.name);
      else state.queues.set(rec.name, now);
      break;
    }
    case "schedule":
      if (rec.schedule) state.schedules.set(rec.name, rec.schedule);
      else state.schedules.delete(rec.name);
      break;
    case "tick":
      state.schedules.set(rec.name, { ...state.schedules.get(rec.name)!, last_tick: rec.tick });
      break;
  }
}

/** The jobs of `jobs` (in order) in `state`. */
function* withState(jobs: Iterator<Job>, state: JobState): Generator<Job> {
  for (let r = jobs.next(); !r.done; r = jobs.next()) if (r.value.state === state) yield r.value;
}
