/**
 * Durations typed by a user ("30s", "5m", "1.5h", "250ms", "2d", or a plain number of seconds):
 * the one grammar of every duration flag (enqueue --timeout, --delay, prune, wait) and of every
 * duration-valued setting (`config set job-timeout 5m`). Pure, and imports nothing: config.ts
 * loads it at every start.
 */

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;

/** Examples of the grammar, for messages: "30s, 5m, 2h or 1d". */
export const DURATION_EXAMPLES = "30s, 5m, 2h or 1d";

/** The seconds `text` stands for (surrounding spaces ignored), or null when it is not a duration. */
export function durationSeconds(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  const seconds = Number(m[1]) * UNITS[m[2] ?? "s"];
  return Number.isFinite(seconds) ? seconds : null;
}
