/**
 * Throughput over the last hour, from the jobs themselves (pure: the jobs and the time come in).
 *
 * What is counted: a job's record keeps its latest attempt only. So `completed` counts jobs that
 * completed in a minute; `failed` counts the latest failed attempt of the jobs that are now
 * failed (waiting for a retry) or dead, in the minute it failed. An earlier failed attempt of a
 * job that later completed, or failed again, is not visible and not counted. Durations are those
 * latest attempts (finished_at - started_at) of every job finished within the hour.
 */
import type { JobState } from "../job.ts";

/** What aggregation needs of a job. */
export interface Finished {
  state: JobState;
  started_at: string | null;
  finished_at: string | null;
}

/** Upper bounds (seconds) of the duration histogram's buckets, besides +Inf. */
export const DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] as const;

export const WINDOW_MINUTES = 60;

export interface Minute {
  /** the minute's start, ISO-8601 UTC */
  t: string;
  completed: number;
  failed: number;
}

export interface Durations {
  count: number;
  /** total seconds, for the Prometheus `_sum` */
  sum: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  /** cumulative, as Prometheus buckets are */
  buckets: Array<{ le: number | "+Inf"; count: number }>;
}

export interface Throughput {
  minutes: Minute[];
  durations: Durations;
}

/** Start of the window: the first of the 60 minutes that end with the current one. */
export function windowStart(now: Date): Date {
  const minute = Math.floor(now.getTime() / 60_000) * 60_000;
  return new Date(minute - (WINDOW_MINUTES - 1) * 60_000);
}

export function aggregate(jobs: Iterable<Finished>, now: Date): Throughput {
  const start = windowStart(now).getTime();
  const end = now.getTime();
  const minutes: Minute[] = [];
  for (let i = 0; i < WINDOW_MINUTES; i++) {
    minutes.push({ t: new Date(start + i * 60_000).toISOString(), completed: 0, failed: 0 });
  }
  const seconds: number[] = [];
  for (const job of jobs) {
    if (job.finished_at === null) continue;
    const at = Date.parse(job.finished_at);
    if (!(at >= start && at <= end)) continue;
    const failed = job.state === "failed" || job.state === "dead";
    if (job.state !== "completed" && !failed) continue;
    const m = minutes[Math.floor((at - start) / 60_000)];
    if (failed) m.failed++;
    else m.completed++;
    if (job.started_at !== null) {
      const s = (at - Date.parse(job.started_at)) / 1000;
      if (s >= 0) seconds.push(s);
    }
  }
  return { minutes, durations: durationsOf(seconds) };
}

export function durationsOf(seconds: number[]): Durations {
  const sorted = [...seconds].sort((a, b) => a - b);
  // nearest rank: the smallest value with at least p% of the values at or below it
  const rank = (p: number) =>
    sorted.length ? sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] : null;
  const buckets: Durations["buckets"] = DURATION_BUCKETS.map((le) => ({
    le,
    count: sorted.filter((s) => s <= le).length,
  }));
  buckets.push({ le: "+Inf", count: sorted.length });
  return {
    count: sorted.length,
    sum: sorted.reduce((a, b) => a + b, 0),
    p50: rank(50),
    p90: rank(90),
    p99: rank(99),
    buckets,
  };
}
