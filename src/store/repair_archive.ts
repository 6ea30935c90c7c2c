/**
 * The archive under `doctor`: every segment read whole (a normal command reads only what it looks
 * up): each job line's checksum, seq order, the count the snapshot recorded, and an index that
 * names exactly those jobs at their offsets.
 *
 * Repairs: a damaged index is derived data, rebuilt from its jobs file. A damaged jobs file moves,
 * byte for byte, into a side file; the segment is written again from its intact job lines (in seq
 * order, each id once), and the snapshot is rewritten to record the segment's new size and counts.
 * The report names the jobs whose lines were lost (from the index, when it can still say).
 */
import { CorruptionError } from "../errors.ts";
import type { Job } from "../job.ts";
import { ArchiveReader, hidden, lineOf, type Segment, type Tombstones, writeSegment } from "./archive.ts";
import { decodeLine, splitLines } from "./codec.ts";
import { replaceFileDurably } from "../durable.ts";
import { FileLog } from "./log.ts";
import { type HomePaths, scanGenerations } from "./paths.ts";
import { idsIn, underLock, writeSideFile } from "./quarantine.ts";
import type { RepairOutcome } from "./repair_wal.ts";
import { encodeSnapshot, readSnapshot } from "./snapshot.ts";

export function pad(n: number): string {
  return String(n).padStart(8, "0");
}

/** The first damage found in the archive segments `segments`, or null. */
export function checkSegments(paths: HomePaths, segments: readonly Segment[]): CorruptionError | null {
  const reader = new ArchiveReader(paths);
  try {
    for (const seg of segments) {
      const problem = checkSegment(reader, seg);
      if (problem) return problem;
    }
    return null;
  } catch (e) {
    if (e instanceof CorruptionError) return e;
    throw e;
  } finally {
    reader.close();
  }
}

function checkSegment(reader: ArchiveReader, seg: Segment): CorruptionError | null {
  const jobsFile = `archive-${pad(seg.n)}.jobs`;
  const ids = new Map<number, string>();
  // scan checks each line's checksum and the seq order
  for (const { job, offset } of reader.scan(seg)) ids.set(offset, job.id);
  if (ids.size !== seg.jobs) {
    return new CorruptionError(jobsFile, 0, `it holds ${ids.size} jobs, not ${seg.jobs}`, "end");
  }
  const entries = reader.indexEntries(seg);
  const wrong = entries.find((e) => ids.get(e.offset) !== e.id);
  // lookups bisect the index: its entries must be in id order
  const unsorted = entries.findIndex((e, i) => i > 0 && !(entries[i - 1].id < e.id));
  if (entries.length !== seg.jobs || wrong || unsorted > 0) {
    return new CorruptionError(
      `archive-${pad(seg.n)}.index`,
      0,
      wrong
        ? `it places job "${wrong.id}" where the jobs file has another`
        : unsorted > 0
        ? `its entry ${unsorted + 1} is out of id order`
        : `it has ${entries.length} entries`,
      "its entries",
    );
  }
  return null;
}

/** Repairs the archive file `file` (named by a CorruptionError); null when it is not one. */
export async function repairArchive(
  paths: HomePaths,
  file: string,
  now: Date,
): Promise<RepairOutcome | null> {
  const m = /^archive-(\d{8})\.(jobs|index)$/.exec(file);
  if (!m) return null;
  const n = Number(m[1]);
  return m[2] === "index" ? await rebuildIndex(paths, n) : await rebuildJobs(paths, n, file, now);
}

async function rebuildIndex(paths: HomePaths, n: number): Promise<RepairOutcome> {
  const log = new FileLog(paths);
  const reader = new ArchiveReader(paths);
  try {
    await log.write((s) => {
      // under the writers' lock: the same jobs, in the same order, give the same two files
      const seg = s.archive.find((x) => x.n === n);
      if (!seg) throw new Error(`the snapshot names no archive segment ${n}`);
      const jobs = [...reader.scan(seg)].map(({ job }) => lineOf(job));
      reader.close();
      const rebuilt = writeSegment(paths, seg.n, jobs);
      if (rebuilt.bytes !== seg.bytes || rebuilt.index_bytes !== seg.index_bytes) {
        throw new Error(`the rebuilt segment ${seg.n} differs in size from the snapshot's record`);
      }
      return { records: [], result: undefined };
    });
  } finally {
    reader.close();
    log.close();
  }
  return { done: [`rebuilt archive-${pad(n)}.index from archive-${pad(n)}.jobs`], lost: [] };
}

function rebuildJobs(paths: HomePaths, n: number, file: string, now: Date): Promise<RepairOutcome> {
  return underLock(paths, () => {
    const gen = Math.max(...scanGenerations(paths.home).snapshots);
    const state = readSnapshot(paths.snapshot(gen), true);
    const seg = state.archive.find((x) => x.n === n);
    if (!seg) throw new CorruptionError(file, 0, "the snapshot names no such segment", "open");
    let bytes = new Uint8Array();
    try {
      bytes = Deno.readFileSync(paths.archiveJobs(n));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    const kept = new Map<string, Job>();
    const unreadable: string[] = [];
    const named = new Set(indexIds(paths, n));
    const { lines, complete } = splitLines(bytes);
    for (const [s, e] of lines) {
      const r = decodeLine(bytes, s, e);
      const job = r.ok ? r.value as unknown as Job : null;
      if (job && typeof job.id === "string" && typeof job.seq === "number" && job.state === "completed") {
        if (!kept.has(job.id)) kept.set(job.id, job);
      } else {
        unreadable.push(`byte ${s}`);
        idsIn(bytes.subarray(s, e)).forEach((id) => named.add(id));
      }
    }
    if (complete < bytes.length) unreadable.push(`byte ${complete} (an unterminated line)`);
    const lost = [...named].filter((id) => !kept.has(id));
    const side = writeSideFile(paths, file, bytes, now);
    const rebuilt = writeSegment(paths, n, [...kept.values()].map(lineOf));
    state.archive = state.archive.map((x) => (x.n === n ? rebuilt : x)).filter((x) => x.jobs > 0);
    // the visible archived jobs, counted again over every segment; the lost ones leave the counts
    const before = state.archived;
    state.archived = visibleCount(paths, state.archive, state.tombstones);
    const drop = before - state.archived;
    state.counts.completed -= drop;
    replaceFileDurably(paths.snapshot(gen), encodeSnapshot(state, gen));
    state.jobs.release();
    return {
      done: [
        `moved ${file} (${bytes.length} bytes) into ${side}`,
        `rewrote ${file} from ${kept.size} intact job line(s)${
          unreadable.length ? `; unreadable: ${unreadable.join(", ")}` : ""
        }`,
        `recorded the segment's new size in snapshot-${pad(gen)}.snap (${drop} archived job(s) fewer)`,
      ],
      lost,
    };
  });
}

function visibleCount(paths: HomePaths, segments: readonly Segment[], tombstones: Tombstones): number {
  const reader = new ArchiveReader(paths);
  try {
    let count = 0;
    for (const seg of segments) {
      for (const { job } of reader.scan(seg)) if (!hidden(tombstones, job.id, seg.n)) count++;
    }
    return count;
  } finally {
    reader.close();
  }
}

/** The ids a segment's index lists, to name the jobs whose lines were lost. */
function indexIds(paths: HomePaths, n: number): string[] {
  try {
    const text = Deno.readTextFileSync(paths.archiveIndex(n));
    return text.split("\n").filter((l) => l.includes(" ")).map((l) => l.slice(0, l.indexOf(" ")));
  } catch {
    return [];
  }
}
