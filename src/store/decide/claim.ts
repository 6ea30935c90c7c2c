/**
 * Claim decisions: which due jobs a worker's free slots take, in claim order (priority, then
 * enqueue order) across the queues it serves, never past a queue's concurrency limit nor from a
 * paused queue. Reads the runnable index (runnable.ts) from its heads; pure otherwise.
 */
import { claimsBefore, type Job, transition } from "../../job.ts";
import type { Decision } from "../log.ts";
import type { ClaimSlot } from "../records.ts";
import type { IndexEntry } from "../runnable.ts";
import type { QueueState } from "../state.ts";

export interface ClaimRequest {
  worker: string;
  /** the worker's pid and start time: who to check when its lock file is gone */
  process?: [pid: number, start: number | null];
  /** one per free slot: the jobs claimed are given to them in order */
  slots: ClaimSlot[];
  leaseSeconds: number;
  /** claim only from these queues (default: every queue) */
  queues?: readonly string[];
}

/** How many more jobs of `queue` may start now (Infinity without a limit; 0 when paused). */
export function room(state: QueueState, queue: string): number {
  const s = state.settings(queue);
  if (s.paused) return 0;
  if (s.concurrency === 0) return Infinity;
  return Math.max(0, s.concurrency - state.queueCounts(queue).processing);
}

export function decideClaim(state: QueueState, req: ClaimRequest, now: Date): Decision<Job[]> {
  const nowIso = now.toISOString();
  const index = state.runnable;
  index.promote(now.getTime());
  const serves = req.queues ? new Set(req.queues) : null;
  const capacity = new Map<string, number>();
  for (const queue of index.queues()) {
    if (serves && !serves.has(queue)) continue;
    const r = room(state, queue);
    if (r > 0) capacity.set(queue, r);
  }
  const picked: Job[] = [];
  const taken = new Set<string>();
  const popped: IndexEntry[] = [];
  while (picked.length < req.slots.length && capacity.size > 0) {
    let best: { queue: string; job: Job } | null = null;
    for (const queue of capacity.keys()) {
      const job = index.next(queue, taken, popped);
      if (job && (!best || claimsBefore(job, best.job))) best = { queue, job };
    }
    if (!best) break;
    index.take(best.queue, popped);
    taken.add(best.job.id);
    picked.push(best.job);
    const left = capacity.get(best.queue)! - 1;
    if (left > 0) capacity.set(best.queue, left);
    else capacity.delete(best.queue);
  }
  index.restore(popped);
  if (picked.length === 0) return { records: [], result: [] };
  const lease_until = new Date(now.getTime() + req.leaseSeconds * 1000).toISOString();
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
