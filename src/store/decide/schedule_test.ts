import assert from "node:assert/strict";
import { OperationError } from "../../errors.ts";
import {
  archive,
  assertConsistent,
  claim,
  commit,
  decided,
  enqueue,
  finish,
  iso,
  refusesWith,
  T0,
} from "../_testing.ts";
import type { Schedule } from "../records.ts";
import { QueueState } from "../state.ts";
import {
  decideScheduleAdd,
  decideSchedulePause,
  decideScheduleRemove,
  decideTick,
  ScheduleNotFoundError,
  tickJobId,
} from "./schedule.ts";

const HOUR = 3600;

function schedule(fields: Partial<Schedule> = {}): Schedule {
  return {
    name: "hourly",
    cron: "@hourly",
    tz: "UTC",
    paused: false,
    job: { command: "report", max_retries: 1, priority: 2, timeout: 60, cwd: "/srv", queue: "reports" },
    created_at: iso(0),
    last_tick: null,
    ...fields,
  };
}

function withSchedule(fields: Partial<Schedule> = {}): QueueState {
  const s = new QueueState();
  commit(s, decideScheduleAdd(s, schedule(fields)));
  return s;
}

Deno.test("tickJobId() names a tick's job after its schedule and its minute", () => {
  assert.strictEqual(tickJobId("nightly", "2026-12-06T03:00:00.000Z"), "nightly@2026-12-06T03:00Z");
  assert.strictEqual(tickJobId("n", "2026-12-06T03:07:59.999Z"), "n@2026-12-06T03:07Z");
});

Deno.test("decideScheduleAdd() records the schedule whole, and refuses a name taken", () => {
  const s = new QueueState();
  const d = decided(s, () => decideScheduleAdd(s, schedule()));
  assert.deepStrictEqual(d, {
    records: [{ type: "schedule", name: "hourly", schedule: schedule() }],
    result: schedule(),
  });
  commit(s, d);
  assert.deepStrictEqual(s.schedules.get("hourly"), d.result);
  refusesWith(
    () => decided(s, () => decideScheduleAdd(s, schedule({ cron: "* * * * *" }))),
    OperationError,
    /^Cannot add schedule "hourly": a schedule with this name already exists$/,
  );
});

Deno.test("decideScheduleRemove() records the removal and returns the schedule removed", () => {
  const s = withSchedule();
  const d = decided(s, () => decideScheduleRemove(s, "hourly"));
  assert.deepStrictEqual(d, {
    records: [{ type: "schedule", name: "hourly", schedule: null }],
    result: schedule(),
  });
  commit(s, d);
  assert.strictEqual(s.schedules.size, 0);
  refusesWith(
    () => decideScheduleRemove(s, "hourly"),
    ScheduleNotFoundError,
    /^Cannot remove schedule "hourly": no such schedule$/,
  );
});

Deno.test("decideSchedulePause() records a change of the paused flag only, and refuses an unknown schedule", () => {
  const s = withSchedule();
  assert.deepStrictEqual(decideSchedulePause(s, "hourly", false), { records: [], result: schedule() });
  const d = decided(s, () => decideSchedulePause(s, "hourly", true));
  assert.deepStrictEqual(d.records, [{
    type: "schedule",
    name: "hourly",
    schedule: schedule({ paused: true }),
  }]);
  commit(s, d);
  assert.deepStrictEqual(s.schedules.get("hourly"), d.result);
  assert.deepStrictEqual(decideSchedulePause(s, "hourly", true).records, []);
  refusesWith(
    () => decideSchedulePause(s, "x", true),
    ScheduleNotFoundError,
    /^Cannot pause schedule "x": no such/,
  );
  refusesWith(
    () => decideSchedulePause(s, "x", false),
    ScheduleNotFoundError,
    /^Cannot resume schedule "x": no such/,
  );
});

Deno.test("decideTick() enqueues the schedule's job under NAME@tick, due at once, and remembers the tick", () => {
  const s = withSchedule();
  enqueue(s, [{ id: "before", command: "x" }]);
  const tick = iso(HOUR);
  const d = decided(s, () => decideTick(s, "hourly", tick, 3, T0));
  const id = tickJobId("hourly", tick);
  assert.deepStrictEqual(d.records, [
    {
      type: "enqueue",
      jobs: [{
        command: "report",
        max_retries: 1,
        priority: 2,
        timeout: 60,
        cwd: "/srv",
        queue: "reports",
        id,
        run_at: null,
        seq: 2,
      }],
    },
    { type: "tick", name: "hourly", tick },
  ]);
  commit(s, d);
  assert.deepStrictEqual(s.jobs.get(id), d.result.job);
  assert.deepStrictEqual([d.result.job?.state, d.result.job?.queue, d.result.job?.run_at], [
    "pending",
    "reports",
    null,
  ]);
  assert.strictEqual(s.schedules.get("hourly")!.last_tick, tick);
  assertConsistent(s);
});

Deno.test("decideTick() gives the job the default max_retries when the schedule names none", () => {
  const s = withSchedule({ job: { command: "x", priority: 0, timeout: null, cwd: null } as Schedule["job"] });
  assert.strictEqual(decideTick(s, "hourly", iso(HOUR), 7, T0).result.job?.max_retries, 7);
});

Deno.test("decideTick() does nothing for a tick done already, an older one, a paused or an unknown schedule", () => {
  const s = withSchedule();
  commit(s, decideTick(s, "hourly", iso(2 * HOUR), 3, T0));
  const nothing = { records: [], result: { job: null } };
  assert.deepStrictEqual(decided(s, () => decideTick(s, "hourly", iso(2 * HOUR), 3, T0)), nothing);
  assert.deepStrictEqual(decideTick(s, "hourly", iso(HOUR), 3, T0), nothing);
  assert.deepStrictEqual(decideTick(s, "nope", iso(3 * HOUR), 3, T0), nothing);
  commit(s, decideSchedulePause(s, "hourly", true));
  assert.deepStrictEqual(decideTick(s, "hourly", iso(3 * HOUR), 3, T0), nothing);
});

Deno.test("decideTick() whose job exists already, live or archived, only remembers the tick", () => {
  const s = withSchedule();
  const live = iso(HOUR);
  const archived = iso(2 * HOUR);
  enqueue(s, [{ id: tickJobId("hourly", live), command: "x" }, {
    id: tickJobId("hourly", archived),
    command: "y",
  }]);
  const [, second] = claim(s, "w1", 2);
  finish(s, second, { kind: "exited", code: 0 });
  archive(s, [second.id]);
  for (const tick of [live, archived]) {
    const d = decided(s, () => decideTick(s, "hourly", tick, 3, T0));
    assert.deepStrictEqual(d, { records: [{ type: "tick", name: "hourly", tick }], result: { job: null } });
    commit(s, d);
    assert.strictEqual(s.schedules.get("hourly")!.last_tick, tick);
  }
});

Deno.test("decideTick() creates nothing while a live job holds the unique key of the schedule's job", () => {
  const s = withSchedule({
    job: { command: "sync", max_retries: 0, priority: 0, timeout: null, cwd: null, unique: "sync" },
  });
  const first = commit(s, decideTick(s, "hourly", iso(HOUR), 3, T0)).job!;
  assert.strictEqual(first.unique, "sync");
  const [running] = claim(s, "w1", 1);
  const d = decided(s, () => decideTick(s, "hourly", iso(2 * HOUR), 3, T0));
  assert.deepStrictEqual(d, {
    records: [{ type: "tick", name: "hourly", tick: iso(2 * HOUR) }],
    result: { job: null },
  });
  commit(s, d);
  assertConsistent(s);
  finish(s, running, { kind: "exited", code: 0 });
  const third = commit(s, decideTick(s, "hourly", iso(3 * HOUR), 3, T0)).job;
  assert.strictEqual(third?.id, tickJobId("hourly", iso(3 * HOUR)), "the key is free once its job ended");
  assert.deepStrictEqual(s.uniques, new Map([["sync", third?.id]]));
});
