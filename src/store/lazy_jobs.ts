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
import { mergeSources, type SeqSource } from "./seq_merge.ts";

/** What orders and gates a waiting job's claim (runnable.ts), as a snapshot's header gives it. */
export interface WaitKey {
  queue: string;
  priority: number;
  seq: number;
  run_at: string | null;
}

/**
 * A waiting job's claim key, read from a snapshot's header instead of its unparsed line: the job
 * `id` of line `line`, and its `run_at` in ms since the epoch (`at`; -Infinity for none), parsed
 * once when the header is read.
 */
export interface KeyedLine extends WaitKey {
  id: string;
  line: number;
  at: number;
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
 * A snapshot's job lines as its header names them, by position: line `i` (the file's line
 * `firstLine + i`) is job `ids[i]`, starts at byte `starts[i]` and ends (its newline excluded) at
 * `starts[i + 1] - 1`; `starts[ids.length]` is where the lines named so far end. `states[i]` is the
 * state the header gives it (null: none given, before version 4) and `keys.get(i)` a waiting line's
 * claim key (version 5: every waiting line has one, and no other line).
 * Columns, not an object per line: opening a snapshot of thousands of live jobs (most of them
 * dead ones kept in the DLQ) allocates nothing per line. `repeated` is called with a line whose id
 * an earlier line has (found when the id index is built; doctor checks every id at once).
 *
 * Version 6 writes the lines of jobs that may still run first and the ended ones (completed, dead)
 * after them, and names only the first in its header: `ended` says how many follow and reads
 * their directory (ids, lengths, states) when first needed, which `appendLines` adds here;
 * `starts` has room for them from the start. Its filter answers, without that read, that an id is
 * not among them.
 */
export interface SnapshotLines {
  ids: string[];
  starts: Float64Array;
  states: JobState[] | null;
  keys: Map<number, KeyedLine> | null;
  /** the file's line number of line 0: 2 (after the header), 3 from version 6 */
  firstLine: number;
  /** version 6: the first ended line (the lines before it are a run in enqueue order, and those from it) */
  split: number;
  ended: EndedLines | null;
  repeated(line: number): never;
}

/** Version 6: the ended lines that follow the lines a header names. */
export interface EndedLines {
  count: number;
  /** the first and last one's seq (null: not known without reading them) */
  seqs: { min: number; max: number } | null;
  /** false: `id` is certainly not an ended line's job (id_filter.ts) */
  mayHold(id: string): boolean;
  /** Reads and checks their directory (throws CorruptionError if it is damaged). */
  read(): LineDirectory;
}

/** Ids, lengths (bytes, newline included) and states of consecutive job lines. */
export interface LineDirectory {
  ids: string[];
  lengths: number[];
  states: JobState[];
}

/** Adds the lines of `more` after those `lines` names (their bytes follow on). */
export function appendLines(lines: SnapshotLines, more: LineDirectory): void {
  let at = lines.starts[lines.ids.length];
  for (let k = 0; k < more.ids.length; k++) {
    lines.ids.push(more.ids[k]);
    lines.states?.push(more.states[k]);
    at += more.lengths[k];
    lines.starts[lines.ids.length] = at;
  }
}

/** id → line of `lines`; calls `lines.repeated` at the first id an earlier line has. */
export function idIndex(lines: SnapshotLines): Map<string, number> {
  const index = new Map<string, number>();
  for (let i = 0; i < lines.ids.length; i++) {
    index.set(lines.ids[i], i);
    if (index.size === i) lines.repeated(lines.firstLine + i); // one lookup per id, not two
  }
  return index;
}

/**
 * Lookups by id answered by a scan of the ids before a map of them is built: with 5,850 lines a
 * scan took 0.01-0.04 ms, building the map 1.9 ms (cold code, measured 2026-12-06).
 */
const SCANS_BEFORE_INDEX = 16;

export class JobMap extends Map<string, Job> {
  #lines: SnapshotLines | null = null;
  #parse: ParseJob | null = null;
  /** 1 where line i is no longer unparsed: parsed (then in the map), replaced or deleted */
  #taken = new Uint8Array(0);
  #unparsed = 0;
  /** id → line, built on the SCANS_BEFORE_INDEX-th lookup */
  #index: Map<string, number> | null = null;
  #scans = 0;
  #snapshotNextOrder = 0;
  /** lines from here on are ended ones (version 6), in enqueue order as those before them */
  #split = 0;

  /**
   * Adds the jobs of a snapshot, their lines not parsed yet, in enqueue order (from version 6: the
   * jobs that may still run, then the ended ones); every one has a seq below `nextOrder`, and every
   * job enqueued later one at or above it.
   */
  setUnparsed(
    lines: SnapshotLines,
    parse: ParseJob,
    nextOrder: number,
    release: () => void = () => {},
  ): void {
    this.#lines = lines;
    this.#parse = parse;
    this.#release = release;
    const count = lines.ids.length + (lines.ended?.count ?? 0);
    this.#taken = new Uint8Array(count);
    this.#unparsed = count;
    this.#split = lines.split;
    this.#index = null;
    this.#scans = 0;
    this.#snapshotNextOrder = nextOrder;
    if (this.#unparsed === 0) this.#drained();
  }

  #release: () => void = () => {};

  /** Lets go of what parsing needs (an open snapshot file): once all are parsed, or the state is dropped. */
  release(): void {
    const release = this.#release;
    this.#release = () => {};
    release();
  }

  #drained(): void {
    this.#unparsed = 0;
    this.release();
  }

  /** The snapshot line of `id` (parsed or not since), or -1: ended lines are read if they may hold it. */
  #lineOf(id: string): number {
    const lines = this.#lines;
    if (!lines) return -1;
    const i = this.#named(lines, id);
    if (i >= 0 || !lines.ended || !lines.ended.mayHold(id)) return i;
    this.#readEnded();
    return this.#named(lines, id);
  }

  /** The line of `id` among the lines named so far, or -1. */
  #named(lines: SnapshotLines, id: string): number {
    if (!this.#index && ++this.#scans > SCANS_BEFORE_INDEX) this.#index = idIndex(lines);
    return this.#index ? this.#index.get(id) ?? -1 : lines.ids.indexOf(id);
  }

  /** Version 6: names the ended lines too, reading their directory (once). */
  #readEnded(): void {
    const lines = this.#lines;
    if (!lines?.ended) return;
    const more = lines.ended.read();
    lines.ended = null;
    appendLines(lines, more);
    this.#index = null;
  }

  /** The unparsed line of `id`, or -1. */
  #unparsedLine(id: string): number {
    if (this.#unparsed === 0) return -1;
    const i = this.#lineOf(id);
    return i >= 0 && this.#taken[i] === 0 ? i : -1;
  }

  /** Marks line i no longer unparsed. */
  #take(i: number): void {
    this.#taken[i] = 1;
    if (--this.#unparsed === 0) this.#drained();
  }

  /** Parses unparsed line i and keeps its job in the map. */
  #parseLine(i: number): Job {
    const lines = this.#lines!;
    const id = lines.ids[i];
    const job = this.#parse!(
      id,
      lines.starts[i],
      lines.starts[i + 1] - 1,
      lines.firstLine + i,
      lines.states?.[i] ?? null,
      lines.keys?.get(i) ?? null,
    );
    this.#take(i);
    super.set(id, job);
    return job;
  }

  /** Line i's job as it is now: parsed if it was not (undefined once deleted). */
  #atLine(i: number): Job | undefined {
    return this.#unparsed > 0 && this.#taken[i] === 0 ? this.#parseLine(i) : super.get(this.#lines!.ids[i]);
  }

  /**
   * The jobs that are not the snapshot's job lines, in enqueue order: those enqueued after it, and
   * those taken out of a pending segment since (their seq is below the snapshot's next order, and
   * the snapshot has no line of them). Only parsed ones: Map's own iterator, not ours, which would
   * parse everything.
   */
  #others(): Job[] {
    return [...Map.prototype.values.call(this) as MapIterator<Job>]
      .filter((job) => job.seq >= this.#snapshotNextOrder || this.#lineOf(job.id) < 0)
      .sort((a, b) => a.seq - b.seq);
  }

  /** Line i's job, if it is still live as that line's job. */
  #lineJob(i: number): Job | undefined {
    const job = this.#atLine(i);
    // gone, or deleted and enqueued again under the same id (then it is among the others)
    return job && job.seq < this.#snapshotNextOrder ? job : undefined;
  }

  get #lineCount(): number {
    return this.#lines?.ids.length ?? 0;
  }

  /** The jobs of lines [from, to) still live as those lines' jobs, in line order or (`desc`) reversed. */
  *#lineJobs(from: number, to: number, desc: boolean): Generator<Job> {
    for (let n = 0; n < to - from; n++) {
      const job = this.#lineJob(desc ? to - 1 - n : from + n);
      if (job) yield job;
    }
  }

  /**
   * The jobs in enqueue order (`desc`: newest first) as runs that are each in that order, for a
   * merge (seq_merge.ts; inOrder() merges them alone, a listing with the archive's and the pending
   * set's): the snapshot's lines (from version 6 two runs of them, those that may still run and the
   * ended ones) and the others. A job is parsed only when the merge reads that far, and the ended
   * lines, when the header gives their seqs, are named (their directory, line 2, read) only when
   * the merge reaches the first one's seq: a listing of the newest jobs, when every ended one is
   * older, never reads them.
   */
  runs(desc: boolean): SeqSource<Job>[] {
    const seqs = this.#lines?.ended?.seqs;
    if (!seqs) this.#readEnded();
    const others = this.#others();
    if (desc) others.reverse();
    const now = desc ? Infinity : -Infinity;
    return [
      { reach: now, open: () => this.#lineJobs(0, this.#split, desc) },
      {
        reach: this.#lines?.ended && seqs ? (desc ? seqs.max : seqs.min) : now,
        open: () => {
          this.#readEnded();
          return this.#lineJobs(this.#split, this.#lineCount, desc);
        },
      },
      { reach: now, open: () => others.values() },
    ];
  }

  *#bySeq(desc: boolean): Generator<Job> {
    yield* mergeSources(this.runs(desc), desc);
  }

  /** Jobs in enqueue order, parsing each only when the caller reads that far. */
  inOrder(): Generator<Job> {
    return this.#bySeq(false);
  }

  /** Jobs in reverse enqueue order (newest first), parsing each only when the caller reads that far. */
  inOrderDesc(): Generator<Job> {
    return this.#bySeq(true);
  }

  /** Ids (parsed or not) that start with `prefix`, without parsing any job. */
  *keysWithPrefix(prefix: string): Generator<string> {
    this.#readEnded();
    for (const id of Map.prototype.keys.call(this) as MapIterator<string>) {
      if (id.startsWith(prefix)) yield id;
    }
    for (const i of this.#unparsedLines()) {
      const id = this.#lines!.ids[i];
      if (id.startsWith(prefix)) yield id;
    }
  }

  /**
   * The unparsed lines named so far, in order (a copy: the caller may change the map meanwhile);
   * the ended lines of a version 6 snapshot only once something read them.
   */
  #unparsedLines(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.#lineCount && out.length < this.#unparsed; i++) {
      if (this.#taken[i] === 0) out.push(i);
    }
    return out;
  }

  /** True while some job is not parsed yet. */
  get lazy(): boolean {
    return this.#unparsed > 0;
  }

  /** The unparsed ids, in snapshot order. */
  unparsedIds(): string[] {
    this.#readEnded();
    return this.#unparsedLines().map((i) => this.#lines!.ids[i]);
  }

  override get(id: string): Job | undefined {
    const job = super.get(id);
    if (job !== undefined) return job;
    const i = this.#unparsedLine(id);
    return i < 0 ? undefined : this.#parseLine(i);
  }

  override has(id: string): boolean {
    return super.has(id) || this.#unparsedLine(id) >= 0;
  }

  override get size(): number {
    return super.size + this.#unparsed;
  }

  override set(id: string, job: Job): this {
    if (!super.has(id)) {
      const i = this.#unparsedLine(id);
      if (i >= 0) this.#take(i);
    }
    return super.set(id, job);
  }

  override delete(id: string): boolean {
    const i = super.has(id) ? -1 : this.#unparsedLine(id);
    if (i >= 0) this.#take(i);
    return super.delete(id) || i >= 0;
  }

  /**
   * The jobs whose state `keep` accepts, in no particular order: parsed ones as jobs, unparsed ones
   * whose header gives a state `keep` accepts as their line (not parsed), and unparsed ones whose
   * header gives no state parsed (a version 3 snapshot), then judged as jobs. It works on copies:
   * the caller may change the map between two of them. `keep` accepts no ended state (its callers
   * want jobs that may still run): the ended lines of a version 6 snapshot are not read for it.
   */
  *#byState(keep: (state: JobState) => boolean): Generator<Job | number> {
    const parsed = [...Map.prototype.values.call(this) as MapIterator<Job>];
    const states = this.#lines?.states ?? null;
    const lines = this.#unparsedLines().filter((i) => states === null || keep(states[i]));
    for (const job of parsed) if (keep(job.state)) yield job;
    for (const i of lines) {
      if (states !== null) {
        yield i;
        continue;
      }
      const job = this.#atLine(i);
      if (job && keep(job.state)) yield job;
    }
  }

  /** Line i's job as it is now, if `keep` accepts its state (an unparsed line is parsed). */
  #now(i: number, keep: (state: JobState) => boolean): Job | null {
    // unparsed when it was copied; changed or gone since: read as it is now
    const job = this.#atLine(i);
    return job && keep(job.state) ? job : null;
  }

  /**
   * The jobs that have not ended (pending, processing, failed), in no particular order. Parses
   * only the unparsed lines whose header state is one of those (every one where the header gives
   * none); ended jobs stay unparsed until something asks for them.
   */
  *unended(): Generator<Job> {
    for (const found of this.#byState(isLive)) {
      const job = typeof found === "number" ? this.#now(found, isLive) : found;
      if (job) yield job;
    }
  }

  /**
   * The ids and states of the jobs that have not ended, in no particular order, parsing only the
   * unparsed lines whose header gives no state (a version 3 snapshot).
   */
  *unendedStates(): Generator<[string, JobState]> {
    for (const found of this.#byState(isLive)) {
      yield typeof found === "number"
        ? [this.#lines!.ids[found], this.#lines!.states![found]]
        : [found.id, found.state];
    }
  }

  /**
   * The waiting (pending, failed) jobs, in no particular order: parsed ones as jobs, unparsed ones
   * as the claim key their header gives (version 5), without parsing them. An unparsed line
   * without a key whose state may be waiting (versions 3 and 4) is parsed.
   */
  *waitingKeys(): Generator<Job | KeyedLine> {
    const keys = this.#lines?.keys;
    if (!keys) {
      for (const found of this.#byState(isWaiting)) {
        const job = typeof found === "number" ? this.#now(found, isWaiting) : found;
        if (job) yield job;
      }
      return;
    }
    // the waiting lines are the keyed ones: no pass over every line (most of them, in a home
    // with a history, dead jobs kept in the DLQ); on copies, as #byState
    const parsed = [...Map.prototype.values.call(this) as MapIterator<Job>].filter((j) => isWaiting(j.state));
    const unparsed: KeyedLine[] = [];
    for (const key of keys.values()) if (this.#taken[key.line] === 0) unparsed.push(key);
    yield* parsed;
    for (const key of unparsed) {
      if (this.#taken[key.line] === 0) yield key;
      else {
        const job = this.#now(key.line, isWaiting);
        if (job) yield job;
      }
    }
  }

  /** Parses every job not parsed yet. */
  parseAll(): void {
    this.#readEnded();
    for (const i of this.#unparsedLines()) if (this.#taken[i] === 0) this.#parseLine(i);
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
