/**
 * Times typed by a user (`enqueue --run-at`, a job's "run_at"), in one rule: an ISO-8601 date or
 * date-time with `Z` or an offset is that instant; one without is a wall-clock time in the local
 * time zone (TZ), as date(1) and cron read it, and a date alone is the start of that day there.
 * (Date.parse reads a date alone as UTC but a date-time as local time: the reason for this file.)
 * Pure: the zone is a parameter, the process's own by default.
 */

/** A time zone: its offset from UTC, in minutes east, at the instant `ms` (ms since the epoch). */
export type OffsetAt = (ms: number) => number;

/** The zone of this process: TZ, as the runtime read it at start. */
export const localOffset: OffsetAt = (ms) => -new Date(ms).getTimezoneOffset();

const TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))?)?$/i;

const MINUTE = 60_000;
const DAY = 86_400_000;

/** What a time typed by a user stands for: an instant, or why it stands for none. */
export type TimeInput =
  | { ms: number }
  | { problem: "not ISO-8601" }
  /** a wall-clock time the zone's clocks skip (the hour lost to daylight saving time) */
  | { problem: "skipped" };

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** `text` as an instant; a time without an offset is read in the zone `offsetAt` (default: local). */
export function parseTimeInput(text: string, offsetAt: OffsetAt = localOffset): TimeInput {
  const m = TIME.exec(text);
  if (!m) return { problem: "not ISO-8601" };
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  const offsetHours = Number(m[10] ?? 0);
  const offsetMinutes = Number(m[11] ?? 0);
  if (
    month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 ||
    second > 59 || offsetHours > 23 || offsetMinutes > 59
  ) {
    return { problem: "not ISO-8601" };
  }
  // the fields as if in UTC (setUTCFullYear: Date.UTC would read years 0-99 as 1900-1999)
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Number((m[7] ?? "").padEnd(3, "0").slice(0, 3)));
  const wall = date.getTime();
  if (m[8]) return { ms: wall };
  if (m[9]) return { ms: wall - (m[9] === "-" ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * MINUTE };
  // the instants whose local time is `wall`: one, none (skipped) or two (repeated when the clocks
  // go back: the first is taken, as date(1) does); a zone's offset changes at most once a day
  const offsets = new Set([offsetAt(wall - DAY), offsetAt(wall), offsetAt(wall + DAY)]);
  const instants = [...offsets].map((o) => wall - o * MINUTE).filter((t) =>
    offsetAt(t) * MINUTE === wall - t
  );
  if (instants.length > 0) return { ms: Math.min(...instants) };
  // a day whose midnight is skipped starts when the clocks go forward: read with the offset before
  if (m[4] === undefined) return { ms: wall - Math.min(...offsets) * MINUTE };
  return { problem: "skipped" };
}
