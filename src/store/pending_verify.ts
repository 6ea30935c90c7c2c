/**
 * A pending segment under `doctor`: all three files read whole, in chunks, every line checked and
 * the files checked against one another and against the snapshot's record. Memory: about 50
 * bytes per job (columns of numbers, no job objects kept).
 */
import { crc32 } from "./codec.ts";
import type { PendingReader, PendingSegment } from "./pending.ts";
import { lowerBound } from "./pending_consumption.ts";
import { canonicalRunAt, ENTRY_WIDTH } from "./pending_format.ts";

const encoder = new TextEncoder();

/**
 * Reads all three files of `seg` whole and checks every line and their agreement: each job in
 * exactly one place of its queue's right list, the lists in claim order, the index complete and
 * sorted. Throws a CorruptionError naming the first file of `seg` found at fault.
 */
export function verifySegment(reader: PendingReader, seg: PendingSegment): void {
  const { paths } = reader;
  const jobsPath = paths.pendingJobs(seg.n);
  const indexPath = paths.pendingIndex(seg.n);
  const orderPath = paths.pendingOrder(seg.n);
  const count = seg.jobs;
  const nowMs = Date.parse(seg.now);
  reader.open(seg);

  // the lists, as recorded: back to back, none empty, by queue name, due before scheduled
  let next = 0;
  seg.lists.forEach((l, i) => {
    const prev = seg.lists[i - 1];
    const ordered = !prev || prev.queue < l.queue ||
      (prev.queue === l.queue && prev.kind === "due" && l.kind === "scheduled");
    if (l.first !== next || !(l.count > 0) || !ordered) {
      reader.corrupt(orderPath, 0, `list ${i} (${l.queue}, ${l.kind}) is not where the lists' order puts it`);
    }
    next += l.count;
  });
  if (next !== count) reader.corrupt(orderPath, 0, `its lists hold ${next} entries, not ${count}`);

  // the jobs file: every line, in seq order, each in a place of its own
  const offsets = new Float64Array(count);
  const lengths = new Uint32Array(count);
  const seqs = new Float64Array(count);
  const priorities = new Float64Array(count);
  const runAts = new Float64Array(count);
  const idCrcs = new Uint32Array(count);
  const listOf = new Uint32Array(count);
  const posOf = new Uint32Array(count);
  /** entry k → 1 + the job placed there */
  const owner = new Uint32Array(count);
  let i = 0;
  for (const { job, list, pos, offset, length } of reader.scan(seg)) {
    if (i === count) reader.corrupt(jobsPath, offset, `it holds more than the ${count} jobs recorded`);
    const l = seg.lists[list];
    if (!l || pos >= l.count) {
      reader.corrupt(jobsPath, offset, `job "${job.id}" names place [${list},${pos}], which no list has`);
    }
    if (owner[l.first + pos] !== 0) {
      reader.corrupt(jobsPath, offset, `job "${job.id}" shares place [${list},${pos}]`);
    }
    owner[l.first + pos] = i + 1;
    const runAt = canonicalRunAt(job.run_at);
    if (runAt === "invalid" || job.queue !== l.queue) {
      reader.corrupt(jobsPath, offset, `job "${job.id}" does not belong in list ${list} (${l.queue})`);
    }
    const ms = runAt === null ? NaN : runAt.ms;
    const due = Number.isNaN(ms) || ms <= nowMs;
    if (due !== (l.kind === "due")) {
      reader.corrupt(
        jobsPath,
        offset,
        `job "${job.id}" runs at ${job.run_at}: it does not belong in a ${l.kind} list`,
      );
    }
    offsets[i] = offset;
    lengths[i] = length;
    seqs[i] = job.seq;
    priorities[i] = job.priority;
    runAts[i] = ms;
    idCrcs[i] = crc32(encoder.encode(job.id));
    listOf[i] = list;
    posOf[i] = pos;
    i++;
  }
  if (i !== count) reader.corrupt(jobsPath, seg.bytes, `it holds ${i} jobs, not ${count}`);
  if (count > 0 && (seqs[0] !== seg.min_seq || seqs[count - 1] !== seg.max_seq)) {
    reader.corrupt(
      jobsPath,
      0,
      `its seqs run ${seqs[0]}..${seqs[count - 1]}, not ${seg.min_seq}..${seg.max_seq}`,
    );
  }

  // the order file: each entry names the job placed there, each list in its order
  seg.lists.forEach((l, list) => {
    // a scheduled list records when its first and last entries come due; a due list, nothing
    const iso = (k: number) => new Date(runAts[owner[k] - 1]).toISOString();
    const span = l.kind === "scheduled" ? [iso(l.first), iso(l.first + l.count - 1)] : [undefined, undefined];
    if (l.first_run_at !== span[0] || l.last_run_at !== span[1]) {
      reader.corrupt(
        orderPath,
        0,
        `list ${list} (${l.queue}, ${l.kind}) records run_at ${l.first_run_at}..${l.last_run_at}, its entries ${
          span[0]
        }..${span[1]}`,
      );
    }
    // a due list records its first entry's priority (segments written before that do not); a scheduled one, none
    const top = l.kind === "due" && l.top_priority !== undefined ? priorities[owner[l.first] - 1] : undefined;
    if (l.top_priority !== top) {
      reader.corrupt(
        orderPath,
        0,
        `list ${list} (${l.queue}, ${l.kind}) records top priority ${l.top_priority}, its first entry ${top}`,
      );
    }
    let prev = -1;
    for (const { pos, entry } of reader.walk(seg, list)) {
      const j = owner[l.first + pos] - 1;
      const t = entry.run_at === null ? NaN : Date.parse(entry.run_at);
      const same = entry.offset === offsets[j] && entry.length === lengths[j] && entry.seq === seqs[j] &&
        entry.priority === priorities[j] && (t === runAts[j] || (Number.isNaN(t) && Number.isNaN(runAts[j])));
      const where = entryAt(seg, l.first + pos);
      if (!same) {
        reader.corrupt(
          orderPath,
          where,
          `order entry ${l.first + pos} does not describe the job placed there`,
        );
      }
      if (prev >= 0 && !before(l.kind, prev, j)) {
        reader.corrupt(orderPath, where, `order entry ${l.first + pos} is out of claim order`);
      }
      prev = j;
    }
  });

  // the index: every job once, by id, naming its line and its place
  const seen = new Uint8Array(count);
  let entries = 0;
  let previous: string | null = null;
  let first = "";
  for (const e of reader.indexEntries(seg)) {
    if (previous !== null && !(previous < e.id)) {
      reader.corrupt(indexPath, e.at, `entry ${entries + 1} is out of id order`);
    }
    if (previous === null) first = e.id;
    previous = e.id;
    entries++;
    const j = ordinalAt(offsets, e.offset);
    if (
      j < 0 || seen[j] || lengths[j] !== e.length || idCrcs[j] !== crc32(encoder.encode(e.id)) ||
      listOf[j] !== e.list || posOf[j] !== e.pos
    ) {
      reader.corrupt(indexPath, e.at, `it places job "${e.id}" where the jobs file has another`);
    }
    seen[j] = 1;
  }
  if (entries !== count) {
    reader.corrupt(indexPath, seg.index_bytes, `it has ${entries} entries, not ${count}`);
  }
  if (count > 0 && (first !== seg.min_id || previous !== seg.max_id)) {
    reader.corrupt(indexPath, 0, `its ids run from "${first}" to "${previous}", not as recorded`);
  }

  /** Whether job a comes before job b in a list of `kind`. */
  function before(kind: string, a: number, b: number): boolean {
    if (kind === "due") {
      return priorities[a] > priorities[b] || (priorities[a] === priorities[b] && seqs[a] < seqs[b]);
    }
    return runAts[a] < runAts[b] || (runAts[a] === runAts[b] && seqs[a] < seqs[b]);
  }
}

/** Where entry k of the order file starts. */
function entryAt(seg: PendingSegment, k: number): number {
  return seg.order_bytes - seg.jobs * ENTRY_WIDTH + k * ENTRY_WIDTH;
}

/** The job whose line starts at `offset` (offsets ascend), or -1. */
function ordinalAt(offsets: Float64Array, offset: number): number {
  const lo = lowerBound(offsets, offset);
  return lo < offsets.length && offsets[lo] === offset ? lo : -1;
}
