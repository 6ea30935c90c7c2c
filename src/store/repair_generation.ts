/**
 * The end of every repair: the repaired state becomes a new generation, as a compaction's does
 * (log.ts protocol), never an edit of a file a running process reads. Under the exclusive lock,
 * after the damaged files were copied into side files and the running attempts fenced
 * (repair_fence.ts):
 *   1. the counts are taken again from what the state now holds (live jobs, the visible jobs of
 *      every archive segment, the waiting jobs of every pending segment);
 *   2. snapshot-G' is written (temp name, fsync, rename, directory fsync: the commit point), G'
 *      above every generation on disk or named by a seal;
 *   3. the empty wal-G' is created, the directory fsynced;
 *   4. every older generation, and every segment file the new snapshot does not name, is removed.
 * A crash before 2 leaves the damaged generation as it was (its bytes also in side files); after
 * it, the new one. A process still holding the old log finds it gone from its path and reopens
 * from snapshot-G' (wal.ts), so a repair is never taken for corruption by a running process.
 */
import { DEFAULT_QUEUE } from "../job.ts";
import { ensureDir, FILE_MODE, replaceFileDurably, syncDir } from "../durable.ts";
import { ArchiveReader, hidden } from "./archive.ts";
import { removeStale } from "./stale.ts";
import { consumedCount, listConsumption } from "./pending_consumption.ts";
import { type HomePaths, scanGenerations } from "./paths.ts";
import { encodeSnapshot } from "./snapshot.ts";
import { type QueueState, zeroCounts } from "./state.ts";

/** Counts every job `state` holds again, by state and by queue (archived and waiting ones too). */
export function recount(paths: HomePaths, state: QueueState): void {
  for (const key of Object.keys(state.counts) as Array<keyof typeof state.counts>) state.counts[key] = 0;
  for (const c of state.byQueue.values()) Object.assign(c, zeroCounts());
  const add = (queue: string, key: keyof typeof state.counts, n = 1) => {
    state.counts[key] += n;
    let c = state.byQueue.get(queue);
    if (!c) state.byQueue.set(queue, c = zeroCounts());
    c[key] += n;
  };
  for (const job of state.jobs.values()) add(job.queue, job.state);
  const reader = new ArchiveReader(paths);
  let archived = 0;
  try {
    for (const seg of state.archive) {
      for (const { job } of reader.scan(seg)) {
        if (hidden(state.tombstones, job.id, seg.n)) continue;
        archived++;
        add(job.queue ?? DEFAULT_QUEUE, "completed");
      }
    }
  } finally {
    reader.close();
  }
  state.archived = archived;
  for (const seg of state.pending.segments) {
    const cs = state.pending.consumption.get(seg.n);
    seg.lists.forEach((l, i) => {
      const waiting = l.count - consumedCount(listConsumption(cs, i));
      if (waiting > 0) add(l.queue, "pending", waiting);
    });
  }
}

/** The generation a repair of generation `gen` writes: above everything on disk and any seal's. */
export function nextGeneration(paths: HomePaths, gen: number, sealedNext: number | null): number {
  const found = scanGenerations(paths.home);
  return Math.max(gen, sealedNext ?? 0, ...found.wals, ...found.snapshots) + 1;
}

/** Steps 1-4 above; returns the sentence for the report. */
export function writeGeneration(paths: HomePaths, state: QueueState, gen: number): string {
  recount(paths, state);
  const snapshot = paths.snapshot(gen);
  replaceFileDurably(snapshot, encodeSnapshot(state, gen));
  ensureDir(paths.home);
  const wal = Deno.openSync(paths.wal(gen), { write: true, create: true, mode: FILE_MODE });
  wal.close();
  syncDir(paths.home);
  removeStale(paths, state, gen);
  const name = (p: string) => p.slice(paths.home.length + 1);
  return `wrote the repaired store as generation ${gen} (${name(snapshot)}, an empty ${
    name(paths.wal(gen))
  }); running processes reopen from it`;
}
