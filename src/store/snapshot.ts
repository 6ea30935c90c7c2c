/**
 * Snapshot files: the state as of the end of one generation, as sealed lines (codec.ts).
 *
 *   line 1      header  {"format":"queuectl-snapshot","version":6,"gen":2,"seq":…,"next_order":…,
 *                        "stop_seq":…,"jobs":N,"counts":{…},"archived":A,"next_segment":S,
 *                        "archive":[{"n":…,"jobs":…,"bytes":…,"index_bytes":…,"min_seq":…,
 *                        "max_seq":…,"min_id":…,"max_id":…,"facts":{…}}],"tombstones":[[id,n]],
 *                        "by_queue":{queue:{…counts}},"queues":[[name,{concurrency,paused}]],
 *                        "schedules":[…],"pending":{"segments":[…],"consumption":[[n,[…]]]},
 *                        "outputs":[[file,attempts]],
 *                        "ids":[…],"lengths":[…],"states":[…],
 *                        "keys":[[i,queue,priority,seq,run_at]],
 *                        "ended":{"jobs":E,"bytes":…,"directory_bytes":…,"min_seq":…,"max_seq":…,
 *                                 "filter":{"bits":"…","hashes":14}},"body_crc":…}
 *   line 2      the ended lines' directory {"directory":"ended","ids":[…],"lengths":[…],"states":[…]}
 *   lines 3..   one live job per line (not archived, not in a pending segment): first those that
 *               may still run (pending, processing, failed), then the ended ones (completed, dead),
 *               each run in enqueue order
 *   last line   trailer {"end":true,"jobs":N}
 *
 * A home with a history keeps thousands of dead jobs in the DLQ, and a few that may still run:
 * the header names only those few (`ids`, `lengths`, `states`, `keys`), line 2 names the E ended
 * ones, and a reader reads line 2 only when it needs an ended job: to list, to look one up, to
 * compact. `ended.filter` (id_filter.ts, a Bloom filter of the ended ids) says without reading it
 * that an id is not there, which is what an enqueue (is its new id free?) and a lookup of an
 * archived or unknown id ask. `ended.bytes` is the length of the ended job lines together and
 * `directory_bytes` that of line 2, both newlines included. `min_seq` and `max_seq` are the first
 * and last ended line's seq (absent from a file written before they were added, which is read as
 * before): a listing in enqueue order reads line 2 only once it reaches them (lazy_jobs.ts runs()),
 * so `list --limit 20` of a home whose ended jobs are older than its newest 20 does not read it;
 * a parsed ended line whose seq lies outside them is corruption.
 *
 * `counts` (and `by_queue`) cover every job, archived ones and those waiting in pending segments
 * included, so `status` needs nothing else. `ids`, `lengths` (bytes, newline included) and `states`
 * name the job lines in order, so a reader opens the store by reading the header alone and reads
 * (and checks, and parses) a job's line only when the job is first used (lazy_jobs.ts); `states`
 * lets a claim leave the lines of ended jobs (dead ones kept in the DLQ) unparsed, and a parsed
 * line whose job is not in its header's state is corruption. `keys` give each waiting (pending or
 * failed) job line, by its index `i` among the job lines, what the claim index orders and gates it
 * by (runnable.ts), so building that index parses no job line: a claim parses only the jobs it
 * inspects (the heads of the index, their dependencies); every waiting line has a key, no other
 * line has one, and a parsed line whose job has another key is corruption. Readers and writers
 * alike read a line (and check its checksum) only when they first use its job, so a damaged byte
 * is found before it is used: nothing is decided from a job that was not checked, and a compaction parses every job
 * it writes again. `doctor` reads the whole file and checks `body_crc`, the CRC-32 of all job
 * lines together (and then every line's own).
 *
 * Older versions are read too: 5 (no line 2: every job line in enqueue order, named in the header),
 * 4 (no `keys`: the waiting jobs are parsed to build the claim index),
 * 3 (no `states`: every job line is parsed to find the jobs that may still run), 2 (no queues,
 * schedules or pending segments: every job in the default queue), 2 without its directory (written by 0c93482 to fd53212: read whole), and 1 (no archive, no
 * directory: read and parsed whole). tests/fixtures/homes/ holds a home of each.
 *
 * Written under a temp name, fsynced, renamed, directory fsynced (log.ts, compaction).
 */
import { CorruptionError } from "../errors.ts";
import { DEFAULT_QUEUE, isLive, isWaiting, type Job, JOB_STATES, type JobState, upgradeJob } from "../job.ts";
import type { Segment } from "./archive.ts";
import { checkLine, concat, crc32, decodeLine, type DecodeResult, encodeLine, splitLines } from "./codec.ts";
import { readAt } from "../durable.ts";
import type { QueueSettings, Schedule } from "./records.ts";
import type { PendingSegment } from "./pending.ts";
import { fileName } from "./paths.ts";
import { type Consumption, consumptionProblem } from "./pending_consumption.ts";
import {
  appendLines,
  idIndex,
  type KeyedLine,
  type LineDirectory,
  type SnapshotLines,
  type WaitKey,
} from "./lazy_jobs.ts";
import { IdFilter } from "./id_filter.ts";
import { type Counts, QueueState } from "./state.ts";

const FORMAT = "queuectl-snapshot";
const VERSION = 6;

export function encodeSnapshot(state: QueueState, gen: number): Uint8Array {
  const all = [...state.jobs.values()].sort((a, b) => a.seq - b.seq);
  const live = all.filter((j) => isLive(j.state));
  const ended = all.filter((j) => !isLive(j.state));
  const liveLines = live.map((job) => encodeLine(job));
  const endedLines = ended.map((job) => encodeLine(job));
  const body = concat([...liveLines, ...endedLines]);
  const directory = encodeLine({
    directory: "ended",
    ids: ended.map((j) => j.id),
    lengths: endedLines.map((l) => l.length),
    states: ended.map((j) => j.state),
  });
  const parts: Uint8Array[] = [];
  parts.push(encodeLine({
    format: FORMAT,
    version: VERSION,
    gen,
    seq: state.seq,
    next_order: state.nextOrder,
    stop_seq: state.stopSeq,
    jobs: all.length,
    counts: state.counts,
    archived: state.archived,
    next_segment: state.nextSegment,
    archive: state.archive,
    tombstones: [...state.tombstones],
    by_queue: Object.fromEntries(state.byQueue),
    queues: [...state.queues],
    schedules: [...state.schedules.values()],
    pending: state.pending.toJSON(),
    outputs: state.outputs ? [...state.outputs] : null,
    ids: live.map((j) => j.id),
    lengths: liveLines.map((l) => l.length),
    states: live.map((j) => j.state),
    keys: waitKeys(live),
    ended: {
      jobs: ended.length,
      ...(ended.length > 0 ? { min_seq: ended[0].seq, max_seq: ended[ended.length - 1].seq } : {}),
      bytes: endedLines.reduce((sum, l) => sum + l.length, 0),
      directory_bytes: directory.length,
      filter: IdFilter.of(ended.map((j) => j.id), ended.length).toJSON(),
    },
    body_crc: crc32(body),
  }));
  parts.push(directory);
  parts.push(body);
  parts.push(encodeLine({ end: true, jobs: all.length }));
  return concat(parts);
}

/** Version 5: `[line index, queue, priority, seq, run_at]` of each waiting job line, in line order. */
type KeyRow = [number, string, number, number, string | null];

function waitKeys(jobs: Job[]): KeyRow[] {
  const rows: KeyRow[] = [];
  jobs.forEach((j, i) => {
    if (isWaiting(j.state)) rows.push([i, j.queue, j.priority, j.seq, j.run_at]);
  });
  return rows;
}

type Fail = (line: number, why: string) => never;

function failer(path: string): Fail {
  const name = fileName(path);
  return (line, why) => {
    throw new CorruptionError(name, line, why);
  };
}

/**
 * Loads a snapshot. With `verifyAll` (`doctor`), reads and checks the whole file; without it (the
 * store's readers and writers), reads the header and trailer only, keeping the file open until
 * `state.jobs` has parsed every job or is released.
 */
export function readSnapshot(path: string, verifyAll = true): QueueState {
  const fail = failer(path);
  if (!verifyAll) {
    const lazy = readLazily(path, fail);
    if (lazy) return lazy;
  }
  const bytes = Deno.readFileSync(path);
  const v2 = verifiedV2(bytes, fail);
  if (v2) return v2;
  const { lines, complete } = splitLines(bytes);
  if (complete !== bytes.length) {
    fail(lines.length + 1, "the file ends in the middle of a line");
  }
  if (lines.length < 2) {
    fail(lines.length + 1, "the file is missing its header or trailer");
  }
  const decode = (i: number): Record<string, unknown> => {
    const r = decodeLine(bytes, lines[i][0], lines[i][1]);
    return r.ok ? r.value : fail(i + 1, r.why);
  };
  const header = checkHeader(decode(0), fail);
  checkTrailer(decode(lines.length - 1), lines.length - 2, header, lines.length, fail);
  const jobCount = lines.length - 2;
  const state = baseState(header);
  if (header.version === 1 || flat(header)) {
    for (let i = 1; i <= jobCount; i++) {
      const job = decode(i) as unknown as Job;
      if (typeof job.id !== "string" || state.jobs.has(job.id)) {
        fail(i + 1, "a job line is invalid or repeated");
      }
      state.put(upgradeJob(job));
    }
    // a version 2 file without its directory: its counts and archive are in its header
    return header.version === 1 ? state : finishV2(state, header, fail);
  }
  return fail(1, "the header has no directory of its job lines");
}

/**
 * A version 2 snapshot written before its header had a directory of its job lines (queuectl from
 * 0c93482 to fd53212): read whole, like version 1, with the counts and archive of its header.
 */
function flat(header: Record<string, unknown>): boolean {
  return header.version === 2 && header.ids === undefined && header.lengths === undefined;
}

/**
 * The whole-file path for versions 2 to 6 (`doctor`): the whole file, checked by the header's directory
 * (and line 2's, from version 6) and one checksum over all job lines (each line's own checksum is
 * checked again when it is parsed). Null for a version 1 file.
 */
function verifiedV2(bytes: Uint8Array, fail: Fail): QueueState | null {
  const headEnd = bytes.indexOf(0x0a);
  if (headEnd < 0) fail(1, "the file is missing its header or trailer");
  const head = decodeLine(bytes, 0, headEnd);
  if (!head.ok) fail(1, head.why);
  const header = checkHeader((head as { value: Record<string, unknown> }).value, fail);
  if (header.version === 1 || flat(header)) return null;
  const ended = endedOf(header, fail);
  const bodyStart = headEnd + 1 + (ended?.directory_bytes ?? 0);
  const { lines, end: liveEnd } = directory(header, bodyStart, ended, fail);
  if (ended) {
    if (bodyStart > bytes.length || bytes[bodyStart - 1] !== 0x0a) {
      fail(2, "the directory of ended job lines does not end where the header says");
    }
    appendLines(lines, endedDirectory(decodeLine(bytes, headEnd + 1, bodyStart - 1), ended, fail, true));
  }
  const end = ended ? liveEnd + ended.bytes : liveEnd;
  idIndex(lines); // every id once: a reader finds a repeat only when it first indexes the ids
  const jobCount = lines.ids.length;
  const first = lines.firstLine;
  if (end > bytes.length || crc32(bytes, bodyStart, end) !== header.body_crc) {
    // name the damaged line: the first whose own checksum fails
    for (let i = 0; i < jobCount; i++) {
      const e = lines.starts[i + 1] - 1;
      const why = e < bytes.length
        ? checkLine(bytes, lines.starts[i], e)
        : "the file is shorter than its header says";
      if (why !== null) fail(first + i, why);
      if (bytes[e] !== 0x0a) fail(first + i, "the line does not end where the header says");
    }
    fail(first, "the job lines do not match the header's checksum of them");
  }
  if (bytes[bytes.length - 1] !== 0x0a || bytes.indexOf(0x0a, end) !== bytes.length - 1) {
    fail(first + jobCount, "the file does not end with one trailer line");
  }
  const trailer = decodeLine(bytes, end, bytes.length - 1);
  if (!trailer.ok) fail(first + jobCount, trailer.why);
  checkTrailer(
    (trailer as { value: Record<string, unknown> }).value,
    jobCount,
    header,
    first + jobCount,
    fail,
  );
  const state = baseState(header);
  const endedFrom = lines.firstLine + lines.split;
  state.jobs.setUnparsed(
    lines,
    (id, s, e, line, jobState, key) =>
      parseJob(bytes.subarray(s, e), id, jobState, key ?? null, line >= endedFrom ? ended : null, line, fail),
    state.nextOrder,
  );
  return finishV2(state, header, fail);
}

/**
 * Where each job line the header names is, from its ids and lengths, with the state its `states`
 * gives it (from version 4) and a waiting job's claim key its `keys` give it (from version 5);
 * `end` is where those lines end (the trailer, or from version 6 the ended lines). From version 4
 * every line must have a known state, from version 6 one of a job that may still run (a line whose
 * job is in another state fails when it is parsed: parseJob). One pass over plain arrays: nothing
 * is allocated per line (a repeated id is found when the lines' id index is built: lazy_jobs.ts).
 * From version 6 `starts` has room for the `ended` lines, and `lines.ended` is left for the caller to set.
 */
function directory(
  header: Record<string, unknown>,
  start: number,
  ended: Ended | null,
  fail: Fail,
): { lines: SnapshotLines; end: number } {
  const ids = header.ids as unknown[];
  const lengths = header.lengths as unknown[];
  const states = (header.states ?? null) as unknown[] | null;
  const version = header.version as number;
  if (version >= 4 && (!Array.isArray(states) || states.length !== ids.length)) {
    fail(1, "the header's states of job lines are incomplete");
  }
  const known = version >= 6 ? LIVE_STATES : KNOWN_STATES;
  const firstLine = version >= 6 ? 3 : 2;
  const starts = new Float64Array(ids.length + (ended?.jobs ?? 0) + 1);
  let at = start;
  for (let i = 0; i < ids.length; i++) {
    const length = lengths[i];
    if (typeof ids[i] !== "string" || typeof length !== "number" || !(length > 0)) {
      fail(firstLine + i, "a job line is invalid or repeated");
    }
    if (states !== null && !known.has(states[i])) {
      fail(1, `the header gives job line ${firstLine + i} an unknown state ${JSON.stringify(states[i])}`);
    }
    starts[i] = at;
    at += length as number;
  }
  starts[ids.length] = at;
  const lines: SnapshotLines = {
    ids: ids as string[],
    starts,
    states: states as JobState[] | null,
    keys: version >= 5 ? readKeys(header, ids as string[], fail) : null,
    firstLine,
    split: ids.length,
    ended: null,
    repeated: (line) => fail(line, "a job line is invalid or repeated"),
  };
  return { lines, end: at };
}

const KNOWN_STATES: ReadonlySet<unknown> = new Set(JOB_STATES);
const LIVE_STATES: ReadonlySet<unknown> = new Set(JOB_STATES.filter(isLive));
const ENDED_STATES: ReadonlySet<unknown> = new Set(JOB_STATES.filter((s) => !isLive(s)));

/** Version 6: what the header says of the ended lines (checked for sense), null before. */
interface Ended {
  jobs: number;
  bytes: number;
  directory_bytes: number;
  filter: IdFilter;
  /** the first and last ended line's seq; null in a file written before the header had them */
  seqs: { min: number; max: number } | null;
}

function endedOf(header: Record<string, unknown>, fail: Fail): Ended | null {
  if ((header.version as number) < 6) return null;
  const e = header.ended as Record<string, unknown> | undefined;
  const filter = IdFilter.read(e?.filter);
  if (
    typeof e !== "object" || e === null || !Number.isSafeInteger(e.jobs) || (e.jobs as number) < 0 ||
    !Number.isSafeInteger(e.bytes) || (e.bytes as number) < 0 || !Number.isSafeInteger(e.directory_bytes) ||
    (e.directory_bytes as number) < 2
  ) {
    fail(1, "the header's account of the ended job lines is invalid");
  }
  if (typeof filter === "string") return fail(1, `the header's filter of ended jobs is invalid: ${filter}`);
  const { min_seq: min, max_seq: max } = e as { min_seq?: unknown; max_seq?: unknown };
  const seqs = min === undefined && max === undefined ? null : { min, max };
  if (
    seqs !== null &&
    (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || (min as number) < 0 ||
      (min as number) > (max as number) ||
      (e as { jobs: number }).jobs === 0)
  ) {
    fail(1, "the header's seqs of the ended job lines are invalid");
  }
  const ended = e as unknown as Ended;
  return {
    jobs: ended.jobs,
    bytes: ended.bytes,
    directory_bytes: ended.directory_bytes,
    filter,
    seqs: seqs as Ended["seqs"],
  };
}

/**
 * Version 6: line 2, decoded, as the directory of the ended lines: `ended.jobs` of them, of
 * `ended.bytes` together, each an ended state; with `againstFilter` (doctor's whole-file check),
 * each id in the header's filter too. Both lines are sealed and written from the same ids, so only
 * a writer's bug could part them, and that check cost a reader 14 hashes an id in code V8 had not
 * optimised yet: 3.7-4.6 ms of the 7-9 ms a `list` of a home with a history took to read line 2
 * (5,000 ended jobs; bench/results/2026-12-07-crc).
 */
function endedDirectory(line: DecodeResult, ended: Ended, fail: Fail, againstFilter: boolean): LineDirectory {
  if (!line.ok) return fail(2, line.why);
  const d = line.value;
  const { ids, lengths, states } = d as { ids: unknown[]; lengths: unknown[]; states: unknown[] };
  if (
    d.directory !== "ended" || !Array.isArray(ids) || !Array.isArray(lengths) || !Array.isArray(states) ||
    ids.length !== ended.jobs || lengths.length !== ended.jobs || states.length !== ended.jobs
  ) {
    fail(2, "the directory of ended job lines is incomplete");
  }
  let bytes = 0;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    const length = lengths[k];
    if (
      typeof id !== "string" || !Number.isSafeInteger(length) || (length as number) <= 0 ||
      !ENDED_STATES.has(states[k]) || (againstFilter && !ended.filter.mayHold(id))
    ) {
      fail(2, `the directory of ended job lines is invalid at its entry ${k + 1}`);
    }
    bytes += length as number;
  }
  if (bytes !== ended.bytes) {
    fail(2, "the directory of ended job lines does not match the header's length of them");
  }
  return { ids: ids as string[], lengths: lengths as number[], states: states as JobState[] };
}

/**
 * Version 5: the header's `keys` give every waiting job line (by its `states`) a claim key, and no
 * other line one; each is well formed (a line whose job has another key fails when it is parsed).
 */
function readKeys(header: Record<string, unknown>, ids: string[], fail: Fail): Map<number, KeyedLine> {
  const keys = header.keys;
  if (!Array.isArray(keys)) fail(1, "the header's keys of waiting jobs are missing");
  const count = ids.length;
  const states = header.states as unknown[];
  const out = new Map<number, KeyedLine>();
  let last = -1;
  for (const row of keys as unknown[]) {
    const [i, queue, priority, seq, runAt] = (Array.isArray(row) ? row : []) as unknown[];
    const at = typeof runAt === "string" ? Date.parse(runAt) : -Infinity;
    if (
      !Array.isArray(row) || row.length !== 5 || !Number.isSafeInteger(i) || (i as number) <= last ||
      (i as number) >= count || !isWaiting(states?.[i as number] as JobState) ||
      typeof queue !== "string" || typeof priority !== "number" || !Number.isFinite(priority) ||
      !Number.isSafeInteger(seq) || !(runAt === null || (typeof runAt === "string" && Number.isFinite(at)))
    ) {
      fail(1, `the header's key of a waiting job is invalid: ${JSON.stringify(row)}`);
    }
    last = i as number;
    out.set(last, {
      id: ids[last],
      line: last,
      queue: queue as string,
      priority: priority as number,
      seq: seq as number,
      run_at: runAt as string | null,
      at,
    });
  }
  let waiting = 0;
  for (let i = 0; i < count; i++) if (isWaiting(states[i] as JobState)) waiting++;
  if (waiting !== keys.length) fail(1, "the header's keys of waiting jobs are incomplete");
  return out;
}

/** The store's path: header and trailer only. Null for a version 1 file (read whole instead). */
function readLazily(path: string, fail: Fail): QueueState | null {
  const file = Deno.openSync(path, { read: true });
  let keep = false;
  try {
    const size = file.statSync().size;
    const headLine = readFirstLine(file, size) ?? fail(1, "the file is missing its header or trailer");
    const head = decodeLine(headLine, 0, headLine.length);
    if (!head.ok) fail(1, head.why);
    const header = checkHeader((head as { value: Record<string, unknown> }).value, fail);
    if (header.version === 1 || flat(header)) return null;
    const ended = endedOf(header, fail);
    const directoryStart = headLine.length + 1;
    const start = directoryStart + (ended?.directory_bytes ?? 0);
    const { lines, end: liveEnd } = directory(header, start, ended, fail);
    if (ended && ended.jobs > 0) {
      lines.ended = {
        count: ended.jobs,
        seqs: ended.seqs,
        mayHold: (id) => ended.filter.mayHold(id),
        read: () => {
          // with its newline: a damaged one would otherwise pass unseen here (doctor's check sees it)
          const bytes = readRange(file, directoryStart, ended.directory_bytes);
          if (bytes.length !== ended.directory_bytes || bytes[bytes.length - 1] !== 0x0a) {
            fail(2, "the directory of ended job lines does not end where the header says");
          }
          return endedDirectory(decodeLine(bytes, 0, bytes.length - 1), ended, fail, false);
        },
      };
    }
    const at = liveEnd + (ended?.bytes ?? 0);
    const jobCount = lines.ids.length + (ended?.jobs ?? 0);
    const trailerLine = lines.firstLine + jobCount;
    const tail = readRange(file, at, size - at);
    if (tail.length < 2 || tail[tail.length - 1] !== 0x0a) {
      fail(trailerLine, "the file ends in the middle of a line, or where the header says it does not");
    }
    const trailer = decodeLine(tail, 0, tail.length - 1);
    if (!trailer.ok) fail(trailerLine, trailer.why);
    checkTrailer((trailer as { value: Record<string, unknown> }).value, jobCount, header, trailerLine, fail);
    const state = baseState(header);
    keep = jobCount > 0;
    const endedFrom = lines.firstLine + lines.split;
    state.jobs.setUnparsed(
      lines,
      (id, s, e, line, jobState, key) => {
        // with its newline: a damaged one would otherwise pass unseen here (doctor's check sees it)
        const bytes = readRange(file, s, e - s + 1);
        if (bytes[e - s] !== 0x0a) fail(line, "the line does not end where the header says");
        return parseJob(
          bytes.subarray(0, e - s),
          id,
          jobState,
          key ?? null,
          line >= endedFrom ? ended : null,
          line,
          fail,
        );
      },
      state.nextOrder,
      keep ? () => file.close() : undefined,
    );
    return finishV2(state, header, fail);
  } finally {
    if (!keep) file.close();
  }
}

function readFirstLine(file: Deno.FsFile, size: number): Uint8Array | null {
  let buf = readRange(file, 0, Math.min(size, 64 * 1024));
  for (;;) {
    const nl = buf.indexOf(0x0a);
    if (nl >= 0) return buf.subarray(0, nl);
    if (buf.length >= size) return null;
    // four times as much, reading only what is not read yet
    const more = new Uint8Array(Math.min(size, buf.length * 4));
    more.set(buf);
    const got = readAt(file, buf.length, more.subarray(buf.length));
    if (got === 0) return null; // shorter than it was a moment ago
    buf = more.subarray(0, buf.length + got);
  }
}

function readRange(file: Deno.FsFile, position: number, length: number): Uint8Array {
  const buf = new Uint8Array(Math.max(0, length));
  return buf.subarray(0, readAt(file, position, buf));
}

function parseJob(
  line: Uint8Array,
  id: string,
  state: JobState | null,
  key: WaitKey | null,
  ended: Ended | null,
  lineNo: number,
  fail: Fail,
): Job {
  const r = decodeLine(line, 0, line.length);
  if (!r.ok) fail(lineNo, r.why);
  const read = (r as { value: unknown }).value as Job;
  if (read.id !== id || (state !== null && read.state !== state)) {
    fail(lineNo, "the line does not match the header");
  }
  const job = upgradeJob(read);
  if (
    key !== null &&
    (job.queue !== key.queue || job.priority !== key.priority || job.seq !== key.seq ||
      job.run_at !== key.run_at)
  ) {
    fail(lineNo, "the job's claim key does not match the header's");
  }
  if (ended?.seqs && !(job.seq >= ended.seqs.min && job.seq <= ended.seqs.max)) {
    fail(lineNo, "the job's seq is outside the header's seqs of the ended job lines");
  }
  return job;
}

function checkHeader(header: Record<string, unknown>, fail: Fail): Record<string, unknown> {
  if (header.format !== FORMAT || ![1, 2, 3, 4, 5, VERSION].includes(header.version as number)) {
    fail(1, `unknown snapshot format ${JSON.stringify(header.format)} v${header.version}`);
  }
  // from version 6 the header names the lines that may still run, line 2 the ended ones
  const named = (header.jobs as number) - ((header.ended as { jobs?: number } | undefined)?.jobs ?? 0);
  if (
    header.version !== 1 && !flat(header) &&
    (!Array.isArray(header.ids) || !Array.isArray(header.lengths) ||
      header.ids.length !== named || header.lengths.length !== named)
  ) {
    fail(1, "the header's directory of job lines is incomplete");
  }
  return header;
}

function checkTrailer(
  trailer: Record<string, unknown>,
  found: number,
  header: Record<string, unknown>,
  line: number,
  fail: Fail,
): void {
  if (trailer.end !== true || trailer.jobs !== found || header.jobs !== found) {
    fail(line, `the trailer does not close ${header.jobs} jobs (found ${found})`);
  }
}

/**
 * Puts the header's queue settings, schedules and pending segments (each absent before its version)
 * into `state`. A pending segment whose consumption makes no sense goes to `refuse` instead: a load
 * fails there, a repair leaves the segment out and says so.
 */
export function headerSettings(
  state: QueueState,
  header: Record<string, unknown>,
  refuse: (seg: PendingSegment, problem: string) => void,
): void {
  for (const [name, settings] of (header.queues ?? []) as Array<[string, QueueSettings]>) {
    state.queues.set(name, settings);
  }
  for (const schedule of (header.schedules ?? []) as Schedule[]) state.schedules.set(schedule.name, schedule);
  const pending = (header.pending ?? { segments: [], consumption: [] }) as {
    segments: PendingSegment[];
    consumption: Array<[number, Consumption[]]>;
  };
  const consumption = new Map(pending.consumption);
  for (const seg of pending.segments) {
    const problem = consumptionProblem(seg, consumption.get(seg.n));
    if (problem !== null) {
      refuse(seg, problem);
      continue;
    }
    state.pending.segments.push(seg);
    state.pending.consumption.set(seg.n, consumption.get(seg.n)!);
  }
}

function baseState(header: Record<string, unknown>): QueueState {
  const state = new QueueState();
  state.seq = header.seq as number;
  state.nextOrder = header.next_order as number;
  state.stopSeq = header.stop_seq as number;
  return state;
}

/**
 * Versions 2 and 3: counts, archive (and, from 3, queues and schedules) come from the header (its
 * checksum holds), checked for sense. Before queues every job was in the default queue.
 */
function finishV2(state: QueueState, header: Record<string, unknown>, fail: Fail): QueueState {
  state.untracked();
  Object.assign(state.counts, header.counts as Record<string, number>);
  const byQueue = (header.by_queue ?? { [DEFAULT_QUEUE]: header.counts }) as Record<string, Counts>;
  for (const [queue, counts] of Object.entries(byQueue)) state.byQueue.set(queue, { ...counts });
  headerSettings(state, header, (_seg, problem) => fail(1, problem));
  // attempts per output file, kept since 0.2 (absent: unknown, counted again by the next compaction)
  state.outputs = Array.isArray(header.outputs) ? new Map(header.outputs as Array<[string, number]>) : null;
  state.archived = header.archived as number;
  state.nextSegment = header.next_segment as number;
  state.archive = header.archive as Segment[];
  state.tombstones = new Map(header.tombstones as Array<[string, number]>);
  const inSegments = state.archive.reduce((sum, seg) => sum + seg.jobs, 0);
  const total = Object.values(state.counts).reduce((a, b) => a + b, 0);
  const waiting = state.pending.waiting;
  if (
    !Number.isSafeInteger(state.archived) || state.archived < 0 || state.archived > inSegments ||
    total !== (header.jobs as number) + state.archived + waiting || state.counts.completed < state.archived ||
    state.counts.pending < waiting
  ) {
    fail(1, "the header's counts do not match its jobs and archive");
  }
  return state;
}
