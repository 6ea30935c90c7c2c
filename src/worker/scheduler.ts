/**
 * The scheduler: a worker's service that fires cron schedules. On every pass of the worker's loop
 * it looks, for each schedule that is not paused, for the latest time it fires at or before now
 * that is later than its last tick (or than its creation, when it never ticked), and asks the
 * store to tick it (`store.tick`). Ticks missed while no worker ran are not replayed one by one:
 * the latest one runs, once.
 *
 * Exactly once, however many workers run: the tick's job id is `NAME@<minute>Z` and the schedule
 * remembers its last tick, both in the one transaction of the tick, so a second worker (or the
 * same one again) finds the tick done, and a worker killed mid-tick has either written all of it
 * or nothing of it (decide/schedule.ts).
 *
 * The schedules are read again when the store changed (at most every READ_GAP_MS) or when a
 * known tick comes due; `wakeIn` tells the loop how long it may sleep.
 */
import type { Clock } from "../clock.ts";
import { dueTick, nextRun } from "../cron.ts";
import type { Schedule, Store } from "../store/mod.ts";

/** Least time between two reads of the schedules prompted by store changes. */
export const READ_GAP_MS = 1000;

export interface SchedulerDeps {
  store: Store;
  clock: Clock;
  /** retries of a tick's job whose schedule gives none (config max-retries) */
  maxRetries: () => number;
  say: (message: string) => void;
}

export class Scheduler {
  readonly #deps: SchedulerDeps;
  #schedules: Schedule[] | null = null;
  #stale = true;
  #lastRead = -Infinity;
  /** wall-clock ms of the earliest next tick among the schedules read, or null */
  #nextAt: number | null = null;

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
  }

  /** The store changed: a schedule may have been added, paused, resumed or removed. */
  changed(): void {
    this.#stale = true;
  }

  /** One pass: ticks every due schedule. Returns the jobs enqueued (ticks another worker did not take first). */
  async pass(): Promise<string[]> {
    const { store, clock } = this.#deps;
    const now = clock.now();
    const due = this.#nextAt !== null && now.getTime() >= this.#nextAt;
    const read = this.#schedules === null ||
      (this.#stale && clock.monotonic() - this.#lastRead >= READ_GAP_MS);
    // nothing new to read and nothing due: nothing to compute
    if (!read && !due) return [];
    if (read) {
      this.#stale = false;
      this.#lastRead = clock.monotonic();
      this.#schedules = await store.schedules();
    }
    const enqueued: string[] = [];
    let nextAt: number | null = null;
    for (const [i, schedule] of this.#schedules!.entries()) {
      if (schedule.paused) continue;
      let since = new Date(schedule.last_tick ?? schedule.created_at);
      let tick: Date | null;
      try {
        tick = dueTick(schedule, since, now);
      } catch (e) {
        this.#deps.say(`schedule ${schedule.name}: cannot compute its ticks: ${(e as Error).message}`);
        continue;
      }
      if (tick) {
        const iso = tick.toISOString();
        const { job } = await store.tick(schedule.name, iso, this.#deps.maxRetries());
        if (job) {
          enqueued.push(job.id);
          this.#deps.say(`schedule ${schedule.name} enqueued ${job.id}`);
        }
        // done, by us or by another worker: the next pass looks past it without asking the store
        this.#schedules![i] = { ...schedule, last_tick: iso };
        since = tick;
      }
      const next = nextRun(schedule, new Date(Math.max(since.getTime(), now.getTime())));
      if (next && (nextAt === null || next.getTime() < nextAt)) nextAt = next.getTime();
    }
    this.#nextAt = nextAt;
    return enqueued;
  }

  /** How long the loop may sleep before this scheduler needs a pass (Infinity: until woken). */
  wakeIn(): number {
    const { clock } = this.#deps;
    let ms = Infinity;
    if (this.#nextAt !== null) ms = Math.max(0, this.#nextAt - clock.now().getTime());
    if (this.#stale) ms = Math.min(ms, Math.max(0, READ_GAP_MS - (clock.monotonic() - this.#lastRead)));
    return ms;
  }
}
