/**
 * The scheduler's ticks on a clock the test moves (ManualClock) over a real FileStore: which tick
 * each pass enqueues, daylight saving changes in a zone, one catch-up run for missed ticks, paused
 * schedules, and several schedulers (workers) sharing a home.
 */
import assert from "node:assert/strict";
import { ManualClock, withHome } from "../../testkit/mod.ts";
import { FileStore } from "../store/file_store.ts";
import type { Schedule } from "../store/mod.ts";
import { READ_GAP_MS, Scheduler } from "./scheduler.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;

function schedule(
  name: string,
  cron: string,
  tz: string,
  created_at: string,
  extra: Partial<Schedule> = {},
): Schedule {
  return {
    name,
    cron,
    tz,
    paused: false,
    job: { command: `echo ${name}`, priority: 0, timeout: null, cwd: null },
    created_at,
    last_tick: null,
    ...extra,
  };
}

interface Rig {
  store: FileStore;
  clock: ManualClock;
  scheduler: Scheduler;
  said: string[];
  /** one pass; the scheduler reads the schedules again first, as after a store change */
  pass(): Promise<string[]>;
  ids(): Promise<string[]>;
}

async function rig(home: string, start: string, schedules: Schedule[]): Promise<Rig> {
  const clock = new ManualClock(Date.parse(start));
  const store = new FileStore(home, { clock });
  for (const s of schedules) await store.addSchedule(s);
  const said: string[] = [];
  const scheduler = new Scheduler({ store, clock, maxRetries: () => 2, say: (m) => said.push(m) });
  return {
    store,
    clock,
    scheduler,
    said,
    pass: () => scheduler.pass(),
    ids: async () => (await store.list()).map((j) => j.id).sort(),
  };
}

/** Moves the clock to `iso` (forward only), in steps of at most an hour, passing at each step. */
async function walk(r: Rig, iso: string, stepMs = HOUR): Promise<void> {
  const target = Date.parse(iso);
  while (r.clock.current < target) {
    r.clock.advance(Math.min(stepMs, target - r.clock.current));
    await r.pass();
  }
}

Deno.test("a schedule ticks at its times, each tick enqueuing NAME@<minute>Z once, with the schedule's job", () =>
  withHome(async (home) => {
    const r = await rig(home, "2030-01-01T00:00:30Z", [
      schedule("five", "*/5 * * * *", "UTC", "2030-01-01T00:00:30Z", {
        job: { command: "report", priority: 3, timeout: 60, cwd: "/tmp", queue: "reports", env: { A: "1" } },
      }),
    ]);
    try {
      assert.deepEqual(await r.pass(), [], "nothing is due before the first time after its creation");
      assert.equal(r.scheduler.wakeIn(), 4 * MIN + 30_000, "the loop may sleep until the next tick");
      r.clock.advance(4 * MIN + 30_000);
      assert.deepEqual(await r.pass(), ["five@2030-01-01T00:05Z"]);
      assert.deepEqual(await r.pass(), [], "the same tick again: nothing");
      const job = (await r.store.get("five@2030-01-01T00:05Z"))!;
      assert.equal(job.command, "report");
      assert.equal(job.queue, "reports");
      assert.equal(job.priority, 3);
      assert.equal(job.timeout, 60);
      assert.deepEqual(job.env, { A: "1" });
      assert.equal(job.max_retries, 2, "no max_retries in the schedule: the worker's config default");
      assert.equal(job.run_at, null);
      await walk(r, "2030-01-01T00:20:00Z", MIN);
      assert.deepEqual(await r.ids(), [
        "five@2030-01-01T00:05Z",
        "five@2030-01-01T00:10Z",
        "five@2030-01-01T00:15Z",
        "five@2030-01-01T00:20Z",
      ]);
      assert.equal((await r.store.schedules())[0].last_tick, "2030-01-01T00:20:00.000Z");
    } finally {
      r.store.close();
    }
  }));

Deno.test("ticks missed while no worker ran make one catch-up run: the latest one, not one per tick", () =>
  withHome(async (home) => {
    // a per-minute schedule whose last tick was three hours ago, and a never-ticked one created a day ago
    const r = await rig(home, "2030-01-02T00:00:40Z", [
      schedule("minutely", "* * * * *", "UTC", "2030-01-01T00:00:00Z", {
        last_tick: "2030-01-01T21:00:00.000Z",
      }),
      schedule("hourly", "@hourly", "UTC", "2030-01-01T00:00:00Z"),
    ]);
    try {
      assert.deepEqual((await r.pass()).sort(), ["hourly@2030-01-02T00:00Z", "minutely@2030-01-02T00:00Z"]);
      assert.deepEqual(await r.pass(), []);
      r.clock.advance(MIN);
      assert.deepEqual(await r.pass(), ["minutely@2030-01-02T00:01Z"], "then on time again");
      assert.equal((await r.store.counts()).pending, 3);
    } finally {
      r.store.close();
    }
  }));

Deno.test("in Europe/Berlin a fixed-time schedule runs once on both daylight saving days; an interval schedule skips the missing hour and runs in both passes of the repeated one", () =>
  withHome(async (home) => {
    const r = await rig(home, "2030-03-30T00:00:00Z", [
      schedule("fixed", "30 2 * * *", "Europe/Berlin", "2030-03-30T00:00:00Z"),
      schedule("half", "*/30 * * * *", "Europe/Berlin", "2030-03-30T00:00:00Z"),
    ]);
    try {
      // spring forward: 2030-03-31 02:00 CET becomes 03:00 CEST (01:00Z)
      await walk(r, "2030-04-01T00:00:00Z", 15 * MIN);
      const spring = (await r.ids()).filter((id) => id.startsWith("fixed@"));
      assert.deepEqual(spring, [
        "fixed@2030-03-30T01:30Z", // 02:30 CET
        "fixed@2030-03-31T01:00Z", // 02:30 does not exist: the first time after the gap, 03:00 CEST
      ]);
      const halves = (await r.ids()).filter((id) => id.startsWith("half@2030-03-31T0"));
      // 00:30Z is 01:30 CET; 01:00Z is already 03:00 CEST: local 02:00 and 02:30 never happen
      assert.deepEqual(halves.slice(0, 4), [
        "half@2030-03-31T00:00Z",
        "half@2030-03-31T00:30Z",
        "half@2030-03-31T01:00Z",
        "half@2030-03-31T01:30Z",
      ]);
      // fall back: 2030-10-27 03:00 CEST becomes 02:00 CET (01:00Z): 02:00-03:00 local happens twice
      r.clock.current = Date.parse("2030-10-26T00:00:00Z");
      await r.pass();
      await walk(r, "2030-10-28T00:00:00Z", 15 * MIN);
      const fall = (await r.ids()).filter((id) => id.startsWith("fixed@2030-10"));
      assert.deepEqual(fall, [
        "fixed@2030-10-25T00:30Z", // the jump over April to October: one catch-up run
        "fixed@2030-10-26T00:30Z", // 02:30 CEST
        "fixed@2030-10-27T00:30Z", // the first 02:30 only
      ]);
      const repeated = (await r.ids()).filter((id) =>
        id >= "half@2030-10-27T00:00Z" && id <= "half@2030-10-27T01:30Z"
      );
      assert.deepEqual(repeated, [
        "half@2030-10-27T00:00Z", // 02:00 CEST
        "half@2030-10-27T00:30Z", // 02:30 CEST
        "half@2030-10-27T01:00Z", // 02:00 CET, again
        "half@2030-10-27T01:30Z", // 02:30 CET, again
      ]);
    } finally {
      r.store.close();
    }
  }));

Deno.test("a paused schedule does not tick; resumed, it skips the ticks missed meanwhile and runs from its next one", () =>
  withHome(async (home) => {
    const r = await rig(home, "2030-01-01T00:00:00Z", [
      schedule("hourly", "@hourly", "UTC", "2030-01-01T00:00:00Z"),
    ]);
    try {
      await walk(r, "2030-01-01T01:00:00Z");
      assert.deepEqual(await r.ids(), ["hourly@2030-01-01T01:00Z"]);
      await r.store.pauseSchedule("hourly", true);
      r.scheduler.changed();
      r.clock.advance(READ_GAP_MS);
      await walk(r, "2030-01-01T05:30:00Z");
      assert.deepEqual(await r.ids(), ["hourly@2030-01-01T01:00Z"], "nothing while paused");
      // what `schedule resume` does: the latest time at or before now counts as done
      await r.store.pauseSchedule("hourly", false, "2030-01-01T05:00:00.000Z");
      r.scheduler.changed();
      r.clock.advance(READ_GAP_MS);
      assert.deepEqual(await r.pass(), [], "no catch-up for ticks missed while paused");
      await walk(r, "2030-01-01T06:00:00Z");
      assert.deepEqual(await r.ids(), ["hourly@2030-01-01T01:00Z", "hourly@2030-01-01T06:00Z"]);
    } finally {
      r.store.close();
    }
  }));

Deno.test("three schedulers sharing a home, passing in any order, enqueue each tick once", () =>
  withHome(async (home) => {
    const r = await rig(home, "2030-01-01T00:00:00Z", [
      schedule("m", "* * * * *", "UTC", "2030-01-01T00:00:00Z"),
    ]);
    const others = [new FileStore(home, { clock: r.clock }), new FileStore(home, { clock: r.clock })];
    const schedulers = [
      r.scheduler,
      ...others.map((store) => new Scheduler({ store, clock: r.clock, maxRetries: () => 0, say: () => {} })),
    ];
    try {
      const enqueued: string[] = [];
      for (let minute = 1; minute <= 30; minute++) {
        r.clock.advance(MIN);
        // all at once, in a different order each minute
        const order = schedulers.map((_, i) => schedulers[(i + minute) % schedulers.length]);
        for (const got of await Promise.all(order.map((s) => s.pass()))) enqueued.push(...got);
      }
      assert.equal(enqueued.length, 30, `each tick once: ${enqueued.join(" ")}`);
      assert.equal(new Set(enqueued).size, 30);
      assert.equal((await r.store.counts()).pending, 30);
    } finally {
      r.store.close();
      for (const s of others) s.close();
    }
  }));

Deno.test("a removed schedule stops ticking once the scheduler reads the schedules again", () =>
  withHome(async (home) => {
    const r = await rig(home, "2030-01-01T00:00:00Z", [
      schedule("m", "* * * * *", "UTC", "2030-01-01T00:00:00Z"),
    ]);
    try {
      r.clock.advance(MIN);
      assert.deepEqual(await r.pass(), ["m@2030-01-01T00:01Z"]);
      await r.store.removeSchedule("m");
      r.scheduler.changed();
      r.clock.advance(MIN);
      assert.deepEqual(await r.pass(), [], "the store refuses a tick of a removed schedule");
      assert.equal(r.scheduler.wakeIn(), Infinity, "nothing left to wake for");
    } finally {
      r.store.close();
    }
  }));
