/**
 * Snapshot files: the state as of the end of one generation, as sealed lines (codec.ts).
 *
 *   line 1      header  {"format":"queuectl-snapshot","version":2,"gen":2,"seq":…,"next_order":…,
 *                        "stop_seq":…,"jobs":N,"counts":{…},"archived":A,"next_segment":S,
 *                        "archive":[{"n":…,"jobs":…,"bytes":…,"index_bytes":…,"min_seq":…,
 *                        "max_seq":…,"min_id":…,"max_id":…}],"tombstones":[[id,n]]}
 *   lines 2..   one live job per line (not archived), in enqueue order
 *   last line   trailer {"end":true,"jobs":N}
 *
 * `counts` covers every job, archived ones included, so `status` needs nothing else; the header
 * is checked against the job lines and `archived`. Version 1 (no archive) is read as well.
 *
 * Written under a temp name, fsynced, renamed, directory fsynced (log.ts, compaction).
 */
import { CorruptionError } from "../errors.ts";
import type { Job } from "../job.ts";
import { decodeLine, encodeLine, splitLines } from "./codec.ts";
import type { Segment } from "./archive.ts";
import { QueueState } from "./state.ts";

const FORMAT = "queuectl-snapshot";
const VERSION = 2;

export function encodeSnapshot(state: QueueState, gen: number): Uint8Array {
  const parts: Uint8Array[] = [];
  parts.push(encodeLine({
    format: FORMAT,
    version: VERSION,
    gen,
    seq: state.seq,
    next_order: state.nextOrder,
    stop_seq: state.stopSeq,
    jobs: state.jobs.size,
    counts: state.counts,
    archived: state.archived,
    next_segment: state.nextSegment,
    archive: state.archive,
    tombstones: [...state.tombstones],
  }));
  const jobs = [...state.jobs.values()].sort((a, b) => a.seq - b.seq);
  for (const job of jobs) parts.push(encodeLine(job));
  parts.push(encodeLine({ end: true, jobs: jobs.length }));
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function readSnapshot(path: string): QueueState {
  const bytes = Deno.readFileSync(path);
  const { lines, complete } = splitLines(bytes);
  const name = path.slice(path.lastIndexOf("/") + 1);
  const fail = (line: number, why: string): never => {
    throw new CorruptionError(name, line, why);
  };
  if (complete !== bytes.length) {
    fail(lines.length + 1, "the file ends in the middle of a line");
  }
  if (lines.length < 2) {
    fail(lines.length + 1, "the file is missing its header or trailer");
  }
  const rows = lines.map(([s, e], i) => {
    const r = decodeLine(bytes, s, e);
    return r.ok ? r.value : fail(i + 1, r.why);
  });
  const header = rows[0];
  if (header.format !== FORMAT || (header.version !== VERSION && header.version !== 1)) {
    fail(
      1,
      `unknown snapshot format ${JSON.stringify(header.format)} v${header.version}`,
    );
  }
  const trailer = rows[rows.length - 1];
  const jobCount = rows.length - 2;
  if (
    trailer.end !== true || trailer.jobs !== jobCount ||
    header.jobs !== jobCount
  ) {
    fail(
      rows.length,
      `the trailer does not close ${header.jobs} jobs (found ${jobCount})`,
    );
  }
  const state = new QueueState();
  state.seq = header.seq as number;
  state.nextOrder = header.next_order as number;
  state.stopSeq = header.stop_seq as number;
  for (let i = 1; i <= jobCount; i++) {
    const job = rows[i] as unknown as Job;
    if (typeof job.id !== "string" || state.jobs.has(job.id)) {
      fail(i + 1, "a job line is invalid or repeated");
    }
    state.put(job);
  }
  if (header.version === VERSION) {
    state.archived = header.archived as number;
    state.nextSegment = header.next_segment as number;
    state.archive = header.archive as Segment[];
    state.tombstones = new Map(header.tombstones as Array<[string, number]>);
    state.counts.completed += state.archived;
    const inSegments = state.archive.reduce((sum, seg) => sum + seg.jobs, 0);
    if (
      !Number.isSafeInteger(state.archived) || state.archived < 0 || state.archived > inSegments ||
      JSON.stringify(state.counts) !== JSON.stringify(header.counts)
    ) {
      fail(1, "the header's counts do not match its jobs and archive");
    }
  }
  return state;
}
