/**
 * The archive under `doctor`: every segment read whole (a normal command reads only what it looks
 * up): each job line's checksum, seq order, the count the snapshot recorded, and an index that
 * names exactly those jobs at their offsets.
 *
 * Repairs (each damaged file first copied, byte for byte, into a side file): a damaged index is
 * derived data, rebuilt from its jobs file. A damaged jobs file is written again from its intact
 * job lines (in seq order, each id once), and the repaired state records the segment's new size
 * and counts. The report names the jobs whose lines were lost (from the index, when it can still
 * say).
 */
import { CorruptionError } from "../errors.ts";
import type { Job } from "../job.ts";
import { ArchiveReader, hidden, type Segment } from "./archive.ts";
import { lineOf, writeSegment } from "./archive_write.ts";
import { decodeLine, splitLines } from "./codec.ts";
import { fileName, type HomePaths } from "./paths.ts";
import { idsIn, writeSideFile } from "./quarantine.ts";
import type { RepairOutcome } from "./repair_wal.ts";
import type { QueueState } from "./state.ts";

/** The first damage found in the archive segments `segments`, or null. */
export function checkSegments(paths: HomePaths, segments: readonly Segment[]): CorruptionError | null {
  const reader = new ArchiveReader(paths);
  try {
    for (const seg of segments) {
      const problem = checkSegment(paths, reader, seg);
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

function checkSegment(paths: HomePaths, reader: ArchiveReader, seg: Segment): CorruptionError | null {
  const jobsFile = fileName(paths.archiveJobs(seg.n));
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
      fileName(paths.archiveIndex(seg.n)),
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

/**
 * Repairs every damaged segment of `state`'s archive, in place (their numbers stay: tombstones
 * name segment numbers), and records what changed in `state`.
 */
export function repairArchiveSegments(paths: HomePaths, state: QueueState, now: Date): RepairOutcome {
  const done: string[] = [];
  const lost = new Set<string>();
  for (const seg of [...state.archive]) {
    const problem = checkSegments(paths, [seg]);
    if (!problem) continue;
    if (problem.file.endsWith(".index") && rebuildIndex(paths, seg, now, done)) continue;
    rebuildJobs(paths, state, seg, now, done, lost);
  }
  return { done, lost: [...lost] };
}

/** Rebuilds a segment's index from its jobs file; false when the jobs file is damaged too. */
function rebuildIndex(paths: HomePaths, seg: Segment, now: Date, done: string[]): boolean {
  const reader = new ArchiveReader(paths);
  let jobs: ReturnType<typeof lineOf>[];
  try {
    jobs = [...reader.scan(seg)].map(({ job }) => lineOf(job));
  } catch (e) {
    if (e instanceof CorruptionError) return false;
    throw e;
  } finally {
    reader.close();
  }
  const name = fileName(paths.archiveIndex(seg.n));
  let side = "";
  try {
    side = ` (the damaged one kept as ${
      writeSideFile(paths, name, Deno.readFileSync(paths.archiveIndex(seg.n)), now)
    })`;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  // the same jobs, in the same order, give the same two files
  const rebuilt = writeSegment(paths, seg.n, jobs);
  if (rebuilt.bytes !== seg.bytes || rebuilt.index_bytes !== seg.index_bytes) {
    throw new Error(`the rebuilt archive segment ${seg.n} differs in size from the snapshot's record`);
  }
  done.push(`rebuilt ${name} from ${fileName(paths.archiveJobs(seg.n))}${side}`);
  return true;
}

function rebuildJobs(
  paths: HomePaths,
  state: QueueState,
  seg: Segment,
  now: Date,
  done: string[],
  lost: Set<string>,
): void {
  const n = seg.n;
  const file = fileName(paths.archiveJobs(n));
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
  for (const id of named) if (!kept.has(id) && !hidden(state.tombstones, id, n)) lost.add(id);
  const side = writeSideFile(paths, file, bytes, now);
  const rebuilt = writeSegment(paths, n, [...kept.values()].map(lineOf));
  // the counts are taken again over every segment once all are repaired (repair_generation.ts)
  state.archive = state.archive.map((x) => (x.n === n ? rebuilt : x)).filter((x) => x.jobs > 0);
  done.push(
    `moved ${file} (${bytes.length} bytes) into ${side}`,
    `rewrote ${file} from ${kept.size} intact job line(s)${
      unreadable.length ? `; unreadable: ${unreadable.join(", ")}` : ""
    } (${seg.jobs - rebuilt.jobs} archived job(s) fewer)`,
  );
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
