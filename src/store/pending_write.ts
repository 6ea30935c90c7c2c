/**
 * Writing a pending segment (pending.ts has the protocol): its claim order built from columns of
 * numbers, never from sorted job objects, and its three files streamed to disk in chunks, so a
 * segment of a million jobs costs tens of megabytes beyond the jobs themselves.
 */
import { replaceFileDurablyStreamed, type ReplaceStep } from "./durable.ts";
import type {
  Claimable,
  ListKind,
  OrderEntry,
  PendingList,
  PendingReader,
  PendingSegment,
} from "./pending.ts";
import { listConsumption, type PendingConsumption } from "./pending_consumption.ts";
import {
  canonicalRunAt,
  encodeEntry,
  encodeIndexLine,
  encodeJobLine,
  encodeOrderHeader,
  keyProblem,
  placeProblem,
} from "./pending_format.ts";
import type { HomePaths } from "./paths.ts";

/** The claim keys of a segment's jobs in seq order, as columns (index i = the i-th job by seq). */
export interface ClaimKeys {
  count: number;
  seq: Float64Array;
  priority: Float64Array;
  /** ms since the epoch; NaN for "as soon as possible" */
  runAt: Float64Array;
  /** index into `queues` */
  queue: Uint32Array;
  queues: string[];
}

/** Where each job goes in the claim order. */
export interface ClaimOrder {
  lists: PendingList[];
  /** job i → its list, and its position in it */
  listOf: Uint32Array;
  posOf: Uint32Array;
  /** entry k of the file (lists back to back) → its job */
  byEntry: Uint32Array;
}

/**
 * The claim order of `keys` at time `nowMs`: per queue (by name), a due list (run_at null or at
 * or before now: priority descending, then seq) and a scheduled list (run_at ascending, then seq);
 * empty lists are left out. Due jobs are placed by counting (jobs come in seq order, so a stable
 * bucket per priority keeps seq order within it); only the scheduled ones are sorted.
 */
export function claimOrder(keys: ClaimKeys, nowMs: number): ClaimOrder {
  const { count, queues } = keys;
  const due = new Uint8Array(count);
  // queue → priority → how many due jobs; queue → how many scheduled ones
  const dueCounts = queues.map(() => new Map<number, number>());
  const scheduledCounts = new Array<number>(queues.length).fill(0);
  for (let i = 0; i < count; i++) {
    const q = keys.queue[i];
    const t = keys.runAt[i];
    if (Number.isNaN(t) || t <= nowMs) {
      due[i] = 1;
      const byPriority = dueCounts[q];
      byPriority.set(keys.priority[i], (byPriority.get(keys.priority[i]) ?? 0) + 1);
    } else scheduledCounts[q]++;
  }
  const lists: PendingList[] = [];
  const dueList = new Int32Array(queues.length).fill(-1);
  const scheduledList = new Int32Array(queues.length).fill(-1);
  // the next free entry of each (queue, priority) bucket of a due list
  const next = queues.map(() => new Map<number, number>());
  let first = 0;
  const add = (queue: string, kind: ListKind, n: number) => {
    lists.push({ queue, kind, first, count: n });
    first += n;
    return lists.length - 1;
  };
  const byName = queues.map((_, q) => q).sort((a, b) => (queues[a] < queues[b] ? -1 : 1));
  for (const q of byName) {
    const priorities = [...dueCounts[q].keys()].sort((a, b) => b - a);
    if (priorities.length > 0) {
      const start = first;
      dueList[q] = add(queues[q], "due", priorities.reduce((sum, p) => sum + dueCounts[q].get(p)!, 0));
      let at = start;
      for (const p of priorities) {
        next[q].set(p, at);
        at += dueCounts[q].get(p)!;
      }
    }
    if (scheduledCounts[q] > 0) scheduledList[q] = add(queues[q], "scheduled", scheduledCounts[q]);
  }
  const byEntry = new Uint32Array(count);
  const scheduledNext = new Float64Array(queues.length);
  for (let q = 0; q < queues.length; q++) {
    if (scheduledList[q] >= 0) scheduledNext[q] = lists[scheduledList[q]].first;
  }
  for (let i = 0; i < count; i++) {
    const q = keys.queue[i];
    if (due[i]) {
      const k = next[q].get(keys.priority[i])!;
      next[q].set(keys.priority[i], k + 1);
      byEntry[k] = i;
    } else byEntry[scheduledNext[q]++] = i;
  }
  // scheduled lists hold their jobs in seq order so far: sort each by run_at, then seq
  for (const l of lists) {
    if (l.kind !== "scheduled") continue;
    byEntry.subarray(l.first, l.first + l.count).sort((a, b) => keys.runAt[a] - keys.runAt[b] || a - b);
  }
  const listOf = new Uint32Array(count);
  const posOf = new Uint32Array(count);
  lists.forEach((l, li) => {
    for (let pos = 0; pos < l.count; pos++) {
      const i = byEntry[l.first + pos];
      listOf[i] = li;
      posOf[i] = pos;
    }
  });
  return { lists, listOf, posOf, byEntry };
}

/** Collects bytes into large writes. */
class Chunked {
  readonly #buf = new Uint8Array(1024 * 1024);
  #used = 0;
  readonly #encoder = new TextEncoder();
  constructor(readonly write: (bytes: Uint8Array) => void) {}

  bytes(b: Uint8Array): void {
    if (this.#used + b.length > this.#buf.length) this.flush();
    if (b.length > this.#buf.length) this.write(b);
    else {
      this.#buf.set(b, this.#used);
      this.#used += b.length;
    }
  }

  text(s: string): void {
    // an ASCII text takes one byte a character; anything else at most three
    if (this.#used + s.length * 3 > this.#buf.length) this.flush();
    if (s.length * 3 > this.#buf.length) return this.write(this.#encoder.encode(s));
    this.#used += this.#encoder.encodeInto(s, this.#buf.subarray(this.#used)).written;
  }

  flush(): void {
    if (this.#used > 0) this.write(this.#buf.subarray(0, this.#used));
    this.#used = 0;
  }
}

/** A job's line, for job i (in seq order) placed at `pos` of `list`. */
export type LineOf = (i: number, list: number, pos: number) => { id: string; line: Uint8Array };

/**
 * Writes segment `n` of the jobs `keys` describes: the jobs file first (the lines `lineOf`
 * gives, in seq order), then the index, then the order, each durably; `step` hears every step
 * as `pending-<file>-<step>`.
 */
export function writeSegmentFiles(
  paths: HomePaths,
  n: number,
  keys: ClaimKeys,
  now: Date,
  lineOf: LineOf,
  step: (name: string) => void = () => {},
): PendingSegment {
  const nowIso = now.toISOString();
  const { count } = keys;
  for (let i = 0; i < count; i++) {
    const problem = keyProblem(keys.seq[i], keys.priority[i]);
    if (problem) throw new Error(`Cannot write pending segment ${n}: a job has ${problem}`);
  }
  const order = claimOrder(keys, now.getTime());
  const offsets = new Float64Array(count);
  const lengths = new Uint32Array(count);
  const ids = new Array<string>(count);
  const named = (file: string) => (s: ReplaceStep) => step(`pending-${file}-${s}`);
  const byId = new Uint32Array(count);
  let bytes = 0;
  replaceFileDurablyStreamed(paths.pendingJobs(n), (write) => {
    const out = new Chunked(write);
    for (let i = 0; i < count; i++) {
      const { id, line } = lineOf(i, order.listOf[i], order.posOf[i]);
      const problem = placeProblem(bytes, line.length - 1);
      if (problem) throw new Error(`Cannot write pending segment ${n}: job "${id}" has ${problem}`);
      ids[i] = id;
      offsets[i] = bytes;
      lengths[i] = line.length - 1;
      out.bytes(line);
      bytes += line.length;
    }
    out.flush();
    // the index order, found before the jobs file is renamed into place: a duplicate leaves nothing behind
    for (let i = 0; i < count; i++) byId[i] = i;
    // generated ids begin with their time, so jobs in seq order are often in id order already
    let sorted = true;
    for (let i = 1; i < count && sorted; i++) sorted = ids[i - 1] < ids[i];
    if (!sorted) byId.sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
    for (let r = 1; r < count; r++) {
      if (ids[byId[r - 1]] === ids[byId[r]]) {
        throw new Error(`Cannot write pending segment ${n}: job "${ids[byId[r]]}" appears twice`);
      }
    }
  }, named("jobs"));

  let indexBytes = 0;
  replaceFileDurablyStreamed(paths.pendingIndex(n), (write) => {
    const out = new Chunked((b) => {
      indexBytes += b.length;
      write(b);
    });
    for (let r = 0; r < count; r++) {
      const i = byId[r];
      out.text(encodeIndexLine(ids[i], offsets[i], lengths[i], order.listOf[i], order.posOf[i]));
    }
    out.flush();
  }, named("index"));

  let orderBytes = 0;
  replaceFileDurablyStreamed(paths.pendingOrder(n), (write) => {
    const out = new Chunked((b) => {
      orderBytes += b.length;
      write(b);
    });
    out.bytes(encodeOrderHeader(n, nowIso, order.lists));
    for (let k = 0; k < count; k++) {
      const i = order.byEntry[k];
      const t = keys.runAt[i];
      out.text(encodeEntry(k, {
        seq: keys.seq[i],
        priority: keys.priority[i],
        run_at: Number.isNaN(t) ? null : new Date(t).toISOString(),
        offset: offsets[i],
        length: lengths[i],
      }));
    }
    out.flush();
  }, named("order"));

  return {
    n,
    jobs: count,
    bytes,
    index_bytes: indexBytes,
    order_bytes: orderBytes,
    min_seq: count ? keys.seq[0] : 0,
    max_seq: count ? keys.seq[count - 1] : 0,
    min_id: count ? ids[byId[0]] : "",
    max_id: count ? ids[byId[count - 1]] : "",
    now: nowIso,
    lists: order.lists,
  };
}

/** Columns of claim keys, grown as jobs are added (for a segment built from a stream of entries). */
export class KeyColumns {
  #count = 0;
  seq = new Float64Array(1024);
  priority = new Float64Array(1024);
  runAt = new Float64Array(1024);
  queue = new Uint32Array(1024);
  readonly queues: string[] = [];
  readonly #queueIds = new Map<string, number>();

  get count(): number {
    return this.#count;
  }

  queueId(name: string): number {
    let q = this.#queueIds.get(name);
    if (q === undefined) {
      q = this.queues.length;
      this.queues.push(name);
      this.#queueIds.set(name, q);
    }
    return q;
  }

  add(seq: number, priority: number, runAtMs: number, queue: number): number {
    if (this.#count === this.seq.length) {
      const grow = <A extends Float64Array | Uint32Array>(a: A): A => {
        const b = new (a.constructor as { new (n: number): A })(a.length * 2);
        b.set(a);
        return b;
      };
      this.seq = grow(this.seq);
      this.priority = grow(this.priority);
      this.runAt = grow(this.runAt);
      this.queue = grow(this.queue);
    }
    const i = this.#count++;
    this.seq[i] = seq;
    this.priority[i] = priority;
    this.runAt[i] = runAtMs;
    this.queue[i] = queue;
    return i;
  }

  /**
   * The columns in seq order, and which added row each came from; throws if two rows share a
   * seq (each enqueue has its own).
   */
  inSeqOrder(what: string): { keys: ClaimKeys; row: Uint32Array } {
    const count = this.#count;
    const row = new Uint32Array(count);
    for (let i = 0; i < count; i++) row[i] = i;
    let ascending = true;
    for (let i = 1; i < count && ascending; i++) ascending = this.seq[i - 1] < this.seq[i];
    if (!ascending) row.sort((a, b) => this.seq[a] - this.seq[b]);
    const pick = <A extends Float64Array | Uint32Array>(a: A): A => {
      const b = new (a.constructor as { new (n: number): A })(count);
      for (let i = 0; i < count; i++) b[i] = a[row[i]];
      return b;
    };
    const keys: ClaimKeys = {
      count,
      seq: pick(this.seq),
      priority: pick(this.priority),
      runAt: pick(this.runAt),
      queue: pick(this.queue),
      queues: this.queues,
    };
    for (let i = 1; i < count; i++) {
      if (keys.seq[i - 1] === keys.seq[i]) {
        throw new Error(`Cannot write ${what}: two jobs have seq ${keys.seq[i]}`);
      }
    }
    return { keys, row };
  }
}

/**
 * Writes pending segment `n` holding `jobs` (any order; each needs a distinct id and seq), split
 * into due and scheduled lists at `now`. Returns what the snapshot records of it.
 */
export function writePendingSegment<T extends Claimable>(
  paths: HomePaths,
  n: number,
  jobs: ArrayLike<T>,
  now: Date,
  step?: (name: string) => void,
): PendingSegment {
  const what = `pending segment ${n}`;
  const columns = new KeyColumns();
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i];
    if (typeof job.id !== "string") throw new Error(`Cannot write ${what}: a job has no id`);
    if (typeof job.queue !== "string") throw new Error(`Cannot write ${what}: job "${job.id}" has no queue`);
    const runAt = canonicalRunAt(job.run_at);
    if (runAt === "invalid") {
      throw new Error(
        `Cannot write ${what}: job "${job.id}" has run_at ${JSON.stringify(job.run_at)}, not a time`,
      );
    }
    columns.add(job.seq, job.priority, runAt === null ? NaN : runAt.ms, columns.queueId(job.queue));
  }
  const { keys, row } = columns.inSeqOrder(what);
  return writeSegmentFiles(paths, n, keys, now, (i, list, pos) => {
    const job = jobs[row[i]];
    return { id: job.id, line: encodeJobLine(job, list, pos) };
  }, step);
}

/**
 * Writes segment `n` holding the unconsumed jobs of `inputs` (PendingReader.rewrite): their keys
 * come from the inputs' order entries, walked from each list's prefix, and each kept job's line
 * is read once, in seq order, and written again with its new place.
 */
export function rewriteSegments(
  reader: PendingReader,
  inputs: readonly PendingSegment[],
  consumption: PendingConsumption,
  n: number,
  now: Date,
  step?: (name: string) => void,
): PendingSegment {
  const columns = new KeyColumns();
  // where each kept job comes from: input, list, position, and its entry
  const from: Array<{ input: number; list: number; pos: number; entry: OrderEntry }> = [];
  inputs.forEach((seg, input) => {
    const cs = consumption.get(seg.n);
    seg.lists.forEach((l, list) => {
      const q = columns.queueId(l.queue);
      for (const { pos, entry } of reader.walk(seg, list, listConsumption(cs, list))) {
        columns.add(entry.seq, entry.priority, entry.run_at === null ? NaN : Date.parse(entry.run_at), q);
        from.push({ input, list, pos, entry });
      }
    });
  });
  const { keys, row } = columns.inSeqOrder(`pending segment ${n}`);
  const read = inputs.map((seg) => reader.sequential(seg));
  return writeSegmentFiles(reader.paths, n, keys, now, (i, list, pos) => {
    const f = from[row[i]];
    const job = read[f.input](f.entry, f.list, f.pos);
    return { id: job.id, line: encodeJobLine(job, list, pos) };
  }, step);
}
