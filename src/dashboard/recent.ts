/**
 * Reads what the throughput and the metrics need from the store, in bounded work:
 * - failed and dead jobs are live (never archived): read whole;
 * - completed jobs newest-enqueued first, in pages, stopping at the first page in which no job
 *   finished inside the window (jobs finish roughly in enqueue order), or after `budget` (50,000)
 *   jobs. A job enqueued long before a whole page of newer jobs that finished before the window,
 *   that itself finished inside it, is missed; so are jobs past the budget (over 50,000 an hour).
 * - pending jobs: the earliest `run_at`, for the oldest pending age.
 * Whole-state reads go page by page (each page one short read of the store), so other requests
 * of the dashboard are answered in between, even while a large snapshot is parsed for the first
 * time. The dashboard keeps the answers per store head (api.ts), so an idle queue costs one look.
 */
import { dueSince, type Job, type JobState } from "../job.ts";
import type { Store } from "../store/mod.ts";

const PAGE = 5_000;
const LIVE_PAGE = 20_000;
export const RECENT_BUDGET = 50_000;

/** Every job in `state`, a page (one read of the store) at a time. */
export async function* jobsIn(store: Store, state: JobState): AsyncGenerator<Job> {
  let past: number | undefined;
  for (;;) {
    const page = await store.list({ state, past, limit: LIVE_PAGE });
    yield* page;
    if (page.length < LIVE_PAGE) return;
    past = page[page.length - 1].seq;
    await breathe();
  }
}

/**
 * Lets other requests (and timers) run between two reads of a long task: the store answers
 * without touching the event loop, so a chain of reads would hold it until the last.
 */
export function breathe(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export async function recentlyFinished(store: Store, since: Date, budget = RECENT_BUDGET): Promise<Job[]> {
  const from = since.toISOString();
  const inWindow = (j: Job) => j.finished_at !== null && j.finished_at >= from;
  const out: Job[] = [];
  for (const state of ["failed", "dead"] as const) {
    for await (const job of jobsIn(store, state)) if (inWindow(job)) out.push(job);
  }
  let past: number | undefined;
  for (let read = 0; read < budget;) {
    const page = await store.list({
      state: "completed",
      order: "desc",
      past,
      limit: Math.min(PAGE, budget - read),
    });
    read += page.length;
    const hits = page.filter(inWindow);
    out.push(...hits);
    if (hits.length === 0 || page.length < PAGE) break;
    past = page[page.length - 1].seq;
    await breathe();
  }
  return out;
}

/** Failed attempts visible in the store: every attempt of a job now failed or dead failed. */
export async function failedAttempts(store: Store): Promise<number> {
  let n = 0;
  for (const state of ["failed", "dead"] as const) {
    for await (const job of jobsIn(store, state)) n += job.attempts;
  }
  return n;
}

/** The earliest `run_at` among pending jobs: the one that has waited longest once it is due. */
export async function earliestPendingRunAt(store: Store): Promise<string | null> {
  let earliest: string | null = null;
  for await (const job of jobsIn(store, "pending")) {
    const since = dueSince(job);
    if (earliest === null || since < earliest) earliest = since;
  }
  return earliest;
}

/** Seconds the longest-waiting due pending job has waited since its `run_at`, or null if none is due. */
export function pendingAge(earliest: string | null, now: Date): number | null {
  if (earliest === null) return null;
  const waited = (now.getTime() - Date.parse(earliest)) / 1000;
  return waited >= 0 ? waited : null;
}
