/**
 * Removing what the newest snapshot does not name: step 5 of compaction (the protocol is at the
 * top of log.ts), and a writer's clean-up when it opens a generation.
 */
import { syncDir } from "../durable.ts";
import { type Generations, type HomePaths, scanGenerations } from "./paths.ts";
import type { QueueState } from "./state.ts";

/**
 * Step 5 (and a writer's clean-up at open): deletes temp files, every generation older than `gen`,
 * and every archive segment the state (loaded from or written as the newest snapshot) does not
 * name: all left by a crash or a merge. Temp files are only written under the exclusive lock,
 * which the caller holds: any found is a crash's. `found` is the home's listing when the caller
 * took one under the same hold of that lock (a writer opening a generation): nobody else adds or
 * removes these files meanwhile, so it need not be read again.
 */
export function removeStale(
  paths: HomePaths,
  state: QueueState,
  gen: number,
  found: Generations = scanGenerations(paths.home),
): void {
  const named = new Set(state.archive.map((seg) => seg.n));
  const pending = new Set(state.pending.segments.map((seg) => seg.n));
  const doomed = [
    ...found.temps,
    ...found.wals.filter((g) => g < gen).map((g) => paths.wal(g)),
    ...found.snapshots.filter((g) => g < gen).map((g) => paths.snapshot(g)),
    ...found.archives.filter((n) => !named.has(n)).flatMap((
      n,
    ) => [paths.archiveJobs(n), paths.archiveIndex(n)]),
    ...found.pendings.filter((n) => !pending.has(n)).flatMap((n) => [
      paths.pendingJobs(n),
      paths.pendingIndex(n),
      paths.pendingOrder(n),
    ]),
  ];
  for (const path of doomed) {
    try {
      Deno.removeSync(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  if (doomed.length > 0) syncDir(paths.home);
}
