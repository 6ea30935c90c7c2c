/**
 * Hints: one line on stderr when the queue holds jobs that nothing will run, printed by
 * `enqueue` and `status` (never with --json, never on stdout). The worker check comes first: it
 * is one directory read, and when a worker is alive nothing else is read.
 */
import { isDue, type Job } from "../job.ts";
import { anyWorkerAlive } from "../worker/registry.ts";
import type { AppContext, Session } from "./context.ts";

/**
 * The hint for `waiting` jobs (pending or failed, in queues not paused) and no live worker, or null
 * when there is nothing to say. `due`: one of them could run now; else `nextDue` is when the first
 * one can (null: none has a time, they wait for something else, such as a dependency).
 */
export function idleHintText(waiting: number, due: boolean, nextDue: string | null): string | null {
  if (waiting <= 0) return null;
  const jobs = waiting === 1 ? "1 job is" : `${waiting} jobs are`;
  if (!due && nextDue !== null) {
    return `hint: ${jobs} queued, none due before ${nextDue}, and no worker is running; ` +
      "start one by then with: queuectl worker start\n";
  }
  return `hint: ${jobs} waiting and no worker is running; start one with: queuectl worker start\n`;
}

/**
 * Prints the hint when no worker is alive and jobs wait to run: pending or failed (waiting for a
 * retry) in a queue that is not paused (a paused queue's jobs wait for `queue resume`, and
 * `status` says so). Jobs that are all scheduled for later are said to be, with the first time:
 * the store's runnable index answers (hasWork, nextDue) without reading every job. `enqueued`, the
 * jobs an enqueue just made: when one of them can run now the store is not asked (the commonest
 * case, on the path whose start-up is measured).
 */
export async function printIdleHint(
  ctx: AppContext,
  session: Session,
  enqueued: readonly Job[] = [],
): Promise<void> {
  if (anyWorkerAlive(session.paths)) return;
  let waiting = 0;
  const paused = new Set<string>();
  for (const queue of await session.store.queues()) {
    if (!queue.paused) waiting += queue.counts.pending + queue.counts.failed;
    else paused.add(queue.name);
  }
  if (waiting === 0) return;
  const now = ctx.clock.now().toISOString();
  const dueNow = (j: Job) =>
    j.state === "pending" && !paused.has(j.queue) && (j.after ?? []).length === 0 && isDue(j, now);
  const due = enqueued.some(dueNow) || await session.store.hasWork();
  const text = idleHintText(waiting, due, due ? null : await session.store.nextDue());
  if (text) ctx.process.stderr.write(text);
}
