/**
 * Writing archive segments (archive.ts has their format and reader): a new segment of completed
 * jobs, the merge of the newest segments into one, which segments to merge, and which tombstones
 * a merge leaves needed. Compaction and doctor's repairs use it; a call that only reads does not
 * load it.
 */
import type { Job } from "../job.ts";
import { encodeLine } from "./codec.ts";
import { replaceFileDurably, type ReplaceStep } from "../durable.ts";
import {
  addFacts,
  type ArchiveReader,
  emptyFacts,
  encodeIndexLine,
  hidden,
  type Segment,
  type Tombstones,
} from "./archive.ts";
import type { HomePaths } from "./paths.ts";

const encoder = new TextEncoder();

/** What writing a segment needs of a job: its id, its order, and its sealed line. */
export interface ArchivedLine {
  id: string;
  seq: number;
  line: Uint8Array;
  /** the job itself, for the segment's facts */
  job: Job;
}

export function lineOf(job: Job): ArchivedLine {
  return { id: job.id, seq: job.seq, line: encodeLine(job), job };
}

/** Writes segment `n` durably: the jobs file first, then its index. `lines` must hold distinct ids. */
export function writeSegment(
  paths: HomePaths,
  n: number,
  lines: ArchivedLine[],
  step: (name: string) => void = () => {},
): Segment {
  const ordered = [...lines].sort((a, b) => a.seq - b.seq);
  let size = 0;
  const facts = emptyFacts();
  for (const l of ordered) {
    size += l.line.length;
    addFacts(facts, l.job);
  }
  const data = new Uint8Array(size);
  const entries: Array<[string, number, number]> = [];
  let off = 0;
  for (const l of ordered) {
    data.set(l.line, off);
    entries.push([l.id, off, l.line.length - 1]);
    off += l.line.length;
  }
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const index = encoder.encode(entries.map(([id, o, len]) => encodeIndexLine(id, o, len)).join(""));
  const named = (file: string) => (s: ReplaceStep) => step(`archive-${file}-${s}`);
  replaceFileDurably(paths.archiveJobs(n), data, named("jobs"));
  replaceFileDurably(paths.archiveIndex(n), index, named("index"));
  return {
    n,
    jobs: ordered.length,
    bytes: data.length,
    index_bytes: index.length,
    min_seq: ordered.length ? ordered[0].seq : 0,
    max_seq: ordered.length ? ordered[ordered.length - 1].seq : 0,
    min_id: entries.length ? entries[0][0] : "",
    max_id: entries.length ? entries[entries.length - 1][0] : "",
    facts,
  };
}

/** Merges `inputs` into segment `n`, read through `reader`, dropping hidden copies (archive.ts). */
export function mergeSegments(
  reader: ArchiveReader,
  inputs: readonly Segment[],
  tombstones: Tombstones,
  n: number,
  step?: (name: string) => void,
): Segment {
  const lines: ArchivedLine[] = [];
  for (const seg of inputs) {
    for (const { job, line } of reader.scan(seg)) {
      if (!hidden(tombstones, job.id, seg.n)) lines.push({ id: job.id, seq: job.seq, line, job });
    }
  }
  return writeSegment(reader.paths, n, lines, step);
}

/** Segments of one tier differ in size by less than 4×. */
function tier(seg: Segment): number {
  return Math.max(0, Math.floor(Math.log(Math.max(1, seg.bytes) / 65536) / Math.log(4)));
}

/** Merges stop at this size: a merge holds its inputs in memory, and a big one would stall writers. */
export const MERGE_LIMIT_BYTES = 32 * 1024 * 1024;

/**
 * The segments to merge next, if any: the newest four when they are of one tier and small enough
 * together (a base-4 counter: at most three segments per tier, each job rewritten once per tier).
 */
export function planMerge(segments: readonly Segment[]): Segment[] | null {
  if (segments.length < 4) return null;
  const last = segments.slice(-4);
  const t = tier(last[3]);
  if (!last.every((s) => tier(s) === t)) return null;
  const total = last.reduce((sum, s) => sum + s.bytes, 0);
  return total <= MERGE_LIMIT_BYTES ? last : null;
}

/** Tombstones still needed once only `segments` remain: one that no remaining copy can be under. */
export function liveTombstones(tombstones: Tombstones, segments: readonly Segment[]): Tombstones {
  const oldest = segments.length ? Math.min(...segments.map((s) => s.n)) : Infinity;
  const out: Tombstones = new Map();
  for (const [id, t] of tombstones) if (t >= oldest) out.set(id, t);
  return out;
}
