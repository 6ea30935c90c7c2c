/**
 * Hints: one line on stderr when the queue holds jobs that nothing will run, printed by
 * `enqueue` and `status` (never with --json, never on stdout). The worker check comes first: it
 * is one directory read, and when a worker is alive nothing else is read.
 */
import { anyWorkerAlive } from "../worker/registry.ts";
import type { AppContext, Session } from "./context.ts";

/** The hint for `waiting` jobs and no live worker, or null when there is nothing to say. */
export function idleHintText(waiting: number): string | null {
  if (waiting <= 0) return null;
  const jobs = waiting === 1 ? "1 job is" : `${waiting} jobs are`;
  return `hint: ${jobs} waiting and no worker is running; start one with: queuectl worker start\n`;
}

/**
 * Prints the hint when no worker is alive and jobs wait to run: pending or failed (waiting for a
 * retry) in a queue that is not paused (a paused queue's jobs wait for `queue resume`, and
 * `status` says so).
 */
export async function printIdleHint(ctx: AppContext, session: Session): Promise<void> {
  if (anyWorkerAlive(session.paths)) return;
  let waiting = 0;
  for (const queue of await session.store.queues()) {
    if (!queue.paused) waiting += queue.counts.pending + queue.counts.failed;
  }
  const text = idleHintText(waiting);
  if (text) ctx.process.stderr.write(text);
}
