/**
 * Cron schedules as the CLI (`schedule list|pause|resume|remove`) and the dashboard show and
 * change them: each with its next run, and a resume that skips the ticks missed while paused.
 * Loads the cron parser (src/cron.ts); the rules are the store's (store/decide/schedule.ts).
 */
import { dueTick, nextRun } from "../cron.ts";
import { UsageError } from "../errors.ts";
import { scheduleNameProblem } from "../store/decide/schedule.ts";
import type { Schedule, Store } from "../store/mod.ts";

/** A schedule as `schedule list --json` and the API show it: with its next run, in UTC. */
export type ShownSchedule = Schedule & { next_run: string | null };

/** `schedule` with its next run after `now` (null while paused, or in a zone this runtime lacks). */
export function shownSchedule(schedule: Schedule, now: Date): ShownSchedule {
  const since = schedule.last_tick && Date.parse(schedule.last_tick) > now.getTime()
    ? new Date(schedule.last_tick)
    : now;
  let next: Date | null = null;
  try {
    next = schedule.paused ? null : nextRun(schedule, since);
  } catch { /* a zone this runtime no longer knows: no next run to show */ }
  return { ...schedule, next_run: next ? next.toISOString() : null };
}

/** A schedule's name, checked (UsageError naming it and why). */
export function checkScheduleName(name: string): string {
  const problem = scheduleNameProblem(name);
  if (problem) throw new UsageError(`Invalid schedule name ${JSON.stringify(name.slice(0, 80))}: ${problem}`);
  return name;
}

export async function listSchedules(store: Store, now: Date): Promise<ShownSchedule[]> {
  return (await store.schedules()).map((s) => shownSchedule(s, now));
}

/**
 * Pauses or resumes schedule `name`. A resume counts the ticks missed while it was paused as done
 * (the latest time at or before `now`): a paused schedule skips its ticks, it does not save them up.
 */
export async function pauseSchedule(
  store: Store,
  name: string,
  paused: boolean,
  now: Date,
): Promise<ShownSchedule> {
  checkScheduleName(name);
  let skip: string | null = null;
  if (!paused) {
    const current = (await store.schedules()).find((s) => s.name === name);
    if (current?.paused) skip = dueTick(current, new Date(0), now)?.toISOString() ?? null;
  }
  return shownSchedule(await store.pauseSchedule(name, paused, skip), now);
}

/** Removes schedule `name`; the jobs it enqueued stay. Returns it as it was. */
export function removeSchedule(store: Store, name: string): Promise<Schedule> {
  checkScheduleName(name);
  return store.removeSchedule(name);
}
