/**
 * `/metrics` in the Prometheus text format 0.0.4. Every value is derived from the store when
 * scraped (the dashboard keeps no counters of its own, so any number of dashboards agree):
 * - `queuectl_jobs{state}`: jobs in each state now (archived completed jobs included);
 * - `queuectl_jobs_completed_total`, `queuectl_jobs_dead_total`: completed and dead jobs held by the
 *   store; they fall when jobs are deleted or retried out of the DLQ (Prometheus sees a reset);
 * - `queuectl_jobs_failed_total`: failed attempts visible in the store, i.e. every attempt of the
 *   jobs now failed or dead (attempts that failed before a job completed are not recorded);
 * - `queuectl_job_duration_seconds`: the latest attempt of every job finished in the last hour
 *   (see throughput.ts), so it describes the recent hour, not all time;
 * - `queuectl_workers`: live worker processes; `queuectl_oldest_pending_age_seconds`: how long
 *   the longest-waiting due pending job has waited (0 when none is waiting);
 * - per queue (every queue `queue list` lists): `queuectl_queue_jobs{queue,state}`
 *   (its jobs in each state; summed over `queue` they are `queuectl_jobs{state}`, which keeps its
 *   one label so existing queries and alerts go on working), `queuectl_queue_paused{queue}` (1 while
 *   paused) and `queuectl_queue_concurrency_limit{queue}` (0: no limit).
 */
import { JOB_STATES } from "../job.ts";
import type { Counts, QueueInfo } from "../store/mod.ts";
import type { Durations } from "./throughput.ts";

export interface MetricsInput {
  counts: Counts;
  queues: QueueInfo[];
  failedAttempts: number;
  workers: number;
  oldestPendingAgeSeconds: number | null;
  durations: Durations;
}

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

function family(name: string, type: string, help: string, samples: string[]): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${samples.map((line) => line + "\n").join("")}`;
}

/** A label value, escaped as the text format wants it (backslash, double quote, line feed). */
export function labelValue(text: string): string {
  return text.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** A sample value as Prometheus writes it. */
export function value(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

export function renderMetrics(m: MetricsInput): string {
  const total = (name: string, help: string, n: number) =>
    family(name, "counter", help, [`${name} ${value(n)}`]);
  const gauge = (name: string, help: string, n: number) =>
    family(name, "gauge", help, [`${name} ${value(n)}`]);
  const h = "queuectl_job_duration_seconds";
  return [
    family(
      "queuectl_jobs",
      "gauge",
      "Jobs in each state.",
      JOB_STATES.map((s) => `queuectl_jobs{state="${s}"} ${m.counts[s]}`),
    ),
    family(
      "queuectl_queue_jobs",
      "gauge",
      "Jobs of each queue in each state.",
      m.queues.flatMap((q) =>
        JOB_STATES.map((s) =>
          `queuectl_queue_jobs{queue="${labelValue(q.name)}",state="${s}"} ${q.counts[s]}`
        )
      ),
    ),
    family(
      "queuectl_queue_paused",
      "gauge",
      "1 while a queue is paused (its pending jobs are not claimed), else 0.",
      m.queues.map((q) => `queuectl_queue_paused{queue="${labelValue(q.name)}"} ${q.paused ? 1 : 0}`),
    ),
    family(
      "queuectl_queue_concurrency_limit",
      "gauge",
      "At most this many jobs of a queue processing at once across every worker (0: no limit).",
      m.queues.map((q) => `queuectl_queue_concurrency_limit{queue="${labelValue(q.name)}"} ${q.concurrency}`),
    ),
    total(
      "queuectl_jobs_completed_total",
      "Completed jobs held by the store (archived ones included).",
      m.counts.completed,
    ),
    total("queuectl_jobs_failed_total", "Failed attempts of the jobs now failed or dead.", m.failedAttempts),
    total("queuectl_jobs_dead_total", "Jobs in the dead letter queue.", m.counts.dead),
    family(h, "histogram", "Duration of the latest attempt of jobs finished in the last hour.", [
      ...m.durations.buckets.map((b) =>
        `${h}_bucket{le="${typeof b.le === "number" ? value(b.le) : b.le}"} ${b.count}`
      ),
      `${h}_sum ${value(m.durations.sum)}`,
      `${h}_count ${m.durations.count}`,
    ]),
    gauge("queuectl_workers", "Live worker processes.", m.workers),
    gauge(
      "queuectl_oldest_pending_age_seconds",
      "Seconds the longest-waiting due pending job has waited (0 when none).",
      m.oldestPendingAgeSeconds ?? 0,
    ),
  ].join("");
}
