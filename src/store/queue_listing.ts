/**
 * Which queues a store lists (`Store.queues()`: `queue list`, the dashboard): one pure rule that
 * every store follows. A queue is listed while it holds a job, in any state (archived ones
 * counted), or has a setting other than the default (a concurrency limit, paused). So a queue
 * named by mistake (`queue pause nosuchq`) goes away once its settings are the defaults again
 * (`queue resume`, `queue set --concurrency 0`), and a queue whose jobs are all gone goes too.
 */
import type { QueueSettings } from "./records.ts";
import type { Counts } from "./state.ts";

/** The settings of a queue nothing was set for: no concurrency limit, running. */
export const DEFAULT_QUEUE_SETTINGS: Readonly<QueueSettings> = Object.freeze({
  concurrency: 0,
  paused: false,
});

/** True when `settings` are the defaults (a store need not keep them). */
export function isDefaultSettings(settings: QueueSettings): boolean {
  return settings.concurrency === DEFAULT_QUEUE_SETTINGS.concurrency &&
    settings.paused === DEFAULT_QUEUE_SETTINGS.paused;
}

/** The number of jobs `counts` holds, in every state. */
export function jobCount(counts: Counts): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Whether a queue with these settings and job counts is listed (the rule above). */
export function queueListed(settings: QueueSettings, counts: Counts): boolean {
  return jobCount(counts) > 0 || !isDefaultSettings(settings);
}
