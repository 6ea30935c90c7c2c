/**
 * Decisions about cron schedules: add, remove, pause and resume, and a tick — the one enqueue a
 * schedule makes for one of its times. A tick's job id is `NAME@TIME` and the schedule remembers
 * its last tick, so however many workers see a tick, and whichever of them dies midway, it
 * enqueues exactly once. Pure; when a tick is due is computed by the caller (cron.ts).
 */
import { OperationError } from "../../errors.ts";
import { idProblem } from "../../ids.ts";
import type { Job, NewJob } from "../../job.ts";
import { newJob } from "../../job.ts";
import type { Decision } from "../log.ts";
import type { Schedule } from "../records.ts";
import type { QueueState } from "../state.ts";

export class ScheduleNotFoundError extends OperationError {
  constructor(readonly action: string, readonly scheduleName: string) {
    super(`Cannot ${action} schedule "${scheduleName}": no such schedule`);
  }
}

/** The id of the job schedule `name` enqueues for `tick` (an ISO time). */
export function tickJobId(name: string, tick: string): string {
  // minutes are a cron's finest unit: "2026-12-06T03:00:00.000Z" -> "nightly@2026-12-06T03:00Z"
  return `${name}@${tick.slice(0, 16)}Z`;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Why `name` cannot name a schedule, or null. A name becomes the start of its ticks' job ids
 * (`NAME@2026-12-06T03:00Z`), so it keeps to the ids' safe alphabet, without the `@` that ends it.
 */
export function scheduleNameProblem(name: string): string | null {
  if (!NAME.test(name) || name.includes("..")) {
    return "use 1 to 64 letters, digits and . _ - (starting with a letter or digit, no '..')";
  }
  // every name the pattern takes makes a valid job id; say so where it is relied upon
  const id = tickJobId(name, "2026-12-06T03:00:00.000Z");
  return idProblem(id) === null ? null : `its tick ids ("${id}") would not be valid job ids`;
}

export function decideScheduleAdd(state: QueueState, schedule: Schedule): Decision<Schedule> {
  if (state.schedules.has(schedule.name)) {
    throw new OperationError(
      `Cannot add schedule "${schedule.name}": a schedule with this name already exists`,
    );
  }
  return { records: [{ type: "schedule", name: schedule.name, schedule }], result: schedule };
}

export function decideScheduleRemove(state: QueueState, name: string): Decision<Schedule> {
  const schedule = state.schedules.get(name);
  if (!schedule) throw new ScheduleNotFoundError("remove", name);
  return { records: [{ type: "schedule", name, schedule: null }], result: schedule };
}

/**
 * Pauses or resumes schedule `name`. A resume given `skipThrough` (the latest of its times at or
 * before now, computed by the caller) marks the ticks missed while it was paused as done: a paused
 * schedule skips its ticks, it does not save them up.
 */
export function decideSchedulePause(
  state: QueueState,
  name: string,
  paused: boolean,
  skipThrough: string | null = null,
): Decision<Schedule> {
  const schedule = state.schedules.get(name);
  if (!schedule) throw new ScheduleNotFoundError(paused ? "pause" : "resume", name);
  if (schedule.paused === paused) return { records: [], result: schedule };
  const next = { ...schedule, paused };
  if (!paused && skipThrough !== null && (schedule.last_tick === null || schedule.last_tick < skipThrough)) {
    next.last_tick = skipThrough;
  }
  return { records: [{ type: "schedule", name, schedule: next }], result: next };
}

export interface TickResult {
  /**
   * the job this tick enqueued, or null when another worker got there first or a live job holds
   * the unique key of the schedule's job
   */
  job: Job | null;
}

/**
 * Schedule `name` fires for `tick` (the latest of its times at or before now that the caller
 * found after `last_tick`): enqueues its job unless the tick is done or the schedule is paused
 * or gone. `seq`/`max_retries` defaults come from the state and `maxRetries`.
 */
export function decideTick(
  state: QueueState,
  name: string,
  tick: string,
  maxRetries: number,
  now: Date,
): Decision<TickResult> {
  const schedule = state.schedules.get(name);
  if (!schedule || schedule.paused || (schedule.last_tick !== null && schedule.last_tick >= tick)) {
    return { records: [], result: { job: null } };
  }
  const id = tickJobId(name, tick);
  // as an enqueue: a live job holding the job's unique key absorbs the tick
  const key = schedule.job.unique;
  if (state.find(id) || (key !== undefined && state.uniques.has(key))) {
    return { records: [{ type: "tick", name, tick }], result: { job: null } };
  }
  const fields: NewJob = {
    ...schedule.job,
    id,
    max_retries: schedule.job.max_retries ?? maxRetries,
    run_at: null,
    seq: state.nextOrder,
  };
  return {
    records: [{ type: "enqueue", jobs: [fields] }, { type: "tick", name, tick }],
    result: { job: newJob(fields, now.toISOString()) },
  };
}
