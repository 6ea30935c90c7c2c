/** Retry scheduling: a pure function of the attempt count, the config and the clock. */

export interface BackoffConfig {
  backoff_base: number;
  backoff_max: number;
}

/** Seconds to wait after failed attempt `attempts` (1-based): min(base^attempts, max). */
export function backoffSeconds(
  attempts: number,
  config: BackoffConfig,
): number {
  const raw = Math.pow(config.backoff_base, attempts);
  return Number.isFinite(raw) ? Math.min(raw, config.backoff_max) : config.backoff_max;
}

/** When a job that just failed its `attempts`-th attempt may run again. */
export function nextRunAt(
  attempts: number,
  config: BackoffConfig,
  now: Date,
): Date {
  return new Date(now.getTime() + backoffSeconds(attempts, config) * 1000);
}
