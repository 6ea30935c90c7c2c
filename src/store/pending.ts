/**
 * Pending segments: plain pending jobs, never claimed, that compaction moved out of the live
 * state, so that a home with a million waiting jobs costs a CLI call or a claim what an empty one
 * costs. This comment is their on-disk protocol.
 *
 *   pending-N.jobs   one sealed line per job (codec.ts), in seq order: the job, plus its place in
 *                    the claim order as its last member "o":[list,pos] (taken off when read)
 *                      {"id":"a1",…,"seq":7,…,"queue":"default","o":[0,3],"crc":"…"}
 *   pending-N.index  one line per job, sorted by id: `<id> <offset> <length> <list> <pos> <crc8>`,
 *                    offset and length (newline excluded) of its line in .jobs, the CRC-32 over the
 *                    text before the last space; ids never contain spaces
 *                      a1 1234 410 0 3 c372d30b
 *   pending-N.order  the claim order: one header line (sealed JSON), then the entries of every
 *                    list back to back, ENTRY_WIDTH (86) bytes each, so entry `pos` of list L
 *                    starts at byte (order_bytes - jobs × 86) + (lists[L].first + pos) × 86:
 *                      {"format":"queuectl-pending-order","version":1,"n":4,"now":"…","width":86,
 *                       "lists":[{"queue":"default","kind":"due","first":0,"count":9,"top_priority":5},
 *                                {"queue":"default","kind":"scheduled","first":9,"count":4,
 *                                 "first_run_at":"…","last_run_at":"…"},…],"crc":"…"}
 *                      0000000000000007 +0000000005 ------------------------ 000000001234 000000410 c6cf99ff
 *                      0000000000000009 -0000000002 2026-11-24T09:00:00.000Z 000000002050 000000433 6cc0e00f
 *                    columns: seq; priority, signed; run_at as toISOString() writes it, or 24
 *                    dashes for "as soon as possible"; offset and length of the job's line in
 *                    .jobs; the CRC-32 of "<k> " and the text before it, where k is the entry's
 *                    number in the file from 0 (3 and 12 above), so a line moved elsewhere fails
 *
 * LISTS: for each queue (by name) a `due` list, the jobs whose run_at was null or at or before the
 * segment's write time `now`, in claim order (priority descending, then seq), with its first
 * entry's priority recorded (`top_priority`, from 2026-12-06; older segments lack it); and a `scheduled`
 * list, run_at after `now`, in the order they come due (run_at, then seq), with its first and
 * last run_at recorded. Empty lists are left out; a list is named by its index in `lists`. Every
 * job has exactly one place. A due list's head is the segment's best job of its queue until its
 * scheduled list's head comes due; from then on the jobs of that list that have come due compete
 * by priority too, in whatever order they sit, until a rewrite moves them into a due list.
 *
 * WRITE (compaction, pending_write.ts): once; .jobs first, then .index, then .order, each to a
 * temp name, fsynced, renamed, the directory fsynced (crash points pending-<file>-<step>). The
 * snapshot names the segments in use with their sizes and lists; files of a segment it does not
 * name are left over from a crash or a rewrite, and the next compaction removes them.
 *
 * CONSUMPTION (pending_consumption.ts): the files never change. The snapshot keeps, per list, a
 * prefix and exceptions of positions used up (claimed, deleted, taken back into the live state);
 * log records carry the places they use up. A fully consumed segment is dropped; one mostly
 * consumed, or with many exceptions, or whose scheduled list has all come due, is rewritten with
 * only its unconsumed jobs, and small ones are merged (pending_plan.ts), each plan bounded in
 * size. A rewrite reads only unconsumed entries and copies each job's line byte for byte but for
 * its place.
 *
 * VERIFY (doctor, pending_verify.ts): all three files read whole, every line checked, the files
 * against one another and against the snapshot's record.
 *
 * READ (this module; it holds no writing or verifying code, so a call that only reads loads
 * neither): a reader keeps a segment's files open for the life of one loaded state, checks each
 * file's size against the snapshot's record and the order header against the segment's lists
 * when it opens them, and reads only what it is asked: an index bisection and one line for a
 * lookup, one entry for a list's head, chunks for a walk or a scan. Damage is a CorruptionError
 * naming the file and byte. .index and .order are derived: both follow from .jobs and the lists.
 */
import type { Job } from "../job.ts";
import { checkLine } from "./codec.ts";
import { readAt } from "../durable.ts";
import type { HomePaths } from "./paths.ts";
import { ascending, descending, mergeBySeq } from "./seq_merge.ts";
import {
  consumed,
  type Consumption,
  listConsumption,
  NOTHING_CONSUMED,
  type PendingConsumption,
  type SegmentConsumption,
} from "./pending_consumption.ts";
import {
  decodeEntry,
  decodeJobLine,
  ENTRY_WIDTH,
  headerProblem,
  idAtStart,
  type IndexEntry,
  parseIndexLine,
  placeInLine,
} from "./pending_format.ts";
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

export { ENTRY_WIDTH, type IndexEntry } from "./pending_format.ts";

/** What the claim order needs of a job. */
export interface Claimable {
  id: string;
  seq: number;
  priority: number;
  /** the queue it belongs to ("default" unless given) */
  queue: string;
  /** earliest start; null for as soon as possible */
  run_at: string | null;
}

/** A job as a pending segment holds it. */
export type PendingJob = Omit<Job, "run_at"> & Claimable;

export type ListKind = "due" | "scheduled";

export interface PendingList {
  queue: string;
  kind: ListKind;
  /** the number, in the order file, of the list's first entry */
  first: number;
  count: number;
  /** a scheduled list's earliest and latest run_at: when its head comes due, and when all of it has */
  first_run_at?: string;
  last_run_at?: string;
  /**
   * a due list's highest priority, its first entry's: no entry of the list claims before (this,
   * the segment's min_seq), so a claim need not read the list while it holds a better job.
   * Absent in segments written before it was recorded (claims read their heads)
   */
  top_priority?: number;
}

/** A pending segment as the snapshot records it. */
export interface PendingSegment {
  n: number;
  jobs: number;
  /** sizes of the .jobs, .index and .order files */
  bytes: number;
  index_bytes: number;
  order_bytes: number;
  min_seq: number;
  max_seq: number;
  min_id: string;
  max_id: string;
  /** when it was written: what split its due lists from its scheduled ones */
  now: string;
  lists: PendingList[];
}

/** One entry of a list: the job's claim keys and where its line is in .jobs. */
export interface OrderEntry {
  seq: number;
  priority: number;
  run_at: string | null;
  offset: number;
  /** newline excluded */
  length: number;
}

/** A job line as bytes: `bytes[start, body)` is its object's text up to its place member. */
export interface RawLine {
  id: string;
  bytes: Uint8Array;
  start: number;
  body: number;
}

/** A job with its place in the claim order. */
export interface Placed {
  job: PendingJob;
  list: number;
  pos: number;
}

const NEWLINE = 0x0a;
const SPACE = 0x20;
/** a walk reads this many entries first, then twice as many each time, up to MAX_WALK_CHUNK */
const FIRST_WALK_CHUNK = 32;
const MAX_WALK_CHUNK = 4096;
/** a pass over job lines in offset order reads this much at once */
const READ_AHEAD = 256 * 1024;

const decoder = new TextDecoder();

/** Where the entries of `seg`'s order file begin. */
function entriesStart(seg: PendingSegment): number {
  return seg.order_bytes - seg.jobs * ENTRY_WIDTH;
}

function mayHold(seg: PendingSegment, id: string): boolean {
  return seg.jobs > 0 && id >= seg.min_id && id <= seg.max_id;
}

/** Reads pending segments on demand; keeps their files open for the life of one loaded state. */
export class PendingReader {
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

  corrupt(path: string, position: number, why: string): never {
    segmentCorrupt(path, position, why);
  }

  #corrupter(path: string): Corrupt {
    return (position, why) => this.corrupt(path, position, why);
  }

  /** Opens a segment file and checks it has the size the snapshot recorded. */
  #open(path: string, expected: number, check?: (file: Deno.FsFile) => void): Deno.FsFile {
    return this.#files.open(path, expected, check);
  }

  /**
   * Opens the three files of `seg` now, checking their sizes and the order file's header, rather
   * than when first read: a loaded state can fail early on a damaged or missing segment.
   */
  open(seg: PendingSegment): void {
    this.#jobsFile(seg);
    this.#open(this.#paths.pendingIndex(seg.n), seg.index_bytes);
    this.#orderFile(seg);
  }

  #jobsFile(seg: PendingSegment): Deno.FsFile {
    return this.#open(this.#paths.pendingJobs(seg.n), seg.bytes);
  }

  /** The order file, its header checked against the segment's record when first opened. */
  #orderFile(seg: PendingSegment): Deno.FsFile {
    const path = this.#paths.pendingOrder(seg.n);
    return this.#open(path, seg.order_bytes, (file) => {
      const end = entriesStart(seg);
      if (end <= 0) this.corrupt(path, 0, "it has no room for its header");
      const buf = new Uint8Array(end);
      readAt(file, 0, buf);
      if (buf[end - 1] !== NEWLINE) this.corrupt(path, 0, "the header does not end where its entries begin");
      const problem = headerProblem(buf, end - 1, seg.n, seg.now, seg.lists);
      if (problem) this.corrupt(path, 0, problem);
    });
  }

  #list(seg: PendingSegment, list: number): PendingList {
    const l = seg.lists[list];
    if (!l) throw new RangeError(`Pending segment ${seg.n} has no list ${list}`);
    return l;
  }

  /** The job `id` of `seg` with its place, or null when the segment does not hold it. */
  lookup(seg: PendingSegment, id: string): Placed | null {
    if (!mayHold(seg, id)) return null;
    const at = this.#find(seg, id);
    if (!at) return null;
    const placed = this.#placedAt(seg, at.offset, at.length);
    const jobsPath = this.#paths.pendingJobs(seg.n);
    if (placed.job.id !== id) {
      this.corrupt(jobsPath, at.offset, `the index points at job "${placed.job.id}", not "${id}"`);
    }
    if (placed.list !== at.list || placed.pos !== at.pos) {
      this.corrupt(
        this.#paths.pendingIndex(seg.n),
        at.offset,
        `the index places job "${id}" at [${at.list},${at.pos}], its line at [${placed.list},${placed.pos}]`,
      );
    }
    return placed;
  }

  /** Entry `pos` of list `list`. */
  entry(seg: PendingSegment, list: number, pos: number): OrderEntry {
    const l = this.#list(seg, list);
    if (!(Number.isInteger(pos) && pos >= 0 && pos < l.count)) {
      throw new RangeError(`List ${list} of pending segment ${seg.n} has no position ${pos}`);
    }
    const k = l.first + pos;
    return this.#decodeEntry(seg, this.#readEntries(seg, k, 1, new Uint8Array(ENTRY_WIDTH)), 0, k);
  }

  /** Reads entries k .. k+count-1 of the order file (numbered over all lists) into `buf`. */
  #readEntries(seg: PendingSegment, k: number, count: number, buf: Uint8Array): Uint8Array {
    const at = entriesStart(seg) + k * ENTRY_WIDTH;
    const bytes = buf.subarray(0, count * ENTRY_WIDTH);
    if (readAt(this.#orderFile(seg), at, bytes) !== bytes.length) {
      this.corrupt(this.#paths.pendingOrder(seg.n), at, "the file is shorter than recorded");
    }
    return bytes;
  }

  /** Entry k of the file, the j-th of `bytes` (read from entry k - j on). */
  #decodeEntry(seg: PendingSegment, bytes: Uint8Array, j: number, k: number): OrderEntry {
    const at = entriesStart(seg) + k * ENTRY_WIDTH;
    const e = decodeEntry(k, bytes, j * ENTRY_WIDTH);
    if (typeof e === "string") this.corrupt(this.#paths.pendingOrder(seg.n), at, e);
    if (e.offset + e.length >= seg.bytes) {
      this.corrupt(
        this.#paths.pendingOrder(seg.n),
        at,
        `order entry ${k} points past the end of the jobs file`,
      );
    }
    return e;
  }

  /**
   * The unconsumed entries of list `list` from position `from` on, in claim order, read in
   * chunks (a few entries first, more as the walk goes on, into one buffer), never the whole
   * list at once; an entry is decoded only when the walk reaches it.
   */
  *walk(
    seg: PendingSegment,
    list: number,
    c: Consumption = NOTHING_CONSUMED,
    from = 0,
  ): Generator<{ pos: number; entry: OrderEntry }> {
    const l = this.#list(seg, list);
    let pos = Math.max(from, c.prefix);
    let chunk = FIRST_WALK_CHUNK;
    let buf = new Uint8Array(0);
    while (pos < l.count) {
      const n = Math.min(chunk, l.count - pos);
      if (buf.length < n * ENTRY_WIDTH) buf = new Uint8Array(n * ENTRY_WIDTH);
      const bytes = this.#readEntries(seg, l.first + pos, n, buf);
      for (let j = 0; j < n; j++) {
        if (!consumed(c, pos + j)) {
          yield { pos: pos + j, entry: this.#decodeEntry(seg, bytes, j, l.first + pos + j) };
        }
      }
      pos += n;
      chunk = Math.min(chunk * 2, MAX_WALK_CHUNK);
    }
  }

  /** The job whose line is at `offset` (`length` bytes, newline excluded) of `seg`'s .jobs. */
  job(seg: PendingSegment, offset: number, length: number): PendingJob {
    return this.#placedAt(seg, offset, length).job;
  }

  /**
   * The entry at `pos` of `list` and its job, checked to agree (the job's line names that place
   * and the entry's seq): what a claim reads.
   */
  at(seg: PendingSegment, list: number, pos: number): { entry: OrderEntry; job: PendingJob } {
    const entry = this.entry(seg, list, pos);
    const placed = this.#placedAt(seg, entry.offset, entry.length);
    this.#agree(seg, list, pos, entry, placed);
    return { entry, job: placed.job };
  }

  #agree(seg: PendingSegment, list: number, pos: number, entry: OrderEntry, placed: Placed): void {
    if (placed.job.seq !== entry.seq || placed.list !== list || placed.pos !== pos) {
      const k = seg.lists[list].first + pos;
      this.corrupt(
        this.#paths.pendingOrder(seg.n),
        entriesStart(seg) + k * ENTRY_WIDTH,
        `order entry ${k} (seq ${entry.seq}) points at job "${placed.job.id}" (seq ${placed.job.seq}, place [${placed.list},${placed.pos}])`,
      );
    }
  }

  #placedAt(seg: PendingSegment, offset: number, length: number): Placed {
    const path = this.#paths.pendingJobs(seg.n);
    const file = this.#jobsFile(seg);
    if (!(offset >= 0 && offset + length < seg.bytes)) {
      this.corrupt(path, offset, "a job line lies past the end");
    }
    const buf = new Uint8Array(length + 1);
    const got = readAt(file, offset, buf);
    if (got !== buf.length || buf[length] !== NEWLINE) {
      this.corrupt(path, offset, `the job line there does not end after ${length} bytes`);
    }
    const r = decodeJobLine(buf, 0, length);
    if (typeof r === "string") this.corrupt(path, offset, r);
    return r;
  }

  /**
   * A reader of `seg`'s job lines for a pass in offset order (a rewrite), which hands each line
   * over as bytes, unparsed: its checksum checked, the place it names checked against the entry
   * that led to it, its id read from its start; `body` is the line up to its place member, to be
   * given a new place and sealed again. One buffer, refilled as the pass moves on.
   */
  sequential(
    seg: PendingSegment,
  ): (offset: number, length: number, list: number, pos: number) => RawLine {
    let buf = new Uint8Array(Math.min(READ_AHEAD, seg.bytes));
    let bufAt = 0;
    let filled = 0;
    const path = this.#paths.pendingJobs(seg.n);
    return (offset, length, list, pos) => {
      const file = this.#jobsFile(seg);
      if (!(offset >= 0 && offset + length < seg.bytes)) {
        this.corrupt(path, offset, "a job line lies past the end");
      }
      if (!(offset >= bufAt && offset + length < bufAt + filled)) {
        if (length + 1 > buf.length) buf = new Uint8Array(length + 1);
        bufAt = offset;
        filled = Math.min(buf.length, seg.bytes - offset);
        if (readAt(file, bufAt, buf.subarray(0, filled)) !== filled) {
          this.corrupt(path, bufAt, "the file is shorter than recorded");
        }
      }
      const start = offset - bufAt;
      const end = start + length;
      if (buf[end] !== NEWLINE) {
        this.corrupt(path, offset, `the job line there does not end after ${length} bytes`);
      }
      const why = checkLine(buf, start, end);
      if (why !== null) this.corrupt(path, offset, why);
      const place = placeInLine(buf, start, end);
      if (!place) this.corrupt(path, offset, "the job line has no place in the claim order");
      if (place.list !== list || place.pos !== pos) {
        const k = seg.lists[list].first + pos;
        this.corrupt(
          this.#paths.pendingOrder(seg.n),
          entriesStart(seg) + k * ENTRY_WIDTH,
          `order entry ${k} points at a job line placed at [${place.list},${place.pos}]`,
        );
      }
      // a job's line begins with its id; a line that does not is parsed for it
      let id = idAtStart(buf, start, end);
      if (id === null) {
        const r = decodeJobLine(buf, start, end);
        if (typeof r === "string") this.corrupt(path, offset, r);
        id = r.job.id;
      }
      return { id, bytes: buf, start, body: place.member };
    };
  }

  #seqOf(path: string, line: LineAt): number {
    const r = decodeJobLine(line.buf, line.start, line.end);
    if (typeof r === "string") this.corrupt(path, line.at, r);
    return r.job.seq;
  }

  /**
   * The jobs of `seg` with a seq above `past`, ascending, with their places (a caller skips the
   * consumed ones): read in chunks, from a bisection to the first one.
   */
  *scan(seg: PendingSegment, past = -Infinity): Generator<Placed & { offset: number; length: number }> {
    const path = this.#paths.pendingJobs(seg.n);
    const file = this.#jobsFile(seg);
    const corrupt = this.#corrupter(path);
    const from = past < seg.min_seq
      ? 0
      : firstLineAbove(file, seg.bytes, past, (l) => this.#seqOf(path, l), corrupt);
    let last = -Infinity;
    for (const line of linesForward(file, seg.bytes, from, corrupt)) {
      const r = decodeJobLine(line.buf, line.start, line.end);
      if (typeof r === "string") this.corrupt(path, line.at, r);
      // whole lines moved pass their checksums: order is what shows it
      if (!(r.job.seq > last)) this.corrupt(path, line.at, "a job line is out of seq order");
      last = r.job.seq;
      yield { ...r, offset: line.at, length: line.end - line.start };
    }
  }

  /** The jobs of `seg` with a seq below `before`, newest first, read backwards in chunks. */
  *scanBackward(seg: PendingSegment, before = Infinity): Generator<Placed & { offset: number }> {
    const path = this.#paths.pendingJobs(seg.n);
    const file = this.#jobsFile(seg);
    const corrupt = this.#corrupter(path);
    const until = before > seg.max_seq
      ? seg.bytes
      : firstLineAbove(file, seg.bytes, Math.ceil(before) - 1, (l) => this.#seqOf(path, l), corrupt);
    let next = Infinity;
    for (const line of linesBackward(file, until, corrupt)) {
      const r = decodeJobLine(line.buf, line.start, line.end);
      if (typeof r === "string") this.corrupt(path, line.at, r);
      if (!(r.job.seq < next)) this.corrupt(path, line.at, "a job line is out of seq order");
      next = r.job.seq;
      yield { ...r, offset: line.at };
    }
  }

  /**
   * The index entries of those of `ids` that `seg` holds (consumed or not: the caller decides),
   * for a batch's duplicate check: a bisection per id for a few ids, one pass over the index
   * once that costs less.
   */
  findIds(seg: PendingSegment, ids: readonly string[]): IndexEntry[] {
    const sorted = [...new Set(ids)].filter((id) => mayHold(seg, id)).sort();
    if (sorted.length === 0) return [];
    // a bisection reads about log2(size / 4 KiB) windows
    const bisections = sorted.length * Math.max(1, Math.log2(seg.index_bytes / SCAN_BYTES));
    if (bisections * WINDOW <= seg.index_bytes) {
      return sorted.map((id) => this.#find(seg, id)).filter((e): e is IndexEntry => e !== null);
    }
    const out: IndexEntry[] = [];
    let i = 0;
    let previous: string | null = null;
    for (const e of this.indexEntries(seg)) {
      if (previous !== null && !(previous < e.id)) {
        this.corrupt(this.#paths.pendingIndex(seg.n), e.at, "an index entry is out of id order");
      }
      previous = e.id;
      while (i < sorted.length && sorted[i] < e.id) i++;
      if (i === sorted.length) break;
      if (sorted[i] === e.id) {
        out.push({ id: e.id, offset: e.offset, length: e.length, list: e.list, pos: e.pos });
      }
    }
    return out;
  }

  /**
   * The unconsumed jobs of `segments` with a seq above `past`, merged in seq order; a segment
   * is opened only once the merge reaches its first seq, so the first few cost few reads.
   */
  jobs(
    segments: readonly PendingSegment[],
    consumption: PendingConsumption,
    past = -Infinity,
  ): Generator<PendingJob> {
    return mergeBySeq(
      segments.filter((seg) => seg.jobs > 0 && seg.max_seq > past).sort((a, b) => a.min_seq - b.min_seq),
      (seg) => seg.min_seq,
      (seg) => unconsumed(this.scan(seg, past), consumption.get(seg.n)),
      ascending,
    );
  }

  /** The unconsumed jobs of `segments` with a seq below `before`, newest first, merged likewise. */
  jobsDesc(
    segments: readonly PendingSegment[],
    consumption: PendingConsumption,
    before = Infinity,
  ): Generator<PendingJob> {
    return mergeBySeq(
      segments.filter((seg) => seg.jobs > 0 && seg.min_seq < before).sort((a, b) => b.max_seq - a.max_seq),
      (seg) => seg.max_seq,
      (seg) => unconsumed(this.scanBackward(seg, before), consumption.get(seg.n)),
      descending,
    );
  }

  /** The ids `seg` holds (consumed or not) that start with `prefix`, sorted, at most `limit`. */
  idsWithPrefix(seg: PendingSegment, prefix: string, limit: number): IndexEntry[] {
    if (seg.jobs === 0 || seg.max_id < prefix) return [];
    const path = this.#paths.pendingIndex(seg.n);
    const file = this.#open(path, seg.index_bytes);
    const corrupt = this.#corrupter(path);
    const idOf = (line: LineAt) => {
      const text = decoder.decode(line.buf.subarray(line.start, line.end));
      return text.slice(0, text.indexOf(" "));
    };
    const start = firstLineWhere(file, seg.index_bytes, (line) => idOf(line) >= prefix, corrupt);
    const out: IndexEntry[] = [];
    for (const line of linesForward(file, seg.index_bytes, start, corrupt)) {
      const entry = parseIndexLine(decoder.decode(line.buf.subarray(line.start, line.end)));
      if (!entry) this.corrupt(path, line.at, "an index entry fails its checksum");
      if (!entry.id.startsWith(prefix) || out.length >= limit) break;
      out.push(entry);
    }
    return out;
  }

  /** Every entry of `seg`'s index, in file order (doctor). */
  *indexEntries(seg: PendingSegment): Generator<IndexEntry & { at: number }> {
    const path = this.#paths.pendingIndex(seg.n);
    const file = this.#open(path, seg.index_bytes);
    for (const line of linesForward(file, seg.index_bytes, 0, this.#corrupter(path))) {
      const entry = parseIndexLine(decoder.decode(line.buf.subarray(line.start, line.end)));
      if (!entry) this.corrupt(path, line.at, "an index entry fails its checksum");
      yield { ...entry, at: line.at };
    }
  }

  /** Bisects the segment's index for `id`. */
  #find(seg: PendingSegment, id: string): IndexEntry | null {
    const path = this.#paths.pendingIndex(seg.n);
    const file = this.#open(path, seg.index_bytes);
    const narrowed = narrowIndex(file, seg.index_bytes, id, parseIndexLine, this.#corrupter(path));
    if ("entry" in narrowed) return narrowed.entry;
    const { lo, window: buf } = narrowed;
    // the whole window is read anyway: its order is checked too, so lines moved inside it are found
    let previous = "";
    let found: IndexEntry | null = null;
    for (let s = 0; s < buf.length;) {
      const e = buf.indexOf(NEWLINE, s);
      if (e < 0) this.corrupt(path, lo + s, "an index line is unterminated");
      // compare the id before paying for the checksum
      const space = buf.subarray(s, e).indexOf(SPACE);
      const lineId = decoder.decode(buf.subarray(s, s + (space < 0 ? e - s : space)));
      if (s > 0 && lineId <= previous) this.corrupt(path, lo + s, "an index entry is out of id order");
      previous = lineId;
      if (lineId === id) {
        found = parseIndexLine(decoder.decode(buf.subarray(s, e)));
        if (!found) this.corrupt(path, lo + s, "an index entry fails its checksum");
      }
      s = e + 1;
    }
    return found;
  }
}

function* unconsumed(placed: Iterable<Placed>, cs: SegmentConsumption | undefined): Generator<PendingJob> {
  for (const p of placed) if (!consumed(listConsumption(cs, p.list), p.pos)) yield p.job;
}
