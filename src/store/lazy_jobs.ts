/**
 * The live jobs of a state, parsed on demand. A snapshot of 10,000 live jobs takes tens of
 * milliseconds to parse, which a `status` or `show` does not need: opening keeps each job's
 * sealed line unparsed (its id and, from snapshot version 4, its state come from the snapshot's
 * header), and a job is parsed, its checksum checked, the first time anything asks for it.
 * Iterating parses them all; `unended()` parses only the jobs whose state says they may still run,
 * so a history of dead jobs costs a claim nothing; `unendedStates()` and `waitingKeys()` (from
 * version 5, whose header gives each waiting job's claim key) parse none, so a claim parses only
 * the jobs it inspects.
 */
import { isLive, isWaiting, type Job, type JobState } from "../job.ts";

/** What orders and gates a waiting job's claim (runnable.ts), as a snapshot's header gives it. */
export interface WaitKey {
  queue: string;
  priority: number;
  seq: number;
  run_at: string | null;
}

/**
 * Parses (and checks) the line of job `id`; throws CorruptionError if it is damaged, if the
 * job's state is not `state` (the header's word for it; null where the header has none), or if
 * its claim key is not `key` (given for a waiting job from version 5).
 */
export type ParseJob = (
  id: string,
  start: number,
  end: number,
  line: number,
  state: JobState | null,
  key?: WaitKey | null,
) => Job;

/**
 * Where a job's unparsed line is, the state its snapshot's header gives it (null: not given) and,
 * for a waiting job from version 5, its claim key (null or absent: not given).
 */
export type RawLine = [
  start: number,
  end: number,
  line: number,
  state: JobState | null,
  key?: WaitKey | null,
];

/** A waiting job's claim key, read from a snapshot's header instead of its unparsed line. */
export type KeyedLine = WaitKey & { id: string };

export class JobMap extends Map<string, Job> {
  #raw: Map<string, RawLine> | null = null;
  #parse: ParseJob | null = null;

  #snapshotIds: string[] = [];
  #snapshotNextOrder = 0;

  /**
   * Adds the jobs of a snapshot, their lines not parsed yet, in enqueue order; every one has a
   * seq below `nextOrder`, and every job enqueued later one at or above it.
   */
  setUnparsed(
    raw: Map<string, RawLine>,
    parse: ParseJob,
    nextOrder: number,
    release: () => void = () => {},
  ): void {
    this.#raw = raw.size ? raw : null;
    this.#parse = parse;
    this.#release = release;
    this.#snapshotIds = [...raw.keys()];
    this.#lineIds = null;
    this.#snapshotNextOrder = nextOrder;
  }

  #release: () => void = () => {};

  /** Lets go of what parsing needs (an open snapshot file): once all are parsed, or the state is dropped. */
  release(): void {
    const release = this.#release;
    this.#release = () => {};
    release();
  }

  #drained(): void {
    this.#raw = null;
    this.release();
  }

  #lineIds: Set<string> | null = null;

  /**
   * The jobs that are not the snapshot's job lines, in enqueue order: those enqueued after it, and
   * those taken out of a pending segment since (their seq is below the snapshot's next order, and
   * the snapshot has no line of them). Only parsed ones: Map's own iterator, not ours, which would
   * parse everything.
   */
  #others(): Job[] {
    this.#lineIds ??= new Set(this.#snapshotIds);
    const lines = this.#lineIds;
    return [...Map.prototype.values.call(this) as MapIterator<Job>]
      .filter((job) => job.seq >= this.#snapshotNextOrder || !lines.has(job.id))
      .sort((a, b) => a.seq - b.seq);
  }

  /** A snapshot line's job, if it is still live as that line's job. */
  #lineJob(id: string): Job | undefined {
    const job = this.get(id);
    // gone, or deleted and enqueued again under the same id (then it is among the others)
    return job && job.seq < this.#snapshotNextOrder ? job : undefined;
  }

  /** Jobs in enqueue order, parsing each only when the caller reads that far. */
  *inOrder(): Generator<Job> {
    const others = this.#others();
    let k = 0;
    for (const id of this.#snapshotIds) {
      const job = this.#lineJob(id);
      if (!job) continue;
      while (k < others.length && others[k].seq < job.seq) yield others[k++];
      yield job;
    }
    while (k < others.length) yield others[k++];
  }

  /** Jobs in reverse enqueue order (newest first), parsing each only when the caller reads that far. */
  *inOrderDesc(): Generator<Job> {
    const others = this.#others();
    let k = others.length - 1;
    for (let i = this.#snapshotIds.length - 1; i >= 0; i--) {
      const job = this.#lineJob(this.#snapshotIds[i]);
      if (!job) continue;
      while (k >= 0 && others[k].seq > job.seq) yield others[k--];
      yield job;
    }
    while (k >= 0) yield others[k--];
  }

  /** Ids (parsed or not) that start with `prefix`, without parsing any job. */
  *keysWithPrefix(prefix: string): Generator<string> {
    for (const id of Map.prototype.keys.call(this) as MapIterator<string>) {
      if (id.startsWith(prefix)) yield id;
    }
    if (this.#raw) { for (const id of this.#raw.keys()) if (id.startsWith(prefix)) yield id; }
  }

  /** True while some job is not parsed yet. */
  get lazy(): boolean {
    return this.#raw !== null;
  }

  /** The unparsed ids, in enqueue order (snapshot order). */
  unparsedIds(): string[] {
    return this.#raw ? [...this.#raw.keys()] : [];
  }

  override get(id: string): Job | undefined {
    const job = super.get(id);
    if (job !== undefined || this.#raw === null) return job;
    const at = this.#raw.get(id);
    if (!at) return undefined;
    const parsed = this.#parse!(id, ...at);
    this.#raw.delete(id);
    if (this.#raw.size === 0) this.#drained();
    super.set(id, parsed);
    return parsed;
  }

  override has(id: string): boolean {
    return super.has(id) || (this.#raw?.has(id) ?? false);
  }

  override get size(): number {
    return super.size + (this.#raw?.size ?? 0);
  }

  override set(id: string, job: Job): this {
    if (this.#raw?.delete(id) && this.#raw.size === 0) this.#drained();
    return super.set(id, job);
  }

  override delete(id: string): boolean {
    const raw = this.#raw?.delete(id) ?? false;
    if (this.#raw?.size === 0) this.#drained();
    return super.delete(id) || raw;
  }

  /**
   * The jobs whose state `keep` accepts, in no particular order: parsed ones as jobs, unparsed ones
   * whose header gives a state `keep` accepts as their id and raw line (not parsed), and unparsed
   * ones whose header gives no state parsed (a version 3 snapshot), then judged as jobs. It works
   * on copies: the caller may change the map between two of them.
   */
  *#byState(keep: (state: JobState) => boolean): Generator<Job | [string, RawLine]> {
    const parsed = [...Map.prototype.values.call(this) as MapIterator<Job>];
    const raw = this.#raw ? [...this.#raw] : [];
    for (const job of parsed) if (keep(job.state)) yield job;
    for (const [id, line] of raw) {
      const state = line[3];
      if (state !== null) {
        if (keep(state)) yield [id, line];
        continue;
      }
      const job = this.get(id);
      if (job && keep(job.state)) yield job;
    }
  }

  /** Job `id` as it is now, if `keep` accepts its state (an unparsed line is parsed). */
  #now(id: string, keep: (state: JobState) => boolean): Job | null {
    // unparsed when it was copied; changed or gone since: read as it is now
    const job = this.get(id);
    return job && keep(job.state) ? job : null;
  }

  /**
   * The jobs that have not ended (pending, processing, failed), in no particular order. Parses
   * only the unparsed lines whose header state is one of those (every one where the header gives
   * none); ended jobs stay unparsed until something asks for them.
   */
  *unended(): Generator<Job> {
    for (const found of this.#byState(isLive)) {
      const job = Array.isArray(found) ? this.#now(found[0], isLive) : found;
      if (job) yield job;
    }
  }

  /**
   * The ids and states of the jobs that have not ended, in no particular order, parsing only the
   * unparsed lines whose header gives no state (a version 3 snapshot).
   */
  *unendedStates(): Generator<[string, JobState]> {
    for (const found of this.#byState(isLive)) {
      yield Array.isArray(found) ? [found[0], found[1][3]!] : [found.id, found.state];
    }
  }

  /**
   * The waiting (pending, failed) jobs, in no particular order: parsed ones as jobs, unparsed ones
   * as the claim key their header gives (version 5), without parsing them. An unparsed line
   * without a key whose state may be waiting (versions 3 and 4) is parsed.
   */
  *waitingKeys(): Generator<Job | KeyedLine> {
    for (const found of this.#byState(isWaiting)) {
      if (!Array.isArray(found)) {
        yield found;
        continue;
      }
      const [id, line] = found;
      const key = line[4];
      const job = key ? { id, ...key } : this.#now(id, isWaiting);
      if (job) yield job;
    }
  }

  /** Parses every job not parsed yet. */
  parseAll(): void {
    for (const id of this.unparsedIds()) this.get(id);
  }

  override values(): MapIterator<Job> {
    this.parseAll();
    return super.values();
  }

  override keys(): MapIterator<string> {
    this.parseAll();
    return super.keys();
  }

  override entries(): MapIterator<[string, Job]> {
    this.parseAll();
    return super.entries();
  }

  override [Symbol.iterator](): MapIterator<[string, Job]> {
    return this.entries();
  }

  override forEach(fn: (job: Job, id: string, map: Map<string, Job>) => void, self?: unknown): void {
    this.parseAll();
    super.forEach(fn, self);
  }
}
