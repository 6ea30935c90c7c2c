/** The page's pure helpers, tested on the very file the browser gets (page/core.js). */
import assert from "node:assert/strict";
import * as core from "./page/core.js";

const NOW = Date.parse("2026-11-23T12:00:00.000Z");

Deno.test("ago() says how long ago or how soon, in the largest whole unit", () => {
  assert.equal(core.ago("2026-11-23T11:59:57.000Z", NOW), "3 s ago");
  assert.equal(core.ago("2026-11-23T11:58:00.000Z", NOW), "2 min ago");
  assert.equal(core.ago("2026-11-23T09:00:00.000Z", NOW), "3 h ago");
  assert.equal(core.ago("2026-11-21T12:00:00.000Z", NOW), "2 d ago");
  assert.equal(core.ago("2026-11-23T12:02:00.000Z", NOW), "in 2 min");
  assert.equal(core.ago(null, NOW), "never");
});

Deno.test("seconds() formats durations from milliseconds to hours", () => {
  assert.equal(core.seconds(0.12), "120 ms");
  assert.equal(core.seconds(1.5), "1.50 s");
  assert.equal(core.seconds(42.25), "42.3 s");
  assert.equal(core.seconds(123), "2 min 3 s");
  assert.equal(core.seconds(7260), "2 h 1 min");
  assert.equal(core.seconds(60), "1 min");
  assert.equal(core.seconds(3600), "1 h");
  assert.equal(core.seconds(null), "-");
});

Deno.test("bytes() says a size in bytes, KiB or MiB", () => {
  assert.deepEqual([512, 65536, 229013, 1572864].map(core.bytes), [
    "512 bytes",
    "64 KiB",
    "224 KiB",
    "1.5 MiB",
  ]);
});

Deno.test("count() groups thousands", () => {
  assert.equal(core.count(1234567), "1,234,567");
  assert.equal(core.count(12), "12");
});

Deno.test("niceCeil() rounds an axis top up to 1, 2 or 5 times a power of ten", () => {
  assert.deepEqual([0, 1, 2, 3, 7, 11, 51, 999].map(core.niceCeil), [1, 1, 2, 5, 10, 20, 100, 1000]);
});

Deno.test("throughputBars() stacks failed above completed and scales to the axis top", () => {
  const minutes = [
    { t: "a", completed: 4, failed: 1 },
    { t: "b", completed: 0, failed: 0 },
    { t: "c", completed: 0, failed: 2 },
  ];
  const { top, bars } = core.throughputBars(minutes, { x: 0, y: 0, w: 30, h: 100 });
  assert.equal(top, 5);
  assert.deepEqual(
    bars.map((b: any) => [b.kind, b.x, b.y, b.w, b.h]),
    [["completed", 0, 20, 9, 80], ["failed", 0, 0, 9, 20], ["failed", 20, 60, 9, 40]],
  );
});

Deno.test("histogram() turns cumulative buckets into one count per bucket", () => {
  const h = core.histogram([{ le: 0.1, count: 2 }, { le: 1, count: 5 }, { le: "+Inf", count: 6 }]);
  assert.deepEqual(h, [{ label: "≤ 100ms", count: 2 }, { label: "≤ 1s", count: 3 }, {
    label: "> 1s",
    count: 1,
  }]);
  assert.deepEqual([0.25, 2.5, 60, 900, 3600].map(core.shortSeconds), ["250ms", "2.5s", "1m", "15m", "1h"]);
});

Deno.test("jobBody() leaves empty fields out and sends numbers as numbers, anything else as typed", () => {
  assert.deepEqual(
    core.jobBody({
      command: "echo hi",
      id: " a1 ",
      max_retries: "2",
      priority: "-1",
      timeout: "",
      run_at: "",
    }),
    { command: "echo hi", id: "a1", max_retries: 2, priority: -1 },
  );
  assert.deepEqual(
    core.jobBody({
      command: "x",
      id: "",
      max_retries: "many",
      priority: "",
      timeout: "1.5",
      run_at: "2030-01-01T00:00:00Z",
    }),
    { command: "x", max_retries: "many", timeout: 1.5, run_at: "2030-01-01T00:00:00Z" },
  );
});

Deno.test("jobsQuery() carries the filters and the page's cursor", () => {
  assert.equal(
    core.jobsQuery({ state: "dead", q: "a b", order: "asc" }, "c1", 25),
    "state=dead&q=a+b&order=asc&limit=25&cursor=c1",
  );
  assert.equal(core.jobsQuery({ state: "", q: "", order: "desc" }, null, 50), "order=desc&limit=50");
});

Deno.test("jobPath() and idFromPath() round-trip ids with any character", () => {
  for (const id of ["a1", "x/y", "<script>", "ü ?#"]) assert.equal(core.idFromPath(core.jobPath(id)), id);
  assert.equal(core.idFromPath("/"), null);
  assert.equal(core.idFromPath("/jobs/%E0%A4%A"), null);
});

Deno.test("fieldText() shows times with their distance, null as a dash", () => {
  assert.equal(
    core.fieldText("run_at", "2026-11-23T11:59:57.000Z", NOW),
    "2026-11-23T11:59:57.000Z (3 s ago)",
  );
  assert.equal(core.fieldText("exit_code", null, NOW), "-");
  assert.equal(core.fieldText("argv", ["a", "b c"], NOW), '["a","b c"]');
  assert.equal(core.fieldText("timeout", 5, NOW), "5 s");
});

Deno.test("limitText() says 0 as no limit; limitBody() sends a whole number as a number, anything else as typed", () => {
  assert.equal(core.limitText(0), "no limit");
  assert.equal(core.limitText(3), "3");
  assert.deepEqual(core.limitBody(" 2 "), { concurrency: 2 });
  assert.deepEqual(core.limitBody("0"), { concurrency: 0 });
  assert.deepEqual(core.limitBody("-3"), { concurrency: "-3" });
  assert.deepEqual(core.limitBody("two"), { concurrency: "two" });
  assert.deepEqual(core.limitBody(""), { concurrency: "" });
});
