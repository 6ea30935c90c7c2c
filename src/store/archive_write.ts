/**
 * Writing archive segments (archive.ts has their format and reader): a new segment of completed
 * jobs, the merge of the newest segments into one, which segments to merge, and which tombstones
 * a merge leaves needed. Compaction and doctor's repairs use it; a call that only reads does not
 * load it.
 */
import type { Job } from "../job.ts";
import { encodeLine } from "./codec.ts";
import { replaceFileDurablyStreamed, type ReplaceStep } from "../durable.ts";
import { mergeOpen } from "./seq_merge.ts";
import { Chunked, idOrder } from "./segment_write.ts";
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
  return writeOrdered(paths, n, [...lines].sort((a, b) => a.seq - b.seq), step);
}

/**
 * Merges `inputs` into segment `n`, read through `reader`, dropping hidden copies (archive.ts).
 * It streams: it holds a chunk of each file and, per job, its id and place in the new segment,
 * never the jobs themselves, so merging 27 MB of segments no longer costs 190 MB of memory
 * (bench/results/2026-12-06-analysis.md, section 8).
 */
export function mergeSegments(
  reader: ArchiveReader,
  inputs: readonly Segment[],
  tombstones: Tombstones,
  n: number,
  step: (name: string) => void = () => {},
): Segment {
  function* visible(seg: Segment): Generator<ArchivedLine> {
    for (const { job, line } of reader.scan(seg)) {
      if (!hidden(tombstones, job.id, seg.n)) yield { id: job.id, seq: job.seq, line, job };
    }
  }
  return writeOrdered(reader.paths, n, mergeOpen(inputs.map(visible), false), step);
}

/** Writes segment `n` from `lines`, in seq order with distinct ids, one at a time (see mergeSegments). */
function writeOrdered(
  paths: HomePaths,
  n: number,
  lines: Iterable<ArchivedLine>,
  step: (name: string) => void,
): Segment {
  const named = (file: string) => (s: ReplaceStep) => step(`archive-${file}-${s}`);
  const ids: string[] = [];
  const offsets: number[] = [];
  const lengths: number[] = [];
  const facts = emptyFacts();
  let size = 0;
  let minSeq = 0;
  let maxSeq = 0;
  replaceFileDurablyStreamed(paths.archiveJobs(n), (write) => {
    const out = new Chunked(write);
    for (const l of lines) {
      if (ids.length === 0) minSeq = l.seq;
      maxSeq = l.seq;
      addFacts(facts, l.job);
      ids.push(l.id);
      offsets.push(size);
      lengths.push(l.line.length - 1);
      size += l.line.length;
      out.bytes(l.line);
    }
    out.flush();
  }, named("jobs"));
  const byId = idOrder(ids);
  let indexBytes = 0;
  replaceFileDurablyStreamed(paths.archiveIndex(n), (write) => {
    const out = new Chunked(write);
    for (const i of byId) {
      const line = encodeIndexLine(ids[i], offsets[i], lengths[i]);
      out.into(line.length * 3, (buf, at) => at + encoder.encodeInto(line, buf.subarray(at)).written);
    }
    out.flush();
    indexBytes = out.total;
  }, named("index"));
  return {
    n,
    jobs: ids.length,
    bytes: size,
    index_bytes: indexBytes,
    min_seq: minSeq,
    max_seq: maxSeq,
    min_id: byId.length ? ids[byId[0]] : "",
    max_id: byId.length ? ids[byId[byId.length - 1]] : "",
    facts,
  };
}

/** Segments of one tier differ in size by less than 4×. */
function tier(seg: Segment): number {
  return Math.max(0, Math.floor(Math.log(Math.max(1, seg.bytes) / 65536) / Math.log(4)));
}

/** Merges stop at this size: a merge runs under the lock, and a big one would stall writers. */
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
