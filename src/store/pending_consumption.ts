/**
 * Which entries of a pending segment's claim-order lists are used up (claimed, deleted, moved
 * back into the live state): pure values, kept by the snapshot and advanced by the log's records.
 *
 * Claims take a list from its head, so a list's consumption is nearly always one number, the
 * prefix: every position below it is used up. A job taken out of order (a delete, a claim that
 * passes over a lower-priority head) is an exception: a position at or past the prefix. The
 * exceptions stay sorted and above the prefix, which moves over them as it reaches them.
 */
import type { PendingSegment } from "./pending.ts";

export interface Consumption {
  /** every position below this is consumed */
  readonly prefix: number;
  /** positions above `prefix` consumed out of order, ascending */
  readonly exceptions: readonly number[];
}

/** Nothing consumed. */
export const NOTHING_CONSUMED: Consumption = Object.freeze({ prefix: 0, exceptions: Object.freeze([]) });

/** A segment's consumption: one per list, in the order of `seg.lists`. */
export type SegmentConsumption = readonly Consumption[];

/** Segment number → its consumption; a segment it does not name has nothing consumed. */
export type PendingConsumption = ReadonlyMap<number, SegmentConsumption>;

/** The consumption of one list of a segment (nothing, when `cs` has no entry for it). */
export function listConsumption(cs: SegmentConsumption | undefined, list: number): Consumption {
  return cs?.[list] ?? NOTHING_CONSUMED;
}

/** A fresh consumption for `seg`: nothing consumed in any list. */
export function freshConsumption(seg: PendingSegment): Consumption[] {
  return seg.lists.map(() => ({ prefix: 0, exceptions: [] }));
}

/** The first index of `sorted` holding a value at or above `x` (`sorted.length` when none does). */
export function lowerBound(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function consumed(c: Consumption, pos: number): boolean {
  if (pos < c.prefix) return true;
  const i = lowerBound(c.exceptions, pos);
  return i < c.exceptions.length && c.exceptions[i] === pos;
}

/** `c` with `pos` consumed too (a new value; `c` itself is not changed). */
export function consume(c: Consumption, pos: number): Consumption {
  if (!Number.isInteger(pos) || pos < 0) {
    throw new RangeError(`A list position is a whole number, got ${pos}`);
  }
  if (consumed(c, pos)) return c;
  if (pos !== c.prefix) {
    const i = lowerBound(c.exceptions, pos);
    return { prefix: c.prefix, exceptions: [...c.exceptions.slice(0, i), pos, ...c.exceptions.slice(i)] };
  }
  // the prefix moves over the exceptions it meets
  let prefix = pos + 1;
  let i = 0;
  while (i < c.exceptions.length && c.exceptions[i] === prefix) {
    prefix++;
    i++;
  }
  return { prefix, exceptions: i === 0 ? c.exceptions : c.exceptions.slice(i) };
}

/** How many positions of a list `c` consumes. */
export function consumedCount(c: Consumption): number {
  return c.prefix + c.exceptions.length;
}

/** How many jobs of `seg` are not consumed. */
export function remaining(seg: PendingSegment, cs: SegmentConsumption | undefined): number {
  let used = 0;
  for (let l = 0; l < seg.lists.length; l++) used += consumedCount(listConsumption(cs, l));
  return seg.jobs - used;
}

/** How many exceptions `cs` holds over all lists (what the snapshot pays for out-of-order use). */
export function exceptionCount(cs: SegmentConsumption | undefined): number {
  return (cs ?? []).reduce((sum, c) => sum + c.exceptions.length, 0);
}

/**
 * Why `cs` cannot be the consumption of `seg` (for a snapshot being loaded), or null: one entry
 * per list, each prefix within its list, exceptions ascending, above the prefix and in the list.
 */
export function consumptionProblem(seg: PendingSegment, cs: unknown): string | null {
  if (!Array.isArray(cs) || cs.length !== seg.lists.length) {
    return `pending segment ${seg.n} has ${seg.lists.length} lists, so its consumption needs as many entries`;
  }
  for (let l = 0; l < cs.length; l++) {
    const c = cs[l] as Consumption;
    const count = seg.lists[l].count;
    const where = `the consumption of list ${l} of pending segment ${seg.n}`;
    if (c === null || typeof c !== "object" || !Number.isInteger(c.prefix) || !Array.isArray(c.exceptions)) {
      return `${where} is not {prefix, exceptions}`;
    }
    if (c.prefix < 0 || c.prefix > count) return `${where} has prefix ${c.prefix} outside 0..${count}`;
    let last = c.prefix;
    for (const x of c.exceptions) {
      if (!Number.isInteger(x) || x <= last || x >= count) {
        return `${where} has exception ${x} out of order or outside ${c.prefix + 1}..${count - 1}`;
      }
      last = x;
    }
  }
  return null;
}
