/**
 * Waiting on jobs from the command line: `wait`, `enqueue --wait` and `kill` block until the jobs
 * they name have moved on, woken by the store's change feed (store/changes.ts: file-system
 * notifications of the home, a poll of the log's head as the fallback), never by a busy poll.
 */
import { isTerminal, type Job } from "../job.ts";
import { printable } from "../printable.ts";
import { HomeChanges } from "../store/changes.ts";
import { listWorkers } from "../worker/registry.ts";
import type { AppContext, Session } from "./context.ts";

export interface UntilOptions {
  /** give up after this long (default: never) */
  timeoutMs?: number;
  /** look again this often even when the store did not change (default: only on changes) */
  recheckMs?: number;
}

/**
 * Calls `settled(id, job)` for each of `ids` (the job as the store has it now, or undefined when it
 * is gone) until it returns true for every one: at once, then each time the store changes. Returns
 * the ids still unsettled when the timeout passed ([] when all settled).
 */
export async function untilSettled(
  ctx: AppContext,
  session: Session,
  ids: readonly string[],
  settled: (id: string, job: Job | undefined) => boolean | Promise<boolean>,
  options: UntilOptions = {},
): Promise<string[]> {
  const { store } = session;
  const left = new Set(ids);
  const changes = new HomeChanges({ head: () => store.head(), dir: session.home, clock: ctx.clock });
  const deadline = options.timeoutMs === undefined ? Infinity : ctx.clock.monotonic() + options.timeoutMs;
  try {
    for (;;) {
      // the head before the look: a change made during the look wakes the next wait at once
      const seen = await store.head();
      for (const id of [...left]) if (await settled(id, await store.get(id))) left.delete(id);
      const remaining = deadline - ctx.clock.monotonic();
      if (left.size === 0 || remaining <= 0) return [...left];
      const wake = new AbortController();
      const ms = Math.min(remaining, options.recheckMs ?? Infinity);
      const timer = Number.isFinite(ms) ? setTimeout(() => wake.abort(), Math.max(0, ms)) : undefined;
      try {
        await changes.next(seen, wake.signal);
      } finally {
        clearTimeout(timer);
      }
    }
  } finally {
    changes.close();
  }
}

export interface WaitOutcome {
  /** the jobs that ended (completed or dead), as they ended */
  ended: Map<string, Job>;
  /** jobs that vanished while waited for (deleted) */
  gone: string[];
  /** the jobs still live when the timeout passed */
  waiting: Job[];
}

/**
 * Waits until every job of `ids` has completed or is dead (or the timeout passes); `onEnd` hears
 * of each as it ends. Tells the user once, on stderr, why nothing may happen: no worker runs, or
 * a job's queue is paused.
 */
export async function waitForJobs(
  ctx: AppContext,
  session: Session,
  ids: readonly string[],
  options: { timeoutMs?: number; onEnd?: (job: Job) => void } = {},
): Promise<WaitOutcome> {
  const ended = new Map<string, Job>();
  const gone: string[] = [];
  const latest = new Map<string, Job>();
  let warned = false;
  const left = await untilSettled(ctx, session, ids, async (id, job) => {
    if (!job) {
      gone.push(id);
      return true;
    }
    if (isTerminal(job.state)) {
      ended.set(id, job);
      options.onEnd?.(job);
      return true;
    }
    latest.set(id, job);
    if (!warned) {
      warned = true;
      await warnIdle(ctx, session, ids);
    }
    return false;
  }, { timeoutMs: options.timeoutMs });
  return { ended, gone, waiting: left.map((id) => latest.get(id)!) };
}

/** Says on stderr why the jobs may wait for ever: no worker runs, or their queue is paused. */
async function warnIdle(ctx: AppContext, session: Session, ids: readonly string[]): Promise<void> {
  if (!listWorkers(session.paths).some((w) => w.alive)) {
    ctx.process.stderr.write(
      "note: no worker is running: the jobs wait until one starts (`queuectl worker start`)\n",
    );
  }
  const paused = new Set((await session.store.queues()).filter((q) => q.paused).map((q) => q.name));
  if (paused.size === 0) return;
  const queues = new Set<string>();
  for (const id of ids) {
    const job = await session.store.get(id);
    if (job && job.state !== "processing" && paused.has(job.queue)) queues.add(job.queue);
  }
  for (const queue of queues) {
    ctx.process.stderr.write(
      `note: queue ${queue} is paused: its jobs wait until \`queuectl queue resume ${queue}\`\n`,
    );
  }
}

/** What `enqueue --wait` says about a job that did not complete: why, and the end of its output. */
export function failedJobText(job: Job): string {
  let out = `error: Job ${job.id} ended ${job.state} after ${job.attempts} attempt(s): ${
    printable(job.last_error ?? "no error recorded")
  }`;
  if (job.output_tail) {
    const tail = printable(job.output_tail, true);
    out += `; the end of its output:\n${tail}${tail.endsWith("\n") ? "" : "\n"}`;
  } else out += "\n";
  return out;
}
