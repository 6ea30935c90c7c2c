/**
 * Compaction's file work (the protocol is at the top of log.ts): archiving the completed jobs,
 * merging archive segments, writing the snapshot of a generation (removing what the newest
 * snapshot no longer names is stale.ts's). log.ts decides when, seals, and moves between
 * generations.
 */
import { replaceFileDurably } from "../durable.ts";
import type { ArchiveReader } from "./archive.ts";
import { lineOf, liveTombstones, mergeSegments, planMerge, writeSegment } from "./archive_write.ts";
import type { Job } from "../job.ts";
import { rewriteSegments, writePendingSegment } from "./pending_write.ts";
import { planPendingWork } from "./pending_plan.ts";
import type { HomePaths } from "./paths.ts";
import { encodeSnapshot } from "./snapshot.ts";
import { QueueState } from "./state.ts";

/** The crash seam: `point` is reached (and `before` runs first if the process is to die there). */
export type Crash = (point: string, before?: () => void) => void;

/** What compaction reports (`queuectl compact`). */
export interface CompactionResult {
  generation: number;
  /** live jobs, written to the snapshot */
  jobs: number;
  /** completed jobs in the archive */
  archived: number;
  /** archive segments in use */
  segments: number;
  snapshot_bytes: number;
  folded_bytes: number;
}

/**
 * Plain pending jobs move into a pending segment once there are this many in the live state (a
 * segment is three files: fewer jobs stay live, where they cost the snapshot a line each). A live
 * waiting line costs every process that opens the store and claims a few microseconds of cold code
 * (its header entry and claim key read, an index entry built): 881 of them added about 3.4 ms to a
 * claim (2026-12-06, bench/claim.ts in an instrumented copy), where a segment of them costs a claim
 * one list head; it was 1024 until then.
 */
export const PENDING_MIN = 64;

/**
 * A job that can wait in a pending segment: pending, and nothing about it needs the live state:
 * no dependencies, no unique key, no job (of any state: a dead one may be retried) that names it
 * in `after` (`dependedOn`).
 */
export function plainPending(job: Job, dependedOn: ReadonlySet<string>): boolean {
  return job.state === "pending" && job.after === undefined && job.unique === undefined &&
    !dependedOn.has(job.id);
}

/**
 * Steps 2 and 3: archives the state's completed jobs, merges segments as planned, moves plain
 * pending jobs into a pending segment (at least `pendingMin` of them) and rewrites or drops the
 * pending segments as planned, then writes snapshot `gen` durably, with the crash points named in
 * the protocol. Returns its size.
 */
export function writeSnapshot(
  paths: HomePaths,
  state: QueueState,
  archive: ArchiveReader,
  gen: number,
  crash: Crash,
  now: Date,
  pendingMin = PENDING_MIN,
): number {
  const step = (name: string) => crash(name);
  // kept since 0.2: a state loaded from an older snapshot counts them once, and learns its segments' facts
  if (state.outputs === null) state.outputs = countOutputs(state);
  state.archive = state.archive.map((seg) => seg.facts ? seg : { ...seg, facts: archive.learnFacts(seg) });
  const done = [...state.jobs.values()].filter((j) => j.state === "completed");
  if (done.length > 0) {
    const seg = writeSegment(paths, state.nextSegment, done.map(lineOf), step);
    state.nextSegment++;
    state.archive = [...state.archive, seg];
    state.archiveOut(done.map((j) => j.id));
  }
  for (let plan = planMerge(state.archive); plan; plan = planMerge(state.archive)) {
    const merged = mergeSegments(archive, plan, state.tombstones, state.nextSegment, step);
    state.nextSegment++;
    state.archive = [...state.archive.slice(0, -plan.length), ...(merged.jobs > 0 ? [merged] : [])];
  }
  state.tombstones = liveTombstones(state.tombstones, state.archive);
  const live = [...state.jobs.values()];
  // a job any other names in `after`, whatever its state (a dead one may be retried), stays live
  const dependedOn = new Set(live.flatMap((j) => j.after ?? []));
  const plain = live.filter((j) => plainPending(j, dependedOn));
  if (plain.length > 0 && plain.length >= pendingMin) {
    plain.sort((a, b) => a.seq - b.seq);
    const seg = writePendingSegment(paths, state.nextSegment, plain, now, step);
    state.nextSegment++;
    state.pending.add(seg);
    state.segmentOut(plain.map((j) => j.id));
  }
  const plan = planPendingWork(state.pending.segments, state.pending.consumption, { now });
  if (plan.drop.length > 0) state.pending.replace(plan.drop, null);
  for (const group of plan.rewrite) {
    const seg = rewriteSegments(
      state.pending.reader!,
      group,
      state.pending.consumption,
      state.nextSegment,
      now,
      step,
    );
    state.nextSegment++;
    state.pending.replace(group, seg.jobs > 0 ? seg : null);
  }
  const bytes = encodeSnapshot(state, gen);
  replaceFileDurably(
    paths.snapshot(gen),
    bytes,
    (s) => crash(s === "dir-synced" ? s : `snapshot-${s}`),
  );
  return bytes.length;
}

/** The attempts per output file of every job of the state: live, in pending segments, archived. */
export function countOutputs(state: QueueState): Map<string, number> {
  const counting = new QueueState();
  const add = (job: Job) => counting.countRuns(job, 1);
  for (const job of state.jobs.values()) add(job);
  for (const job of state.pending.jobs("asc")) add(job);
  if (state.archived > 0 && state.archiveView) { for (const job of state.archiveView.jobs("asc")) add(job); }
  return counting.outputs!;
}
