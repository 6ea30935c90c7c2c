/**
 * The JSON endpoints. Jobs are the store's objects as they are, the shape `queuectl show --json`
 * prints; input goes through the CLI's own validation, and every change through the use-case the
 * CLI calls (src/usecases/), so errors carry the CLI's sentences.
 */
import { checkJobId } from "../ids.ts";
import { JobNotFoundError, UsageError } from "../errors.ts";
import { cancelJobs, deleteJobs, dependenciesOf, requestKill, retryDead } from "../usecases/jobs.ts";
import {
  checkConcurrency,
  MAX_CONCURRENCY,
  pauseQueue,
  resumeQueue,
  setConcurrency,
} from "../usecases/queues.ts";
import { listSchedules, pauseSchedule, removeSchedule } from "../usecases/schedules.ts";
import { stopWorkers as askWorkersToStop } from "../usecases/workers.ts";
import { type Job, JOB_STATES, type JobState } from "../job.ts";
import { parseJobJson } from "../validate.ts";
import { decodeCursor, encodeCursor, type Order } from "./cursor.ts";
import type { DashboardDeps } from "./deps.ts";
import { breathe, earliestPendingRunAt, failedAttempts, pendingAge, recentlyFinished } from "./recent.ts";
import { HttpError, json } from "./respond.ts";
import { readJobLog, tailOf } from "../output/job_log.ts";
import { aggregate, type Throughput, windowStart } from "./throughput.ts";
import { METRICS_CONTENT_TYPE, renderMetrics } from "./metrics.ts";

export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 50;
export const DEFAULT_TAIL = 65_536;
export const MAX_TAIL = 1_048_576;

function wholeNumber(name: string, text: string, min: number, max: number): number {
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) {
    throw new HttpError(
      400,
      `Invalid ${name} "${text.slice(0, 40)}": expected a whole number from ${min} to ${max}`,
    );
  }
  return n;
}

function stateParam(text: string | null): JobState | undefined {
  if (text === null || text === "") return undefined;
  if (!(JOB_STATES as readonly string[]).includes(text)) {
    throw new HttpError(
      400,
      `Invalid state "${text.slice(0, 40)}": expected one of ${JOB_STATES.join(", ")}`,
    );
  }
  return text as JobState;
}

function orderParam(text: string | null): Order {
  if (text === null || text === "" || text === "asc" || text === "desc") return (text || "asc") as Order;
  throw new HttpError(400, `Invalid order "${text.slice(0, 40)}": expected asc or desc`);
}

/**
 * What the dashboard keeps between requests, each answer valid while the store's head (or, for
 * the throughput, the head and the second) stays the same: many pages poll, few things change.
 */
export interface Caches {
  head: number;
  /** the earliest `run_at` of pending jobs as of store head `head`, once read */
  pending: { head: number; earliest: string | null } | null;
  /** the read of it under way, if one is */
  pendingScan: Promise<void> | null;
  failedAttempts?: number;
  throughput: Throughput | null;
  throughputAt: number;
  throughputHead: number;
  /** milliseconds the last computation took */
  throughputCost: number;
}

export function newCaches(): Caches {
  return {
    head: -1,
    pending: null,
    pendingScan: null,
    throughput: null,
    throughputAt: 0,
    throughputHead: -1,
    throughputCost: 0,
  };
}

/** The store's head now; forgets the cached answers when it moved. */
async function headOf(deps: DashboardDeps, caches: Caches): Promise<number> {
  const head = await deps.store.head();
  if (head !== caches.head) {
    caches.head = head;
    caches.failedAttempts = undefined;
  }
  return head;
}

/** How long a request waits for a new read of the pending jobs before answering with the last one. */
export const PENDING_WAIT_MS = 1_000;

/**
 * The oldest pending age. Reading every pending job is quick once they are parsed, but the first
 * read of a large snapshot (say 200,000 live jobs) takes seconds: then the answer waits at most
 * PENDING_WAIT_MS, and is the last one known (null before the first) until the read completes.
 */
async function oldestPendingAge(deps: DashboardDeps, caches: Caches): Promise<number | null> {
  const head = await headOf(deps, caches);
  if (caches.pending?.head !== head && caches.pendingScan === null) {
    caches.pendingScan = earliestPendingRunAt(deps.store).then(
      (earliest) => void (caches.pending = { head, earliest }),
      () => {}, // a store that failed to read answers the next request's own try
    ).finally(() => void (caches.pendingScan = null));
  }
  if (caches.pendingScan) await settledWithin(caches.pendingScan, PENDING_WAIT_MS);
  return caches.pending ? pendingAge(caches.pending.earliest, deps.now()) : null;
}

async function settledWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p, new Promise((resolve) => timer = setTimeout(resolve, ms))]);
  clearTimeout(timer);
}

export async function status(deps: DashboardDeps, caches: Caches): Promise<Response> {
  const [counts, config, oldest, queues] = await Promise.all([
    deps.store.counts(),
    deps.config(),
    oldestPendingAge(deps, caches),
    deps.store.queues(),
  ]);
  return json({
    counts,
    // as `queuectl status --json` says them
    paused_queues: queues.filter((q) => q.paused).map((q) => q.name),
    workers: deps.workers(),
    config,
    oldest_pending_age_seconds: oldest,
    head: caches.head,
  });
}

/** With `q`, one request examines at most this many jobs (by seq), in windows of SEARCH_WINDOW. */
export const SEARCH_BUDGET = 20_000;
export const SEARCH_WINDOW = 5_000;

export async function listJobs(deps: DashboardDeps, url: URL): Promise<Response> {
  const p = url.searchParams;
  const state = stateParam(p.get("state"));
  const order = orderParam(p.get("order"));
  const limit = p.get("limit") ? wholeNumber("limit", p.get("limit")!, 1, MAX_PAGE) : DEFAULT_PAGE;
  const q = p.get("q") || undefined;
  if (q !== undefined && q.length > 200) {
    throw new HttpError(400, "Invalid q: it is longer than 200 characters");
  }
  const past = p.get("cursor") ? decodeCursor(p.get("cursor")!, order) : undefined;
  if (q !== undefined) return json(await search(deps, { state, order, limit, q, past }));
  // one more than the page: whether it exists says whether there is a next page
  const jobs = await deps.store.list({ state, order, past, limit: limit + 1 });
  const page = jobs.slice(0, limit);
  const counts = await deps.store.counts();
  return json({
    jobs: page,
    next_cursor: jobs.length > limit ? encodeCursor(order, page[page.length - 1].seq) : null,
    total: state ? counts[state] : Object.values(counts).reduce((a, b) => a + b, 0),
  });
}

/**
 * A text search, bounded: it reads the listing in windows of seqs and stops after SEARCH_BUDGET
 * of them, so a search that matches little never scans a million archived jobs in one request
 * (and never holds up the store meanwhile). Then the page may hold fewer than `limit` jobs, and
 * `next_cursor` (the end of the last window) continues the search.
 */
async function search(
  deps: DashboardDeps,
  o: { state?: JobState; order: Order; limit: number; q: string; past?: number },
): Promise<{ jobs: Job[]; next_cursor: string | null; total: null }> {
  const desc = o.order === "desc";
  const [oldest] = await deps.store.list({ limit: 1 });
  const [newest] = await deps.store.list({ limit: 1, order: "desc" });
  const found: Job[] = [];
  if (!oldest || !newest) return { jobs: found, next_cursor: null, total: null };
  let from = o.past ?? (desc ? newest.seq + 1 : oldest.seq - 1);
  let done = desc ? from <= oldest.seq : from >= newest.seq;
  for (
    let examined = 0;
    !done && found.length <= o.limit && examined < SEARCH_BUDGET;
    examined += SEARCH_WINDOW
  ) {
    const through = desc ? from - SEARCH_WINDOW : from + SEARCH_WINDOW;
    const want = o.limit + 1 - found.length;
    const got = await deps.store.list({
      state: o.state,
      order: o.order,
      past: from,
      through,
      text: o.q,
      limit: want,
    });
    found.push(...got);
    if (got.length === want) break;
    from = through;
    done = desc ? from <= oldest.seq : from >= newest.seq;
    await breathe();
  }
  if (found.length > o.limit) {
    const page = found.slice(0, o.limit);
    return { jobs: page, next_cursor: encodeCursor(o.order, page[page.length - 1].seq), total: null };
  }
  return { jobs: found, next_cursor: done ? null : encodeCursor(o.order, Math.max(0, from)), total: null };
}

async function need(deps: DashboardDeps, id: string, verb: string) {
  checkJobId(id);
  const job = await deps.store.get(id);
  if (!job) throw new JobNotFoundError(verb, id);
  return job;
}

export async function getJob(deps: DashboardDeps, id: string): Promise<Response> {
  return json(await need(deps, id, "show"));
}

export async function jobLogs(deps: DashboardDeps, id: string, url: URL): Promise<Response> {
  checkJobId(id);
  const tailText = url.searchParams.get("tail");
  const max = tailText ? wholeNumber("tail", tailText, 0, MAX_TAIL) : DEFAULT_TAIL;
  const log = await readJobLog(deps.paths, () => deps.store.get(id));
  if (!log) throw new JobNotFoundError("show the output of", id);
  const tail = await tailOf(log, max);
  return json({
    id,
    state: log.job.state,
    attempts: log.job.attempts,
    ...tail,
    running: log.job.state === "processing",
  });
}

export async function enqueue(deps: DashboardDeps, body: string): Promise<Response> {
  const spec = parseJobJson(body);
  spec.cwd = deps.cwd;
  const config = await deps.config();
  const [{ job }] = await deps.store.enqueue([spec], { max_retries: config.max_retries });
  return json(job, 201);
}

export async function getDependencies(deps: DashboardDeps, id: string): Promise<Response> {
  const job = await need(deps, id, "show");
  return json({ id, dependencies: await dependenciesOf(deps.store, job) });
}

export async function retry(deps: DashboardDeps, id: string): Promise<Response> {
  checkJobId(id);
  await retryDead(deps.store, [id]);
  return json(await need(deps, id, "retry"));
}

export async function retryAll(deps: DashboardDeps): Promise<Response> {
  const jobs = await retryDead(deps.store, "all");
  return json({ retried: jobs.map((j) => j.id) });
}

export async function deleteJob(deps: DashboardDeps, id: string): Promise<Response> {
  checkJobId(id);
  const { jobs } = await deleteJobs(deps, [id]);
  return json({ deleted: jobs.map((j) => j.id) });
}

/** Asks the worker running a processing job to kill it; answers the job with the kill recorded. */
export async function kill(deps: DashboardDeps, id: string): Promise<Response> {
  checkJobId(id);
  const [job] = await requestKill(deps.store, [id]);
  return json(job);
}

/** Sends a pending or failed job to the DLQ ("cancelled"); answers it as it is now. */
export async function cancel(deps: DashboardDeps, id: string): Promise<Response> {
  checkJobId(id);
  const { jobs: [job] } = await cancelJobs(deps.store, [id]);
  return json(job);
}

export async function stopWorkers(deps: DashboardDeps): Promise<Response> {
  return json({ stopping: await askWorkersToStop(deps.store, deps.workers()) });
}

// ---- queues and schedules

export async function queues(deps: DashboardDeps): Promise<Response> {
  return json({ queues: await deps.store.queues() });
}

export async function queuePause(deps: DashboardDeps, name: string, paused: boolean): Promise<Response> {
  return json(await (paused ? pauseQueue : resumeQueue)(deps.store, name));
}

/** `POST /api/queues/:name/concurrency` with `{"concurrency": N}`, as `queue set NAME --concurrency N`. */
export async function queueConcurrency(deps: DashboardDeps, name: string, body: string): Promise<Response> {
  const usage = `Cannot set the concurrency of queue "${name.slice(0, 64)}": send {"concurrency": N}, ` +
    `a whole number from 0 to ${MAX_CONCURRENCY} (0: no limit)`;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new UsageError(usage);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value) || !("concurrency" in value)) {
    throw new UsageError(usage);
  }
  const concurrency = checkConcurrency((value as { concurrency: unknown }).concurrency);
  return json(await setConcurrency(deps.store, name, concurrency));
}

export async function schedules(deps: DashboardDeps): Promise<Response> {
  return json({ schedules: await listSchedules(deps.store, deps.now()) });
}

export async function schedulePause(deps: DashboardDeps, name: string, paused: boolean): Promise<Response> {
  return json(await pauseSchedule(deps.store, name, paused, deps.now()));
}

export async function scheduleRemove(deps: DashboardDeps, name: string): Promise<Response> {
  return json({ removed: (await removeSchedule(deps.store, name)).name });
}

/** How long a throughput answer is kept while the queue changes (it costs up to RECENT_BUDGET reads). */
export const THROUGHPUT_TTL_MS = 5_000;

/**
 * Throughput of the last hour. Kept while the head and the minute stay the same (an idle queue
 * costs nothing), and while the queue moves for THROUGHPUT_TTL_MS, or ten times as long as the
 * last computation took if that is longer: the dashboard spends at most a tenth of its time on it.
 */
export async function throughputOf(deps: DashboardDeps, caches: Caches): Promise<Throughput> {
  const now = deps.now();
  const head = await headOf(deps, caches);
  const age = now.getTime() - caches.throughputAt;
  const sameMinute = Math.floor(now.getTime() / 60_000) === Math.floor(caches.throughputAt / 60_000);
  const fresh = caches.throughput !== null && age >= 0 &&
    (caches.throughputHead === head
      ? sameMinute
      : age < Math.max(THROUGHPUT_TTL_MS, 10 * caches.throughputCost));
  if (!fresh || caches.throughput === null) {
    const started = performance.now();
    caches.throughput = aggregate(await recentlyFinished(deps.store, windowStart(now)), now);
    caches.throughputCost = performance.now() - started;
    caches.throughputAt = now.getTime();
    caches.throughputHead = head;
  }
  return caches.throughput;
}

export async function throughput(deps: DashboardDeps, caches: Caches): Promise<Response> {
  const { minutes, durations: { sum: _, ...durations } } = await throughputOf(deps, caches);
  return json({ minutes, durations });
}

export async function metrics(deps: DashboardDeps, caches: Caches): Promise<Response> {
  const t = await throughputOf(deps, caches);
  const oldest = await oldestPendingAge(deps, caches);
  if (caches.failedAttempts === undefined) caches.failedAttempts = await failedAttempts(deps.store);
  const text = renderMetrics({
    counts: await deps.store.counts(),
    queues: await deps.store.queues(),
    failedAttempts: caches.failedAttempts,
    workers: deps.workers().length,
    oldestPendingAgeSeconds: oldest,
    durations: t.durations,
  });
  return new Response(text, { headers: { "content-type": METRICS_CONTENT_TYPE } });
}
