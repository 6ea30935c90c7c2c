/**
 * Cron expressions of schedules: validation (every refusal names the field and why) and the times
 * a schedule fires, read in its IANA time zone. The parsing and the calendar arithmetic, daylight
 * saving changes included, are croner's; this module only fixes the dialect (five fields, or a
 * nickname) and answers the two questions the scheduler and `schedule list` ask: which tick is due
 * now, and when is the next one.
 *
 * Daylight saving (croner's rules, kept here on purpose): a job at a fixed time (one value in the
 * minute and hour fields) whose time is skipped by a spring-forward change runs at the first time
 * after the gap, and once only when a fall-back change repeats it; a job with a wildcard, step,
 * range or list in those fields skips the missing times and runs in both passes of a repeated
 * hour. Ticks are instants, named in UTC (`NAME@2026-10-25T00:30Z`), so both passes have ids of
 * their own.
 *
 * Loaded only by the schedule commands and the worker: never on `enqueue`'s start-up path.
 */
import { Cron } from "croner";
import { UsageError } from "./errors.ts";

/** What of a schedule this module reads. */
export interface CronSpec {
  cron: string;
  tz: string;
}

export const DEFAULT_TZ = "UTC";

/** Nicknames croner reads, each standing for a five-field expression. */
export const NICKNAMES = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

const FIELDS = [
  { name: "minute", allowed: "0-59" },
  { name: "hour", allowed: "0-23" },
  { name: "day-of-month", allowed: "1-31, L or W forms" },
  { name: "month", allowed: "1-12 or JAN-DEC" },
  { name: "day-of-week", allowed: "0-7 (0 and 7 are Sunday) or SUN-SAT" },
] as const;

const MINUTE_MS = 60_000;

function build(spec: CronSpec): Cron {
  // mode 5-part: no seconds field, no year field; OR of day-of-month and day-of-week, as Vixie cron
  return new Cron(spec.cron, { mode: "5-part", timezone: spec.tz, paused: true });
}

function reason(e: unknown): string {
  return (e as Error).message.replace(/^CronPattern: /, "").replace(/\.$/, "");
}

/** Why `tz` is not an IANA time zone this runtime knows, or null. */
export function timeZoneProblem(tz: string): string | null {
  if (tz.trim() === "") return "it is empty";
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return null;
  } catch {
    return "it is not an IANA time zone name (e.g. UTC, Europe/Berlin, America/New_York)";
  }
}

/**
 * Checks a schedule's expression and zone: five fields or a nickname, every field in range, a
 * known zone, and at least one time to fire at. Throws UsageError naming what is wrong.
 */
export function checkCron(spec: CronSpec): void {
  const tzProblem = timeZoneProblem(spec.tz);
  if (tzProblem) throw new UsageError(`Invalid --tz "${spec.tz.slice(0, 60)}": ${tzProblem}`);
  const text = spec.cron.trim();
  const shown = JSON.stringify(spec.cron.slice(0, 80));
  const fail = (why: string): never => {
    throw new UsageError(`Invalid cron ${shown}: ${why}`);
  };
  if (text === "") {
    fail("it is empty; give five fields (minute hour day-of-month month day-of-week) or a nickname");
  }
  if (text.startsWith("@")) {
    if (!NICKNAMES.includes(text.toLowerCase())) {
      fail(`unknown nickname (known: ${NICKNAMES.join(", ")})`);
    }
  } else {
    const parts = text.split(/\s+/);
    if (parts.length !== 5) {
      fail(
        `it has ${parts.length} field(s), not 5 (minute hour day-of-month month day-of-week; no seconds or year)`,
      );
    }
    // find the field at fault: each one alone, the others left open
    parts.forEach((part, i) => {
      const alone = FIELDS.map((_, j) => (j === i ? part : "*")).join(" ");
      try {
        build({ cron: alone, tz: DEFAULT_TZ });
      } catch (e) {
        const why = reason(e);
        const detail = /^Invalid value for/.test(why) ? "" : ` (${why})`;
        fail(
          `its ${FIELDS[i].name} field "${part.slice(0, 40)}" is not valid: use ${
            FIELDS[i].allowed
          }${detail}`,
        );
      }
    });
  }
  let cron: Cron;
  try {
    cron = build(spec);
  } catch (e) {
    return fail(reason(e));
  }
  // a day that never comes (30 February): nothing would ever be enqueued
  if (!cron.nextRun(new Date(0))) fail("it never fires (no date matches it)");
}

/** The first time `spec` fires strictly after `after`, or null when it never does. */
export function nextRun(spec: CronSpec, after: Date): Date | null {
  return build(spec).nextRun(after) ?? null;
}

/**
 * The tick due at `now`: the latest time `spec` fires at or before `now` that is later than
 * `since` (the schedule's last tick, or its creation when it never ticked), or null when there is
 * none. Ticks missed meanwhile (no worker ran) are not returned one by one: only the latest is,
 * so a schedule catches up with one run.
 */
export function dueTick(spec: CronSpec, since: Date, now: Date): Date | null {
  // croner's previous runs are strictly before the reference; ticks fall on whole minutes
  const [latest] = build(spec).previousRuns(
    1,
    new Date(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS + 1),
  );
  if (!latest || latest.getTime() <= since.getTime()) return null;
  return latest;
}
