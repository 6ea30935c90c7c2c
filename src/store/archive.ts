/**
 * The archive: completed jobs that compaction moved out of the live state, so that snapshots, and
 * the memory of every process, hold only the jobs that can still change. A CLI call then costs
 * what the live queue costs, not what the history costs.
 *
 *   archive-N.jobs   completed jobs, one sealed line each (codec.ts), in enqueue order (seq)
 *   archive-N.index  one line per job, sorted by id: `<id> <offset> <length> <crc8>\n`, where the
 *                    CRC-32 covers the text before its last space; ids never contain spaces
 *
 * Both files of a segment are written once (archive_write.ts: temp name, fsync, rename, directory
 * fsync) and never changed. The snapshot names the segments in use, with their sizes; a segment it does not name
 * is left over from a crash or a merge and is removed by the next compaction. A lookup bisects
 * each segment's index by byte position (an index line is short, so a small window around the
 * midpoint always holds a whole line), newest segment first.
 *
 * Deleting an archived job records a tombstone: id → the newest segment number at that time. A
 * copy of the id in a segment numbered at or below it is hidden; a later copy (the id enqueued
 * again, completed and archived) is not. Merging segments drops hidden copies and gives the
 * result a new, higher number, so what is visible never changes.
 */
import type { Job } from "../job.ts";
import { checkedLine, checkedText, decodeLine, splitLines } from "./codec.ts";
import { readAt } from "../durable.ts";
import type { HomePaths } from "./paths.ts";
import { ascending, descending, mergeBySeq } from "./seq_merge.ts";
import {
  type Corrupt,
  firstLineAbove,
  firstLineWhere,
  type LineAt,
  linesBackward,
  linesForward,
  narrowIndex,
  SCAN_BYTES,
  segmentCorrupt,
  SegmentFiles,
  WINDOW,
} from "./segment_lines.ts";

export interface Segment {
  n: number;
  jobs: number;
  /** size of the .jobs file */
  bytes: number;
  /** size of the .index file */
  index_bytes: number;
  /**
   * Ranges of the segment's seqs and ids. Jobs finish roughly in the order they were enqueued,
   * and generated ids begin with their time, so these ranges let most reads skip most segments.
   */
  min_seq: number;
  max_seq: number;
  min_id: string;
  max_id: string;
  /**
   * What prune needs to know of the segment without reading it (since 0.2; a segment written before
   * is read once to learn it, see `learnFacts`). Over all its jobs, hidden copies included.
   */
  facts?: SegmentFacts;
}

/** Facts of a segment's jobs (all of them, hidden copies included). */
export interface SegmentFacts {
  /** the oldest and newest `finished_at` (null: no job has one) */
  min_finished: string | null;
  max_finished: string | null;
  /** jobs per queue */
  queues: Record<string, number>;
  /** attempts (runs) per output file under logs/ */
  outs: Record<string, number>;
  /** jobs without runs, from before 0.2: each may have a logs/<id>.log */
  legacy: number;
}

/** When a finished job finished, for retention (`updated_at` for the rare one without `finished_at`). */
export function finishedAt(job: Pick<Job, "finished_at" | "updated_at">): string {
  return job.finished_at ?? job.updated_at;
}

/** Adds `job` to `facts` (or takes it away, `sign` -1). */
export function addFacts(facts: SegmentFacts, job: Job, sign = 1): void {
  const at = finishedAt(job);
  if (sign > 0) {
    if (facts.min_finished === null || at < facts.min_finished) facts.min_finished = at;
    if (facts.max_finished === null || at > facts.max_finished) facts.max_finished = at;
  }
  const queue = job.queue ?? "default";
  facts.queues[queue] = (facts.queues[queue] ?? 0) + sign;
  for (const run of job.runs ?? []) {
    if (run.out) facts.outs[run.out[0]] = (facts.outs[run.out[0]] ?? 0) + sign;
  }
  if (!job.runs) facts.legacy += sign;
}

export function emptyFacts(): SegmentFacts {
  return { min_finished: null, max_finished: null, queues: {}, outs: {}, legacy: 0 };
}

export type Tombstones = Map<string, number>;

const SPACE = 0x20;

const decoder = new TextDecoder();

export function encodeIndexLine(id: string, offset: number, length: number): string {
  return checkedLine(`${id} ${offset} ${length}`);
}

function parseIndexLine(line: string): { id: string; offset: number; length: number } | null {
  const text = checkedText(line);
  if (text === null) return null;
  const [id, offset, length] = text.split(" ");
  return { id, offset: Number(offset), length: Number(length) };
}

function mayHold(seg: Segment, id: string): boolean {
  return seg.jobs > 0 && id >= seg.min_id && id <= seg.max_id;
}

/** A copy of `id` in segment `n` is hidden by a tombstone at or above `n`. */
export function hidden(tombstones: Tombstones, id: string, n: number): boolean {
  const t = tombstones.get(id);
  return t !== undefined && n <= t;
}

/** Reads segments on demand; keeps their files open for the life of one loaded state. */
export class ArchiveReader {
  readonly #paths: HomePaths;
  readonly #files = new SegmentFiles();

  constructor(paths: HomePaths) {
    this.#paths = paths;
  }

  get paths(): HomePaths {
    return this.#paths;
  }

  close(): void {
    this.#files.close();
  }

  #open(path: string, expected: number): Deno.FsFile {
    return this.#files.open(path, expected);
  }

  /** The visible archived job `id`, if any. */
  get(segments: readonly Segment[], tombstones: Tombstones, id: string): Job | undefined {
    for (let i = segments.length - 1; i >= 0; i--) {
      const seg = segments[i];
      if (!mayHold(seg, id)) continue;
      const at = this.#find(seg, id);
      if (!at) continue;
      if (hidden(tombstones, id, seg.n)) return undefined;
      return this.#job(seg, at.offset, at.length, id);
    }
    return undefined;
  }

  /** The first of `ids` that is a visible archived job; for duplicate checks of a batch. */
  findAny(segments: readonly Segment[], tombstones: Tombstones, ids: readonly string[]): string | undefined {
    if (ids.length === 0 || segments.length === 0) return undefined;
    const all = [...ids].sort();
    for (let i = segments.length - 1; i >= 0; i--) {
      const seg = segments[i];
      const sorted = all.filter((id) => mayHold(seg, id));
      if (sorted.length === 0) continue;
      // one bisection reads ~log2(size/4 KiB) windows; past a point, one pass over the index is cheaper
      const bisections = sorted.length * Math.max(1, Math.log2(seg.index_bytes / SCAN_BYTES));
      const found = bisections * WINDOW > seg.index_bytes
        ? this.#scanFor(seg, sorted, tombstones)
        : sorted.find((id) => this.#find(seg, id) && !hidden(tombstones, id, seg.n));
      if (found !== undefined) return found;
    }
    return undefined;
  }

  #scanFor(seg: Segment, sorted: string[], tombstones: Tombstones): string | undefined {
    const path = this.#paths.archiveIndex(seg.n);
    const file = this.#open(path, seg.index_bytes);
    let i = 0;
    let found: string | undefined;
    this.#eachIndexLine(file, path, seg.index_bytes, (id) => {
      while (i < sorted.length && sorted[i] < id) i++;
      if (i < sorted.length && sorted[i] === id && !hidden(tombstones, id, seg.n)) found = id;
      return found === undefined && i < sorted.length;
    });
    return found;
  }

  #eachIndexLine(
    file: Deno.FsFile,
    path: string,
    size: number,
    fn: (id: string, offset: number, length: number) => boolean,
    from = 0,
  ): void {
    const buf = new Uint8Array(256 * 1024);
    let pos = from;
    while (pos < size) {
      const got = readAt(file, pos, buf.subarray(0, Math.min(buf.length, size - pos)));
      const { lines, complete } = splitLines(buf.subarray(0, got));
      if (lines.length === 0) this.#corrupt(path, pos, "an index line is unterminated");
      for (const [s, e] of lines) {
        const entry = parseIndexLine(decoder.decode(buf.subarray(s, e)));
        if (!entry) this.#corrupt(path, pos + s, "an index entry fails its checksum");
        if (!fn(entry!.id, entry!.offset, entry!.length)) return;
      }
      pos += complete;
    }
  }

  /** Visible archived ids starting with `prefix`, sorted, at most `limit`. */
  idsWithPrefix(
    segments: readonly Segment[],
    tombstones: Tombstones,
    prefix: string,
    limit: number,
  ): string[] {
    const found = new Set<string>();
    for (let i = segments.length - 1; i >= 0; i--) {
      const seg = segments[i];
      if (seg.jobs === 0 || seg.max_id < prefix || !(seg.min_id.startsWith(prefix) || seg.min_id < prefix)) {
        continue;
      }
      const path = this.#paths.archiveIndex(seg.n);
      const file = this.#open(path, seg.index_bytes);
      const start = this.#lowerBound(file, path, seg.index_bytes, prefix);
      let taken = 0;
      this.#eachIndexLine(file, path, seg.index_bytes, (id) => {
        if (!id.startsWith(prefix)) return id < prefix;
        if (!hidden(tombstones, id, seg.n)) found.add(id);
        return ++taken < limit;
      }, start);
    }
    return [...found].sort().slice(0, limit);
  }

  /** Where the first index line whose id is >= `key` starts (a bisection, segment_lines.ts). */
  #lowerBound(file: Deno.FsFile, path: string, size: number, key: string): number {
    const corrupt = (position: number, why: string) => this.#corrupt(path, position, why);
    return firstLineWhere(file, size, (line) => {
      const entry = parseIndexLine(decoder.decode(line.buf.subarray(line.start, line.end)));
      if (!entry) corrupt(line.at, "an index entry fails its checksum");
      return entry!.id >= key;
    }, corrupt);
  }

  /** Every entry of a segment's index, in id order (doctor). */
  indexEntries(seg: Segment): Array<{ id: string; offset: number; length: number }> {
    const path = this.#paths.archiveIndex(seg.n);
    const out: Array<{ id: string; offset: number; length: number }> = [];
    this.#eachIndexLine(this.#open(path, seg.index_bytes), path, seg.index_bytes, (id, offset, length) => {
      out.push({ id, offset, length });
      return true;
    });
    return out;
  }

  #corrupt(path: string, position: number, why: string): never {
    segmentCorrupt(path, position, why);
  }

  /** Bisects the segment's index for `id`. */
  #find(seg: Segment, id: string): { offset: number; length: number } | null {
    const path = this.#paths.archiveIndex(seg.n);
    const file = this.#open(path, seg.index_bytes);
    const narrowed = narrowIndex(file, seg.index_bytes, id, parseIndexLine, this.#corrupter(path));
    if ("entry" in narrowed) return narrowed.entry;
    const { lo, window: buf } = narrowed;
    const { lines } = splitLines(buf);
    for (const [s, e] of lines) {
      // compare the id before paying for the checksum
      const space = buf.subarray(s, e).indexOf(SPACE);
      if (decoder.decode(buf.subarray(s, s + space)) !== id) continue;
      const entry = parseIndexLine(decoder.decode(buf.subarray(s, e)));
      if (!entry) this.#corrupt(path, lo + s, "an index entry fails its checksum");
      return entry;
    }
    return null;
  }

  #job(seg: Segment, offset: number, length: number, id: string): Job {
    const path = this.#paths.archiveJobs(seg.n);
    const file = this.#open(path, seg.bytes);
    const buf = new Uint8Array(length);
    const got = readAt(file, offset, buf);
    const r = decodeLine(buf, 0, got);
    if (!r.ok) this.#corrupt(path, offset, r.why);
    const job = (r as { value: unknown }).value as Job;
    if (job.id !== id) this.#corrupt(path, offset, `the index points at job "${job.id}", not "${id}"`);
    return job;
  }

  /** The jobs of one segment in seq order, read in chunks (with their lines' raw bytes). */
  *scan(seg: Segment, from = 0): Generator<{ job: Job; line: Uint8Array; offset: number }> {
    const path = this.#paths.archiveJobs(seg.n);
    const file = this.#open(path, seg.bytes);
    let lastSeq = -Infinity;
    for (const line of linesForward(file, seg.bytes, from, this.#corrupter(path))) {
      const job = this.#decode(path, line);
      // a segment is written in seq order: lines out of order were moved (whole lines pass their checksum)
      if (!(job.seq > lastSeq)) this.#corrupt(path, line.at, "a job line is out of seq order");
      lastSeq = job.seq;
      yield { job, line: line.buf.slice(line.start, line.end + 1), offset: line.at };
    }
  }

  #decode(path: string, line: LineAt): Job {
    const r = decodeLine(line.buf, line.start, line.end);
    if (!r.ok) this.#corrupt(path, line.at, r.why);
    return (r as { value: unknown }).value as Job;
  }

  #corrupter(path: string): Corrupt {
    return (position, why) => this.#corrupt(path, position, why);
  }

  /**
   * Visible archived jobs of every segment, merged in seq order. A segment is opened only once
   * the merge reaches its first seq, so reading the first few jobs touches few segments.
   */
  jobs(segments: readonly Segment[], tombstones: Tombstones, past = 0): Generator<Job> {
    // a page past seq `past` skips the segments that end before it
    const merged = mergeBySeq(
      segments.filter((seg) => seg.jobs > 0 && seg.max_seq > past).sort((a, b) => a.min_seq - b.min_seq),
      (seg) => seg.min_seq,
      (seg) => this.#visible(seg, tombstones, this.#offsetPast(seg, past)),
      ascending,
    );
    return keeping(merged, (seq) => seq > past);
  }

  /**
   * Visible archived jobs merged newest first (seq descending), only those below seq `past`; a
   * segment is read backwards from its end, and opened only once the merge reaches its last seq.
   */
  jobsDesc(segments: readonly Segment[], tombstones: Tombstones, past = Infinity): Generator<Job> {
    const merged = mergeBySeq(
      segments.filter((seg) => seg.jobs > 0 && seg.min_seq < past).sort((a, b) => b.max_seq - a.max_seq),
      (seg) => seg.max_seq,
      (seg) => this.#visibleBackward(seg, tombstones, past),
      descending,
    );
    return keeping(merged, (seq) => seq < past);
  }

  /** The visible jobs of `seg` below seq `past`, newest first. */
  *#visibleBackward(seg: Segment, tombstones: Tombstones, past: number): Generator<Job> {
    const end = past === Infinity ? seg.bytes : this.#offsetPast(seg, Math.ceil(past) - 1);
    for (const job of this.scanBackward(seg, end)) if (!hidden(tombstones, job.id, seg.n)) yield job;
  }

  /**
   * Where the first line of `seg` whose job's seq is above `seq` starts (`seg.bytes` when none
   * is): lines are in seq order, so a bisection over byte positions finds it, decoding one line
   * per probe. A page deep into the archive then costs a few reads, not a scan of what precedes it.
   */
  #offsetPast(seg: Segment, seq: number): number {
    if (seq < seg.min_seq) return 0;
    if (seq >= seg.max_seq) return seg.bytes;
    const path = this.#paths.archiveJobs(seg.n);
    const file = this.#open(path, seg.bytes);
    return firstLineAbove(
      file,
      seg.bytes,
      seq,
      (line) => this.#decode(path, line).seq,
      this.#corrupter(path),
    );
  }

  /** The jobs of one segment before byte `until` (a line start), last line first, read backwards in chunks. */
  *scanBackward(seg: Segment, until = seg.bytes): Generator<Job> {
    const path = this.#paths.archiveJobs(seg.n);
    const file = this.#open(path, seg.bytes);
    let nextSeq = Infinity;
    for (const line of linesBackward(file, until, this.#corrupter(path))) {
      const job = this.#decode(path, line);
      if (!(job.seq < nextSeq)) this.#corrupt(path, line.at, "a job line is out of seq order");
      nextSeq = job.seq;
      yield job;
    }
  }

  *#visible(seg: Segment, tombstones: Tombstones, from = 0): Generator<Job> {
    for (const { job } of this.scan(seg, from)) {
      if (!hidden(tombstones, job.id, seg.n)) yield job;
    }
  }

  /** The facts of a segment written before segments kept them: one read of the whole segment. */
  learnFacts(seg: Segment): SegmentFacts {
    const facts = emptyFacts();
    for (const { job } of this.scan(seg)) addFacts(facts, job);
    return facts;
  }

  /** The copies in `seg` that tombstones hide (deleted or pruned one by one): a lookup per tombstone. */
  hiddenCopies(seg: Segment, tombstones: Tombstones): Job[] {
    const out: Job[] = [];
    for (const [id, t] of tombstones) {
      if (t < seg.n || !mayHold(seg, id)) continue;
      const at = this.#find(seg, id);
      if (at) out.push(this.#job(seg, at.offset, at.length, id));
    }
    return out;
  }
}

/** The jobs of `jobs` whose seq `keep` accepts (a segment opened mid-merge may start before the page). */
function* keeping(jobs: Iterable<Job>, keep: (seq: number) => boolean): Generator<Job> {
  for (const job of jobs) if (keep(job.seq)) yield job;
}
