/**
 * The in-memory state and the one reducer that builds it, both at open (snapshot + replay) and
 * after a live write: state = snapshot + records.reduce(apply). Deterministic: everything a
 * record needs (times, retry delays, the target state) was decided by its writer and is in it.
 */
import { type Job, JOB_STATES, type JobState, newJob, transition } from "../job.ts";
import type { Segment, Tombstones } from "./archive.ts";
import { JobMap } from "./lazy_jobs.ts";
import type { LogRecord } from "./records.ts";

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
}

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
  #waiting: Set<string> | null = new Set();
  #processing: Set<string> | null = new Set();
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

  /** ids of pending and failed jobs: the only ones a claim looks at (parses every live job once) */
  get waiting(): Set<string> {
    if (!this.#waiting) this.#track();
    return this.#waiting!;
  }

  /** ids of processing jobs: the only ones lease checks look at (parses every live job once) */
  get processing(): Set<string> {
    if (!this.#processing) this.#track();
    return this.#processing!;
  }

  /** Called when `jobs` gets unparsed jobs (snapshot.ts): the sets are built when first needed. */
  untracked(): void {
    this.#waiting = null;
    this.#processing = null;
  }

  #track(): void {
    const waiting = new Set<string>();
    const processing = new Set<string>();
    for (const job of this.jobs.values()) {
      if (job.state === "pending" || job.state === "failed") waiting.add(job.id);
      else if (job.state === "processing") processing.add(job.id);
    }
    this.#waiting = waiting;
    this.#processing = processing;
  }

  /** Live jobs in enqueue order, with `state` if given, parsing only as far as the caller reads. */
  *inOrder(state?: JobState): Generator<Job> {
    for (const job of this.jobs.inOrder()) if (!state || job.state === state) yield job;
  }

  /** Live jobs in reverse enqueue order, as `inOrder`. */
  *inOrderDesc(state?: JobState): Generator<Job> {
    for (const job of this.jobs.inOrderDesc()) if (!state || job.state === state) yield job;
  }

  /** A job, live or archived. */
  find(id: string): Job | undefined {
    return this.jobs.get(id) ?? (this.archived > 0 ? this.archiveView?.get(id) : undefined);
  }

  /** Moves live completed jobs out of `jobs` once they are in archive segment(s); counts stay. */
  archiveOut(ids: readonly string[]): void {
    for (const id of ids) {
      if (this.jobs.get(id)?.state !== "completed") throw new Error(`job "${id}" is not completed`);
      this.jobs.delete(id);
    }
    this.archived += ids.length;
  }

  put(job: Job): void {
    const old = this.jobs.get(job.id);
    if (old) this.untrack(old);
    this.jobs.set(job.id, job);
    this.counts[job.state]++;
    if (job.state === "pending" || job.state === "failed") {
      this.#waiting?.add(job.id);
    } else if (job.state === "processing") this.#processing?.add(job.id);
  }

  remove(id: string): void {
    const old = this.jobs.get(id);
    if (!old) return;
    this.untrack(old);
    this.jobs.delete(id);
  }

  private untrack(job: Job): void {
    this.counts[job.state]--;
    this.#waiting?.delete(job.id);
    this.#processing?.delete(job.id);
  }
}

export class ApplyError extends Error {}

/** Applies one record. Throws ApplyError (leaving `state` unchanged) if it does not fit. */
export function apply(state: QueueState, rec: LogRecord): void {
  if (rec.seq !== state.seq + 1) {
    throw new ApplyError(`sequence number ${rec.seq} follows ${state.seq}`);
  }
  const need = (id: string): Job => {
    const job = state.jobs.get(id);
    if (!job) {
      throw new ApplyError(`record ${rec.type} names unknown job "${id}"`);
    }
    return job;
  };
  // decide every change first, then commit them: a record applies whole or not at all
  const changed: Job[] = [];
  const step = (fn: () => Job) => {
    try {
      changed.push(fn());
    } catch (e) {
      throw new ApplyError((e as Error).message);
    }
  };
  let removed: string[] = [];
  switch (rec.type) {
    case "enqueue": {
      const ids = new Set<string>();
      for (const job of rec.jobs) {
        if (state.jobs.has(job.id) || ids.has(job.id)) {
          throw new ApplyError(`record enqueue repeats job id "${job.id}"`);
        }
        ids.add(job.id);
      }
      for (const job of rec.jobs) changed.push("state" in job ? job : newJob(job, rec.at));
      break;
    }
    case "claim":
      for (const id of rec.ids) {
        step(() =>
          transition(need(id), {
            type: "claim",
            worker: rec.worker,
            lease_until: rec.lease_until,
          }, rec.at)
        );
      }
      break;
    case "started":
      step(() => transition(need(rec.id), { ...rec, type: "started" }, rec.at));
      break;
    case "renew":
      for (const id of rec.ids ?? state.processing) {
        const job = state.jobs.get(id);
        if (job?.state === "processing" && job.worker === rec.worker) {
          step(() =>
            transition(
              job,
              { type: "renew", lease_until: rec.lease_until },
              rec.at,
            )
          );
        }
      }
      break;
    case "finish":
      step(() => transition(need(rec.id), { ...rec, type: "finish" }, rec.at));
      break;
    case "retry":
      for (const id of rec.ids) {
        step(() => transition(need(id), { type: "retry" }, rec.at));
      }
      break;
    case "delete":
      for (const id of rec.ids) {
        if (need(id).state === "processing") {
          throw new ApplyError(`record delete names processing job "${id}"`);
        }
      }
      if ((rec.archived?.length ?? 0) > state.archived) {
        throw new ApplyError(
          `record delete names ${rec.archived!.length} archived jobs of ${state.archived}`,
        );
      }
      removed = rec.ids;
      break;
    case "stop_workers":
    case "seal":
      break;
    default:
      throw new ApplyError(
        `unknown record type "${(rec as { type: string }).type}"`,
      );
  }
  state.seq = rec.seq;
  if (rec.type === "stop_workers") state.stopSeq = rec.seq;
  for (const job of changed) state.put(job);
  if (rec.type === "enqueue") {
    for (const job of rec.jobs) {
      if (job.seq >= state.nextOrder) state.nextOrder = job.seq + 1;
    }
  }
  for (const id of removed) state.remove(id);
  if (rec.type === "delete") {
    for (const id of rec.archived ?? []) state.tombstones.set(id, state.nextSegment - 1);
    state.archived -= rec.archived?.length ?? 0;
    state.counts.completed -= rec.archived?.length ?? 0;
  }
}
