/**
 * Stopping the workers of a home, as `queuectl worker stop` and the dashboard's button do it: a
 * stop request in the store, which every running worker reads, and nothing written when none runs.
 */
import type { Store } from "../store/mod.ts";

/**
 * Asks `live` (the workers running now) to stop: returns how many were asked. With none running,
 * nothing is written (a stop request would otherwise wait in the log for no one).
 */
export async function stopWorkers(store: Store, live: readonly unknown[]): Promise<number> {
  if (live.length > 0) await store.requestStop();
  return live.length;
}
