/**
 * Pending segments under `doctor`: each one the state names is read whole (pending_verify.ts:
 * every line of its three files, and the files against one another and the snapshot's record); a
 * missing file is damage too.
 *
 * Repair, for a segment found damaged in any of its files: its files are copied, byte for byte,
 * into side files; the jobs it still holds are read from the lines of its .jobs file whose checksum
 * holds (.index and .order are derived from them); each line names the job's place, so the
 * snapshot's consumption tells which of them are used up (claimed, deleted, taken into the live
 * state: they live elsewhere now) and which still wait. The waiting ones are written as a new
 * segment (a new number, its own claim order, nothing of it consumed: positions change in a
 * rewrite, so the old consumption has no meaning there and is dropped with the old segment), and
 * the repaired snapshot names it instead. Waiting jobs whose lines are lost are named from the
 * index where it can still say (its entries carry their places), else counted.
 */
import { CorruptionError } from "../errors.ts";
import { splitLines } from "./codec.ts";
import { type PendingJob, PendingReader, type PendingSegment } from "./pending.ts";
import { consumed, listConsumption, remaining } from "./pending_consumption.ts";
import { decodeJobLine, parseIndexLine } from "./pending_format.ts";
import { verifySegment } from "./pending_verify.ts";
import { writePendingSegment } from "./pending_write.ts";
import { type HomePaths, pendingSegmentName } from "./paths.ts";
import { idsIn, writeSideFile } from "./quarantine.ts";
import type { RepairOutcome } from "./repair_wal.ts";
import type { QueueState } from "./state.ts";

/** The first damage found in the pending segments `segments`, or null. */
export function checkPending(paths: HomePaths, segments: readonly PendingSegment[]): CorruptionError | null {
  for (const seg of segments) {
    const problem = checkOne(paths, seg);
    if (problem) return problem;
  }
  return null;
}

function checkOne(paths: HomePaths, seg: PendingSegment): CorruptionError | null {
  const reader = new PendingReader(paths);
  try {
    verifySegment(reader, seg);
    return null;
  } catch (e) {
    if (e instanceof CorruptionError) return e;
    throw e;
  } finally {
    reader.close();
  }
}

const FILES = ["jobs", "index", "order"] as const;

function fileOf(paths: HomePaths, n: number, kind: typeof FILES[number]): string {
  return kind === "jobs"
    ? paths.pendingJobs(n)
    : kind === "index"
    ? paths.pendingIndex(n)
    : paths.pendingOrder(n);
}

function nameOf(paths: HomePaths, path: string): string {
  return path.slice(paths.home.length + 1);
}

function readOrEmpty(path: string): Uint8Array | null {
  try {
    return Deno.readFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** The job lines of a .jobs file whose checksums hold, and the ids unreadable lines still show. */
function jobLines(
  bytes: Uint8Array,
): { jobs: Array<{ job: PendingJob; list: number; pos: number }>; unreadable: number; named: string[] } {
  const { lines, complete } = splitLines(bytes);
  const jobs: Array<{ job: PendingJob; list: number; pos: number }> = [];
  let unreadable = 0;
  const named: string[] = [];
  const all: Array<[number, number]> = complete < bytes.length ? [...lines, [complete, bytes.length]] : lines;
  for (const [s, e] of all) {
    const r = decodeJobLine(bytes, s, e);
    if (typeof r !== "string" && r.job.state === "pending") jobs.push(r);
    else {
      unreadable++;
      named.push(...idsIn(bytes.subarray(s, e)));
    }
  }
  return { jobs, unreadable, named };
}

/**
 * Repairs every damaged pending segment `state` names (see the top of this file); the state then
 * names the new segments.
 */
export function repairPendingSegments(paths: HomePaths, state: QueueState, now: Date): RepairOutcome {
  const done: string[] = [];
  const lost = new Set<string>();
  for (const seg of [...state.pending.segments]) {
    const problem = checkOne(paths, seg);
    if (problem) salvage(paths, state, seg, now, done, lost);
  }
  return { done, lost: [...lost] };
}

function salvage(
  paths: HomePaths,
  state: QueueState,
  seg: PendingSegment,
  now: Date,
  done: string[],
  lost: Set<string>,
): void {
  const moved: string[] = [];
  const bytesOf = new Map<string, Uint8Array | null>();
  for (const kind of FILES) {
    const path = fileOf(paths, seg.n, kind);
    const bytes = readOrEmpty(path);
    bytesOf.set(kind, bytes);
    if (bytes) {
      moved.push(
        `${nameOf(paths, path)} (${bytes.length} bytes) into ${
          writeSideFile(paths, nameOf(paths, path), bytes, now)
        }`,
      );
    }
  }
  const missing = FILES.filter((k) => bytesOf.get(k) === null).map((k) =>
    nameOf(paths, fileOf(paths, seg.n, k))
  );
  done.push(`moved ${moved.join(", ")}${missing.length ? `; missing: ${missing.join(", ")}` : ""}`);

  const cs = state.pending.consumption.get(seg.n);
  const waiting = (list: number, pos: number) =>
    list < seg.lists.length && pos < seg.lists[list].count && !consumed(listConsumption(cs, list), pos);
  const jobsBytes = bytesOf.get("jobs") ?? new Uint8Array();
  const read = jobLines(jobsBytes);
  const kept = new Map<string, PendingJob>();
  const places = new Set<string>();
  for (const { job, list, pos } of read.jobs) {
    const place = `${list},${pos}`;
    if (!waiting(list, pos) || seg.lists[list].queue !== job.queue || kept.has(job.id) || places.has(place)) {
      continue;
    }
    if (state.jobs.has(job.id)) continue; // taken into the live state (its record says so)
    kept.set(job.id, job);
    places.add(place);
  }
  // the index names each job with its place: the waiting ones whose lines were lost
  const fromIndex = new Set<string>();
  const index = bytesOf.get("index");
  if (index) {
    for (const [s, e] of splitLines(index).lines) {
      const entry = parseIndexLine(new TextDecoder().decode(index.subarray(s, e)));
      if (entry && waiting(entry.list, entry.pos) && !kept.has(entry.id)) fromIndex.add(entry.id);
    }
  }
  for (const id of read.named) if (!kept.has(id) && !state.jobs.has(id)) fromIndex.add(id);
  const gone = remaining(seg, cs) - kept.size;
  const named = [...fromIndex].slice(0, Math.max(0, gone));
  named.forEach((id) => lost.add(id));
  const jobs = [...kept.values()].sort((a, b) => a.seq - b.seq);
  const name = pendingSegmentName(seg.n);
  if (jobs.length > 0) {
    const rewritten = writePendingSegment(paths, state.nextSegment, jobs, now);
    state.nextSegment++;
    state.pending.replace([seg], rewritten);
    done.push(
      `rewrote the ${jobs.length} waiting job(s) of ${name} whose lines are intact as ${
        pendingSegmentName(rewritten.n)
      }${read.unreadable ? ` (unreadable line(s) in ${name}.jobs: ${read.unreadable})` : ""}`,
    );
  } else {
    state.pending.replace([seg], null);
    done.push(`dropped ${name}: none of its waiting jobs has an intact line`);
  }
  if (gone > named.length) {
    done.push(`${gone - named.length} waiting job(s) of ${name} are lost and cannot be told`);
  }
}

/**
 * For a snapshot whose header is lost, with it the record of its pending segments and of what of
 * them was used up: the jobs of the pending segments on disk that are neither live nor archived
 * wait again, in one new segment (a deleted one shows again). Returns how many, and their
 * highest seq.
 */
export function adoptPendingFromDisk(
  paths: HomePaths,
  state: QueueState,
  numbers: readonly number[],
  archived: ReadonlySet<string>,
  now: Date,
  done: string[],
  lost: Set<string>,
): { jobs: number; maxSeq: number } {
  const jobs = new Map<string, PendingJob>();
  for (const n of numbers) {
    const path = paths.pendingJobs(n);
    const bytes = readOrEmpty(path);
    if (!bytes) continue;
    const read = jobLines(bytes);
    if (read.unreadable > 0) {
      done.push(
        `moved ${nameOf(paths, path)} into ${
          writeSideFile(paths, nameOf(paths, path), bytes, now)
        }: ${read.unreadable} unreadable line(s)`,
      );
      read.named.forEach((id) => lost.add(id));
    }
    for (const { job } of read.jobs) {
      if (!state.jobs.has(job.id) && !archived.has(job.id) && !jobs.has(job.id)) jobs.set(job.id, job);
    }
  }
  const list = [...jobs.values()].sort((a, b) => a.seq - b.seq);
  if (list.length > 0) {
    state.pending.add(writePendingSegment(paths, state.nextSegment, list, now));
    state.nextSegment++;
  }
  return { jobs: list.length, maxSeq: list.length ? list[list.length - 1].seq : 0 };
}
