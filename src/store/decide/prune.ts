/**
 * Retention: which finished jobs leave because they finished before a cutoff (`prune`, and
 * compaction with `retention-completed` / `retention-dead` set). Live completed and dead jobs are
 * removed by id; archived completed jobs never cost a rewrite of the archive: a segment whose newest
 * job finished before the cutoff is dropped whole (the next snapshot does not name it), and the old
 * jobs of a segment that also holds newer ones are tombstoned one by one. One call is one bounded
 * batch (BATCH jobs by id, SEGMENTS segments): a huge prune is several transactions, and `more`
 * says when another is needed. Pure but for reading the archive's immutable segment files.
 *
 * No dependent is sent to the DLQ: a completed job's dependents were freed when it completed, and a
 * dead job's waiting dependents went to the DLQ when it died.
 */
import { addFacts, emptyFacts, finishedAt, hidden, type Segment, type SegmentFacts } from "../archive.ts";
import type { Decision } from "../log.ts";
import type { RecordBody } from "../records.ts";
import type { QueueState } from "../state.ts";

/** Jobs one prune removes by id at most (live ones and archived ones tombstoned). */
export const BATCH = 5000;
/** Archive segments one prune drops whole at most. */
export const SEGMENTS = 256;

export interface PruneRequest {
  /** completed jobs that finished before this (ISO) leave; null: none */
  completedBefore: string | null;
  /** dead jobs that finished (were buried) before this leave; null: none */
  deadBefore: string | null;
  /** jobs by id per call (default BATCH) */
  limit?: number;
}

export interface PruneResult {
  /** completed jobs removed (live, tombstoned, and in dropped segments) */
  completed: number;
  dead: number;
  /** archive segments dropped whole */
  segments: number;
  /** true when the batch was full: call again for the rest */
  more: boolean;
  /** ids of the removed jobs from before 0.2, whose output may be in logs/<id>.log */
  legacy: string[];
}

const add = (map: Record<string, number>, key: string, n = 1) => {
  map[key] = (map[key] ?? 0) + n;
};

export function decidePrune(state: QueueState, req: PruneRequest): Decision<PruneResult> {
  const limit = req.limit ?? BATCH;
  const result: PruneResult = { completed: 0, dead: 0, segments: 0, more: false, legacy: [] };
  const ids: string[] = [];
  const archived: string[] = [];
  const segments: number[] = [];
  const archivedQueues: Record<string, number> = {};
  const outs: Record<string, number> = {};
  const learned: Array<[number, SegmentFacts]> = [];
  const cutoff = (state: string) =>
    state === "completed" ? req.completedBefore : state === "dead" ? req.deadBefore : null;

  // live jobs, oldest first
  if (req.completedBefore !== null || req.deadBefore !== null) {
    for (const job of state.inOrder()) {
      const before = cutoff(job.state);
      if (before === null || !(finishedAt(job) < before)) continue;
      if (ids.length >= limit) {
        result.more = true;
        break;
      }
      ids.push(job.id);
      if (job.state === "completed") result.completed++;
      else result.dead++;
      if (!job.runs) result.legacy.push(job.id);
    }
  }

  // archived jobs (all completed), oldest segment first
  const before = req.completedBefore;
  const view = state.archiveView;
  if (before !== null && view && state.archived > 0) {
    for (const seg of state.archive) {
      if (seg.jobs === 0) continue;
      let facts = seg.facts;
      if (!facts) {
        facts = view.learnFacts(seg);
        learned.push([seg.n, facts]);
      }
      if (facts.min_finished === null || !(facts.min_finished < before)) continue;
      if (facts.max_finished !== null && facts.max_finished < before) {
        if (segments.length >= SEGMENTS) {
          result.more = true;
          break;
        }
        dropWhole(state, seg, facts, archivedQueues, outs, result);
        segments.push(seg.n);
        continue;
      }
      // old and new jobs together: the old ones one by one
      for (const job of view.scan(seg)) {
        if (!(finishedAt(job) < before) || hidden(state.tombstones, job.id, seg.n)) continue;
        if (ids.length + archived.length >= limit) {
          result.more = true;
          break;
        }
        archived.push(job.id);
        add(archivedQueues, job.queue ?? "default");
        for (const run of job.runs ?? []) if (run.out) add(outs, run.out[0]);
        if (!job.runs) result.legacy.push(job.id);
        result.completed++;
      }
      if (result.more) break;
    }
  }
  result.segments = segments.length;
  if (ids.length === 0 && archived.length === 0 && segments.length === 0 && learned.length === 0) {
    return { records: [], result };
  }
  const record: RecordBody = {
    type: "prune",
    ids,
    ...(archived.length ? { archived } : {}),
    ...(segments.length ? { segments } : {}),
    ...(Object.keys(archivedQueues).length ? { archived_queues: archivedQueues } : {}),
    ...(Object.keys(outs).length ? { outs } : {}),
    ...(learned.length ? { facts: learned } : {}),
  };
  return { records: [record], result };
}

/**
 * What dropping `seg` takes away: its visible jobs (its facts less the copies tombstones hide,
 * which left when they were tombstoned), per queue and per output file.
 */
function dropWhole(
  state: QueueState,
  seg: Segment,
  facts: SegmentFacts,
  queues: Record<string, number>,
  outs: Record<string, number>,
  result: PruneResult,
): void {
  const visible = emptyFacts();
  for (const [q, n] of Object.entries(facts.queues)) visible.queues[q] = n;
  for (const [f, n] of Object.entries(facts.outs)) visible.outs[f] = n;
  visible.legacy = facts.legacy;
  const hidden = state.archiveView!.hiddenIn(seg);
  for (const job of hidden) addFacts(visible, job, -1);
  for (const [q, n] of Object.entries(visible.queues)) {
    if (n > 0) {
      add(queues, q, n);
      result.completed += n;
    }
  }
  for (const [f, n] of Object.entries(visible.outs)) if (n > 0) add(outs, f, n);
  if (visible.legacy > 0) {
    // jobs from before 0.2 may have a logs/<id>.log: name them (a read of the segment; rare)
    const hiddenIds = new Set(hidden.map((j) => j.id));
    for (const job of state.archiveView!.scan(seg)) {
      if (!job.runs && !hiddenIds.has(job.id)) result.legacy.push(job.id);
    }
  }
}
