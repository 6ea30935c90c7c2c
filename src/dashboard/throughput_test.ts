/** The throughput aggregation, pure: jobs and a clock in, minutes and percentiles out. */
import assert from "node:assert/strict";
import { aggregate, DURATION_BUCKETS, durationsOf, type Finished, windowStart } from "./throughput.ts";

const NOW = new Date("2026-03-01T12:30:45.500Z");

function job(state: Finished["state"], finished: string | null, seconds = 1): Finished {
  const started = finished === null ? null : new Date(Date.parse(finished) - seconds * 1000).toISOString();
  return { state, started_at: started, finished_at: finished };
}

Deno.test("the window is the 60 minutes ending with the current one, oldest first", () => {
  assert.equal(windowStart(NOW).toISOString(), "2026-03-01T11:31:00.000Z");
  const t = aggregate([], NOW);
  assert.equal(t.minutes.length, 60);
  assert.equal(t.minutes[0].t, "2026-03-01T11:31:00.000Z");
  assert.equal(t.minutes[59].t, "2026-03-01T12:30:00.000Z");
  assert.ok(t.minutes.every((m) => m.completed === 0 && m.failed === 0));
  assert.deepEqual(t.durations, {
    count: 0,
    sum: 0,
    p50: null,
    p90: null,
    p99: null,
    buckets: [...DURATION_BUCKETS.map((le) => ({ le, count: 0 })), { le: "+Inf", count: 0 }],
  });
});

Deno.test("completed jobs count as completed, failed and dead ones as failed, each in the minute it finished", () => {
  const t = aggregate([
    job("completed", "2026-03-01T12:30:00.000Z"),
    job("completed", "2026-03-01T12:30:45.500Z"), // exactly now
    job("failed", "2026-03-01T12:29:59.999Z"),
    job("dead", "2026-03-01T11:31:00.000Z"), // the window's first instant
    job("completed", "2026-03-01T11:30:59.999Z"), // just before the window
    job("completed", "2026-03-01T12:30:46.000Z"), // after now (another host's clock)
    job("pending", "2026-03-01T12:10:00.000Z"), // retried out of the DLQ: not a finish any more
    job("processing", null),
  ], NOW);
  assert.deepEqual(t.minutes[59], { t: "2026-03-01T12:30:00.000Z", completed: 2, failed: 0 });
  assert.deepEqual(t.minutes[58], { t: "2026-03-01T12:29:00.000Z", completed: 0, failed: 1 });
  assert.deepEqual(t.minutes[0], { t: "2026-03-01T11:31:00.000Z", completed: 0, failed: 1 });
  assert.equal(t.minutes.reduce((n, m) => n + m.completed + m.failed, 0), 4);
  assert.equal(t.durations.count, 4);
});

Deno.test("percentiles are nearest-rank, and buckets are cumulative with +Inf holding every duration", () => {
  const seconds = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
  const d = durationsOf(seconds.reverse());
  assert.equal(d.count, 100);
  assert.equal(d.sum, 5050);
  assert.equal(d.p50, 50);
  assert.equal(d.p90, 90);
  assert.equal(d.p99, 99);
  const at = (le: number | "+Inf") => d.buckets.find((b) => b.le === le)!.count;
  assert.equal(at(0.1), 0);
  assert.equal(at(1), 1);
  assert.equal(at(10), 10);
  assert.equal(at(60), 60);
  assert.equal(at(300), 100);
  assert.equal(at("+Inf"), 100);
  for (let i = 1; i < d.buckets.length; i++) assert.ok(d.buckets[i].count >= d.buckets[i - 1].count);
  const one = durationsOf([0.2]);
  assert.deepEqual([one.p50, one.p90, one.p99], [0.2, 0.2, 0.2]);
});

Deno.test("durations come from started_at to finished_at; a job without a start (or a negative one) is counted but not timed", () => {
  const t = aggregate([
    job("completed", "2026-03-01T12:00:00.000Z", 2.5),
    { state: "dead", started_at: null, finished_at: "2026-03-01T12:00:00.000Z" },
    { state: "completed", started_at: "2026-03-01T12:01:00.000Z", finished_at: "2026-03-01T12:00:00.000Z" },
  ], NOW);
  assert.equal(t.minutes[29].completed, 2);
  assert.equal(t.minutes[29].failed, 1);
  assert.equal(t.durations.count, 1);
  assert.equal(t.durations.p50, 2.5);
});
