/**
 * Writing a pending segment (pending.ts has the protocol): its claim order built from columns of
 * numbers, never from sorted job objects, and its three files streamed to disk in chunks, so a
 * segment of a million jobs costs tens of megabytes beyond the jobs themselves.
 */
import { replaceFileDurablyStreamed, type ReplaceStep } from "../durable.ts";
import type { Claimable, ListKind, PendingList, PendingReader, PendingSegment } from "./pending.ts";
import {
  consumptionProblem,
  listConsumption,
  type PendingConsumption,
  remaining,
} from "./pending_consumption.ts";
import { SEAL_BYTES, sealInPlace } from "./codec.ts";
import {
  canonicalRunAt,
  decimalInto,
  encodeOrderHeader,
  ENTRY_ROOM,
  entryInto,
  indexLineInto,
  keyProblem,
  placeProblem,
} from "./pending_format.ts";
import type { HomePaths } from "./paths.ts";
import { Chunked, idOrder } from "./segment_write.ts";

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
  /** job i → its entry's number in the file (placeOf() gives its list and position) */
  entryOf: Uint32Array;
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
      const list = add(queues[q], "due", priorities.reduce((sum, p) => sum + dueCounts[q].get(p)!, 0));
      lists[list].top_priority = priorities[0];
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
    l.first_run_at = new Date(keys.runAt[byEntry[l.first]]).toISOString();
    l.last_run_at = new Date(keys.runAt[byEntry[l.first + l.count - 1]]).toISOString();
  }
  const entryOf = new Uint32Array(count);
  for (let k = 0; k < count; k++) entryOf[byEntry[k]] = k;
  return { lists, entryOf, byEntry };
}

/** The list and position of job i. */
export function placeOf(order: ClaimOrder, i: number): { list: number; pos: number } {
  const k = order.entryOf[i];
  const list = listAt(order.lists, k);
  return { list, pos: k - order.lists[list].first };
}

const encoder = new TextEncoder();

/**
 * Writes to `out` the sealed line of the object text `json` with its place `"o":[list,pos]` as
 * its last member, byte for byte as codec.ts sealInto() writes it with that member: its bytes are
 * written one by one (no string, no second encodeInto per line). Returns its length.
 */
function sealedAt(out: Chunked, json: string, list: number, pos: number): number {
  if (json.length < 2 || json[json.length - 1] !== "}") {
    throw new TypeError("A record must be a JSON object with at least one field");
  }
  return out.into(json.length * 3 + 40 + SEAL_BYTES, (buf, at) => {
    // over the body's "}": a comma unless the object was empty, the member, and "}" again
    let p = at + encoder.encodeInto(json, buf.subarray(at)).written - 1;
    if (json.length > 2) buf[p++] = 0x2c; // ,
    buf[p++] = 0x22; // "
    buf[p++] = 0x6f; // o
    buf[p++] = 0x22; // "
    buf[p++] = 0x3a; // :
    buf[p++] = 0x5b; // [
    p = decimalInto(list, buf, p);
    buf[p++] = 0x2c; // ,
    p = decimalInto(pos, buf, p);
    buf[p++] = 0x5d; // ]
    buf[p++] = 0x7d; // }
    return at + sealInPlace(buf, at, p - at);
  });
}

/**
 * Writes to `out` the sealed line of an object's text without its "}", `bytes[start, end)`,
 * with `last` added as its last member. Returns its length.
 */
function sealedBytes(out: Chunked, bytes: Uint8Array, start: number, end: number, last: string): number {
  return out.into(end - start + last.length * 3 + 2 + SEAL_BYTES, (buf, at) => {
    buf.set(bytes.subarray(start, end), at);
    let p = at + end - start;
    buf[p++] = 0x2c; // ,
    p += encoder.encodeInto(last, buf.subarray(p)).written;
    buf[p++] = 0x7d; // }
    return at + sealInPlace(buf, at, p - at);
  });
}

/**
 * Job i (in seq order): its id, and its object's text, to which the writer adds its place: as
 * the JSON text of the job, or as bytes (`bytes[start, body)`, an object's text without its
 * closing "}", as a segment's own line holds it before its old place).
 */
export type LineOf = (
  i: number,
) => { id: string; json: string } | { id: string; bytes: Uint8Array; start: number; body: number };

/** The JSON text of a job; it cannot have a member named "o", which its line gives its place. */
function jobJson(job: object & { id: string }): string {
  if (Object.hasOwn(job, "o")) throw new Error(`Cannot write pending job "${job.id}": it has a member "o"`);
  return JSON.stringify(job);
}

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
      const { list, pos } = placeOf(order, i);
      const line = lineOf(i);
      const { id } = line;
      const length = ("json" in line
        ? sealedAt(out, line.json, list, pos)
        : sealedBytes(out, line.bytes, line.start, line.body, `"o":[${list},${pos}]`)) - 1;
      const problem = placeProblem(bytes, length);
      if (problem) {
        throw new Error(`Cannot write pending segment ${n}: job "${id}" has ${problem}`);
      }
      ids[i] = id;
      offsets[i] = bytes;
      lengths[i] = length;
      bytes += length + 1;
    }
    out.flush();
    // the index order, found before the jobs file is renamed into place: a duplicate leaves nothing behind
    byId.set(idOrder(ids));
    for (let r = 1; r < count; r++) {
      if (ids[byId[r - 1]] === ids[byId[r]]) {
        throw new Error(`Cannot write pending segment ${n}: job "${ids[byId[r]]}" appears twice`);
      }
    }
  }, named("jobs"));

  let indexBytes = 0;
  replaceFileDurablyStreamed(paths.pendingIndex(n), (write) => {
    const out = new Chunked(write);
    for (let r = 0; r < count; r++) {
      const i = byId[r];
      const { list, pos } = placeOf(order, i);
      const id = ids[i];
      out.into(
        id.length * 3 + 70,
        (buf, at) => indexLineInto(id, offsets[i], lengths[i], list, pos, buf, at),
      );
    }
    out.flush();
    indexBytes = out.total;
  }, named("index"));

  let orderBytes = 0;
  replaceFileDurablyStreamed(paths.pendingOrder(n), (write) => {
    const out = new Chunked(write);
    out.bytes(encodeOrderHeader(n, nowIso, order.lists));
    for (let k = 0; k < count; k++) {
      const i = order.byEntry[k];
      const t = keys.runAt[i];
      const runAt = Number.isNaN(t) ? null : new Date(t).toISOString();
      out.into(
        ENTRY_ROOM,
        (buf, at) => entryInto(k, keys.seq[i], keys.priority[i], runAt, offsets[i], lengths[i], buf, at),
      );
    }
    out.flush();
    orderBytes = out.total;
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
  seq: Float64Array;
  priority: Float64Array;
  runAt: Float64Array;
  queue: Uint32Array;
  readonly queues: string[] = [];
  readonly #queueIds = new Map<string, number>();

  /** `capacity`: how many rows to make room for at once (they grow past it as needed) */
  constructor(capacity = 1024) {
    const n = Math.max(1, capacity);
    this.seq = new Float64Array(n);
    this.priority = new Float64Array(n);
    this.runAt = new Float64Array(n);
    this.queue = new Uint32Array(n);
  }

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
   * The columns in seq order, and which added row each came from (null: row i is the i-th, the
   * columns were added in seq order and are used as they are); throws if two rows share a seq.
   */
  inSeqOrder(what: string): { keys: ClaimKeys; row: Uint32Array | null } {
    const count = this.#count;
    let ascending = true;
    for (let i = 1; i < count && ascending; i++) ascending = this.seq[i - 1] < this.seq[i];
    let row: Uint32Array | null = null;
    const cut = <A extends Float64Array | Uint32Array>(a: A): A => a.subarray(0, count) as A;
    let keys: ClaimKeys = {
      count,
      seq: cut(this.seq),
      priority: cut(this.priority),
      runAt: cut(this.runAt),
      queue: cut(this.queue),
      queues: this.queues,
    };
    if (!ascending) {
      const r = new Uint32Array(count);
      for (let i = 0; i < count; i++) r[i] = i;
      r.sort((a, b) => this.seq[a] - this.seq[b]);
      const pick = <A extends Float64Array | Uint32Array>(a: A): A => {
        const b = new (a.constructor as { new (n: number): A })(count);
        for (let i = 0; i < count; i++) b[i] = a[r[i]];
        return b;
      };
      keys = {
        count,
        seq: pick(keys.seq),
        priority: pick(keys.priority),
        runAt: pick(keys.runAt),
        queue: pick(keys.queue),
        queues: this.queues,
      };
      row = r;
    }
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
  const columns = new KeyColumns(jobs.length);
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
  return writeSegmentFiles(paths, n, keys, now, (i) => {
    const job = jobs[row ? row[i] : i];
    return { id: job.id, json: jobJson(job) };
  }, step);
}

/**
 * Writes segment `n` holding the unconsumed jobs of `inputs`, split into due and scheduled lists
 * at `now` (compaction's rewrite): their keys come from the inputs' order entries, walked from each
 * list's prefix, and each kept job's line is read once, in seq order, through `reader`, and written
 * again with its new place. Memory grows with the jobs kept (about 150 bytes each), so callers
 * bound the inputs (pending_plan.ts).
 */
export function rewriteSegments(
  reader: PendingReader,
  inputs: readonly PendingSegment[],
  consumption: PendingConsumption,
  n: number,
  now: Date,
  step?: (name: string) => void,
): PendingSegment {
  for (const seg of inputs) {
    const cs = consumption.get(seg.n);
    const problem = cs === undefined ? null : consumptionProblem(seg, cs);
    if (problem) throw new Error(`Cannot rewrite pending segment ${seg.n}: ${problem}`);
  }
  const kept = inputs.reduce((sum, seg) => sum + remaining(seg, consumption.get(seg.n)), 0);
  const columns = new KeyColumns(kept);
  // where each kept job comes from: its input, its place there, its line
  const input = new Uint32Array(kept);
  const place = new Uint32Array(kept);
  const offset = new Float64Array(kept);
  const length = new Uint32Array(kept);
  inputs.forEach((seg, s) => {
    const cs = consumption.get(seg.n);
    seg.lists.forEach((l, list) => {
      const q = columns.queueId(l.queue);
      for (const { pos, entry } of reader.walk(seg, list, listConsumption(cs, list))) {
        const r = columns.add(
          entry.seq,
          entry.priority,
          entry.run_at === null ? NaN : Date.parse(entry.run_at),
          q,
        );
        input[r] = s;
        place[r] = l.first + pos;
        offset[r] = entry.offset;
        length[r] = entry.length;
      }
    });
  });
  const { keys, row } = columns.inSeqOrder(`pending segment ${n}`);
  const read = inputs.map((seg) => reader.sequential(seg));
  return writeSegmentFiles(reader.paths, n, keys, now, (i) => {
    const r = row ? row[i] : i;
    const seg = inputs[input[r]];
    const k = place[r];
    const list = listAt(seg.lists, k);
    return read[input[r]](offset[r], length[r], list, k - seg.lists[list].first);
  }, step);
}

/** The list of `lists` holding entry number k: the last that starts at or before it. */
function listAt(lists: readonly PendingList[], k: number): number {
  let lo = 0;
  let hi = lists.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lists[mid].first <= k) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
