/**
 * What compaction does to the pending segments next, decided from their records and consumption
 * alone (pure): drop the used-up ones, merge small ones, rewrite the mostly consumed ones; the
 * whole plan rewrites at most a bounded amount, so one compaction never holds writers for long,
 * and what it leaves for later the next compaction plans again.
 */
import type { PendingSegment } from "./pending.ts";
import {
  consumedCount,
  exceptionCount,
  listConsumption,
  type PendingConsumption,
  remaining,
} from "./pending_consumption.ts";

/**
 * The most job bytes (estimated from the unconsumed share of each input) one plan rewrites: a
 * rewrite holds about 150 bytes of memory per job kept, and writers wait for it.
 */
export const PENDING_REWRITE_LIMIT_BYTES = 32 * 1024 * 1024;

/** A segment with more exceptions than this is rewritten: each one costs the snapshot a number. */
export const MAX_EXCEPTIONS = 256;

export interface PlanOptions {
  /** the time of the compaction: a segment whose scheduled list has all come due is rewritten */
  now?: Date;
  /** the most job bytes one plan rewrites (default PENDING_REWRITE_LIMIT_BYTES) */
  limit?: number;
}

export interface PendingPlan {
  /** fully consumed: the snapshot stops naming them, and their files go */
  drop: PendingSegment[];
  /** each group becomes one new segment holding its unconsumed jobs (PendingReader.rewrite) */
  rewrite: PendingSegment[][];
}

/** Job bytes of `seg` still unconsumed, estimated from the share of its jobs that are. */
export function liveBytes(seg: PendingSegment, consumption: PendingConsumption): number {
  return seg.jobs === 0 ? 0 : Math.ceil(seg.bytes * remaining(seg, consumption.get(seg.n)) / seg.jobs);
}

/** Segments of one tier differ in live size by less than 4× (as archive_write.ts tiers archive segments). */
function tier(bytes: number): number {
  return Math.max(0, Math.floor(Math.log(Math.max(1, bytes) / 65536) / Math.log(4)));
}

/**
 * The plan for `segments` (in the order the snapshot names them, oldest first):
 *   drop    every segment with nothing left;
 *   merge   in each tier, smallest first, the four newest segments while a tier has four or more
 *           (a base-4 counter: a few segments per tier, each job rewritten once per tier);
 *   rewrite alone each remaining segment with more than MAX_EXCEPTIONS exceptions, or with a
 *           scheduled list all come due by `now` (its jobs then go into a due list, in claim
 *           order), or more than half consumed; in that order, the most consumed first;
 * every group within what is left of `limit` bytes; a group that does not fit waits.
 */
export function planPendingWork(
  segments: readonly PendingSegment[],
  consumption: PendingConsumption,
  options: PlanOptions = {},
): PendingPlan {
  const limit = options.limit ?? PENDING_REWRITE_LIMIT_BYTES;
  const nowIso = options.now?.toISOString();
  const drop: PendingSegment[] = [];
  const live: PendingSegment[] = [];
  for (const seg of segments) (remaining(seg, consumption.get(seg.n)) === 0 ? drop : live).push(seg);
  const size = new Map(live.map((seg) => [seg.n, liveBytes(seg, consumption)]));
  let budget = limit;
  const rewrite: PendingSegment[][] = [];
  const taken = new Set<number>();

  const tiers = new Map<number, PendingSegment[]>();
  for (const seg of live) {
    const t = tier(size.get(seg.n)!);
    tiers.set(t, [...(tiers.get(t) ?? []), seg]);
  }
  for (const t of [...tiers.keys()].sort((a, b) => a - b)) {
    const members = tiers.get(t)!;
    while (members.length >= 4) {
      const group = members.splice(-4);
      const bytes = group.reduce((sum, seg) => sum + size.get(seg.n)!, 0);
      if (bytes > budget) break;
      budget -= bytes;
      rewrite.push(group);
      for (const seg of group) taken.add(seg.n);
    }
  }

  const overflowing = (seg: PendingSegment) =>
    exceptionCount(consumption.get(seg.n)) > MAX_EXCEPTIONS ? 1 : 0;
  // a scheduled list all come due, with entries left: claims must search it for priority, and a
  // rewrite moves them into a due list, in claim order
  const cameDue = (seg: PendingSegment) =>
    seg.lists.some((l, i) =>
        nowIso !== undefined && l.kind === "scheduled" && l.last_run_at! <= nowIso &&
        consumedCount(listConsumption(consumption.get(seg.n), i)) < l.count
      )
      ? 1
      : 0;
  const used = (seg: PendingSegment) =>
    seg.lists.reduce((sum, _, l) => sum + consumedCount(listConsumption(consumption.get(seg.n), l)), 0);
  const shrink = live
    .filter((seg) => !taken.has(seg.n))
    .filter((seg) => overflowing(seg) || cameDue(seg) || used(seg) * 2 > seg.jobs)
    .sort((a, b) =>
      overflowing(b) - overflowing(a) || cameDue(b) - cameDue(a) || used(b) / b.jobs - used(a) / a.jobs
    );
  for (const seg of shrink) {
    const bytes = size.get(seg.n)!;
    if (bytes > budget) continue;
    budget -= bytes;
    rewrite.push([seg]);
  }
  return { drop, rewrite };
}
