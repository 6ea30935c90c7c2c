/**
 * Claim decisions: which due jobs a worker's free slots take, in claim order (priority, then
 * enqueue order) across the queues it serves, never past a queue's concurrency limit nor from a
 * paused queue. Candidates come from the heads of three sources, never from a scan:
 *   - the runnable index of the live jobs (runnable.ts);
 *   - the due lists of the pending segments (pending_set.ts), walked from their first unused place;
 *   - the jobs of pending segments' scheduled lists whose time has come: the claim takes them
 *     into the live state first ("promotes" them, at most PROMOTE_MAX per claim), where they compete
 *     by priority like any other.
 * Jobs taken out of segments travel in the claim record (`load`), so replay needs no segment file.
 * Pure but for reading the segments' immutable files.
 */
import { claimsBefore, type Job, transition } from "../../job.ts";
import type { OrderEntry, PendingSegment } from "../pending.ts";
import type { Decision } from "../log.ts";
import type { ClaimSlot, Loaded, SegRef } from "../records.ts";
import type { IndexEntry } from "../runnable.ts";
import type { QueueState } from "../state.ts";

/** Come-due scheduled jobs one claim takes out of pending segments at most. */
export const PROMOTE_MAX = 4096;

export interface ClaimRequest {
  worker: string;
  /** the worker's pid and start time: who to check when its lock file is gone */
  process?: [pid: number, start: number | null];
  /** one per free slot: the jobs claimed are given to them in order */
  slots: ClaimSlot[];
  leaseSeconds: number;
  /** claim only from these queues (default: every queue) */
  queues?: readonly string[];
  /**
   * Claim nothing once a stop request (`worker stop`) was recorded after this seq. A worker
   * gives the head it started at: a stop that lands while its slots are busy then stops the
   * claim a slot makes as its job ends, in the same transaction, whether or not the worker has
   * read the request yet.
   */
  stopsAfter?: number;
}

/** How many more jobs of `queue` may start now (Infinity without a limit; 0 when paused). */
export function room(state: QueueState, queue: string): number {
  const s = state.settings(queue);
  if (s.paused) return 0;
  if (s.concurrency === 0) return Infinity;
  return Math.max(0, s.concurrency - state.queueCounts(queue).processing);
}

/**
 * A pending segment's due list, read from its first unused place, and only when needed: a list
 * that records its top priority has a bound, (top priority, the segment's lowest seq), that no
 * entry of it claims before; while the best candidate so far claims before that, the list's
 * order file is not opened (a backlog of ten segments of one priority reads one of them).
 */
class ListCursor {
  readonly bound: { priority: number; seq: number } | null;
  #walk: Iterator<{ pos: number; entry: OrderEntry }> | null = null;
  readonly #open: () => Iterator<{ pos: number; entry: OrderEntry }>;
  #head: { pos: number; entry: OrderEntry } | null = null;

  constructor(
    readonly seg: PendingSegment,
    readonly list: number,
    open: () => Iterator<{ pos: number; entry: OrderEntry }>,
  ) {
    this.#open = open;
    const top = seg.lists[list].top_priority;
    this.bound = top === undefined ? null : { priority: top, seq: seg.min_seq };
  }

  /** Not read yet, and no entry of it could claim before `best`. */
  cannotBeat(best: { priority: number; seq: number } | null): boolean {
    return this.#walk === null && this.bound !== null && best !== null && !claimsBefore(this.bound, best);
  }

  get head(): { pos: number; entry: OrderEntry } | null {
    if (this.#walk === null) {
      this.#walk = this.#open();
      this.advance();
    }
    return this.#head;
  }

  advance(): void {
    const r = this.#walk!.next();
    this.#head = r.done ? null : r.value;
  }
}

type Pick =
  | { from: "index"; job: Job }
  | { from: "promoted"; job: Job }
  | { from: "list"; cursor: ListCursor; priority: number; seq: number };

function keyOf(p: Pick): { priority: number; seq: number } {
  return p.from === "list" ? p : p.job;
}

export function decideClaim(state: QueueState, req: ClaimRequest, now: Date): Decision<Job[]> {
  if (req.stopsAfter !== undefined && state.stopSeq > req.stopsAfter) return { records: [], result: [] };
  const nowIso = now.toISOString();
  const nowMs = now.getTime();
  const index = state.runnable;
  index.promote(nowMs);
  const serves = req.queues ? new Set(req.queues) : null;
  const load: Loaded = [];
  // scheduled jobs in segments whose time has come join the live state, where priority orders them
  const promoted = new Map<string, Job[]>();
  promote: for (const { seg, list, queue } of state.pending.lists("scheduled")) {
    // a list runs in start-time order from its first_run_at on: one whose first is not due is not read
    const first = seg.lists[list].first_run_at;
    if (first !== undefined && Date.parse(first) > nowMs) continue;
    for (const { pos, entry } of state.pending.walk(seg, list)) {
      if (entry.run_at !== null && Date.parse(entry.run_at) > nowMs) break;
      if (load.length >= PROMOTE_MAX) break promote;
      const ref: SegRef = [seg.n, list, pos];
      const job = state.pending.at(ref);
      load.push([ref, job]);
      const q = promoted.get(queue) ?? [];
      q.push(job);
      promoted.set(queue, q);
    }
  }
  for (const jobs of promoted.values()) jobs.sort((a, b) => claimsBefore(a, b) ? -1 : 1);
  const cursors = new Map<string, ListCursor[]>();
  for (const { seg, list, queue } of state.pending.lists("due")) {
    if (serves && !serves.has(queue)) continue;
    cursors.set(queue, [
      ...(cursors.get(queue) ?? []),
      new ListCursor(seg, list, () => state.pending.walk(seg, list)),
    ]);
  }
  const capacity = new Map<string, number>();
  for (const queue of new Set([...index.queues(), ...cursors.keys(), ...promoted.keys()])) {
    if (serves && !serves.has(queue)) continue;
    const r = room(state, queue);
    if (r > 0) capacity.set(queue, r);
  }
  const picked: Job[] = [];
  const taken = new Set<string>();
  const popped: IndexEntry[] = [];
  while (picked.length < req.slots.length && capacity.size > 0) {
    let best: { queue: string; pick: Pick } | null = null;
    const consider = (queue: string, pick: Pick) => {
      if (!best || claimsBefore(keyOf(pick), keyOf(best.pick))) best = { queue, pick };
    };
    for (const queue of capacity.keys()) {
      const live = index.next(queue, taken, popped);
      if (live) consider(queue, { from: "index", job: live });
      const early = promoted.get(queue)?.[0];
      if (early) consider(queue, { from: "promoted", job: early });
      for (const cursor of cursors.get(queue) ?? []) {
        const sofar = best as { pick: Pick } | null;
        if (cursor.cannotBeat(sofar && keyOf(sofar.pick))) continue;
        if (cursor.head) {
          const { seq, priority } = cursor.head.entry;
          consider(queue, { from: "list", cursor, seq, priority });
        }
      }
    }
    if (!best) break;
    const { queue, pick } = best as { queue: string; pick: Pick };
    let job: Job;
    if (pick.from === "index") {
      index.take(queue, popped);
      job = pick.job;
    } else if (pick.from === "promoted") {
      job = promoted.get(queue)!.shift()!;
    } else {
      const ref: SegRef = [pick.cursor.seg.n, pick.cursor.list, pick.cursor.head!.pos];
      job = state.pending.at(ref);
      load.push([ref, job]);
      pick.cursor.advance();
    }
    taken.add(job.id);
    picked.push(job);
    const left = capacity.get(queue)! - 1;
    if (left > 0) capacity.set(queue, left);
    else capacity.delete(queue);
  }
  index.restore(popped);
  if (picked.length === 0 && load.length === 0) return { records: [], result: [] };
  const lease_until = new Date(nowMs + req.leaseSeconds * 1000).toISOString();
  const slots = req.slots.slice(0, picked.length);
  const claim = state.seq + 1; // the record's seq: every claim's token
  return {
    records: [{
      type: "claim",
      worker: req.worker,
      lease_until,
      ids: picked.map((j) => j.id),
      ...(req.process ? { by: req.process } : {}),
      slots,
      ...(load.length ? { load } : {}),
    }],
    // the claimed jobs as they will be once the record applies
    result: picked.map((job, i) =>
      transition(job, {
        type: "claim",
        worker: req.worker,
        claim,
        lease_until,
        pid: slots[i].sid?.[0] ?? null,
        pid_start: slots[i].sid?.[1] ?? null,
        out: slots[i].out,
        ...(req.process ? { by: req.process } : {}),
      }, nowIso)
    ),
  };
}
