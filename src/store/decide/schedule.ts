/**
 * Decisions about cron schedules: add, remove, pause and resume, and a tick — the one enqueue a
 * schedule makes for one of its times. A tick's job id is `NAME@TIME` and the schedule remembers
 * its last tick, so however many workers see a tick, and whichever of them dies midway, it
 * enqueues exactly once. Pure; when a tick is due is computed by the caller (cron.ts).
 */
import { OperationError } from "../../errors.ts";
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

export function decideSchedulePause(state: QueueState, name: string, paused: boolean): Decision<Schedule> {
  const schedule = state.schedules.get(name);
  if (!schedule) throw new ScheduleNotFoundError(paused ? "pause" : "resume", name);
  if (schedule.paused === paused) return { records: [], result: schedule };
  const next = { ...schedule, paused };
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
