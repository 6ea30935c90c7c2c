/** The bounded reads behind the throughput and the metrics. */
import assert from "node:assert/strict";
import { earliestPendingRunAt, failedAttempts, pendingAge, recentlyFinished } from "./recent.ts";
import { runJobs, withHarness } from "./test_harness.ts";

Deno.test("recentlyFinished() finds failed, dead and completed jobs finished since the window start, and nothing older", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue(
      ["old", "new", "retry", "dead"].map((id) => ({ id, command: "x", max_retries: id === "dead" ? 0 : 2 })),
      { max_retries: 3 },
    );
    await runJobs(h, ["old"], 0); // finished at 12:00:31
    const since = new Date(h.clock.now.getTime() + 1);
    await runJobs(h, ["new"], 0);
    await runJobs(h, ["retry", "dead"], 1);
    const found = await recentlyFinished(h.store, since);
    assert.deepEqual(found.map((j) => `${j.id}:${j.state}`).sort(), [
      "dead:dead",
      "new:completed",
      "retry:failed",
    ]);
  });
});

Deno.test("recentlyFinished() stops at its budget, and at the first page of completed jobs with none in the window", async () => {
  await withHarness(async (h) => {
    const ids = Array.from({ length: 12_000 }, (_, i) => `j-${i}`);
    await h.store.enqueue(ids.map((id) => ({ id, command: "x" })), { max_retries: 3 });
    await runJobs(h, ids.slice(0, 6_000), 0); // the older half finishes first, at 12:00:31
    const since = new Date(h.clock.now.getTime() + 1);
    await runJobs(h, ids.slice(6_000), 0); // the newer half, a second later
    assert.equal(
      (await recentlyFinished(h.store, since)).length,
      6_000,
      "a page of 5,000 old ones ends the scan",
    );
    assert.equal((await recentlyFinished(h.store, since, 2_500)).length, 2_500, "the budget");
    assert.equal((await recentlyFinished(h.store, new Date(0))).length, 12_000);
  });
});

Deno.test("failedAttempts() counts every attempt of failed and dead jobs; the oldest pending age is from the earliest run_at", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue([
      { id: "f", command: "x", max_retries: 5 },
      { id: "d", command: "x", max_retries: 0 },
      { id: "later", command: "x", run_at: "2099-01-01T00:00:00.000Z" },
    ], { max_retries: 3 });
    await runJobs(h, ["f", "d"], 1);
    assert.equal(await failedAttempts(h.store), 2);
    assert.equal(await earliestPendingRunAt(h.store), "2099-01-01T00:00:00.000Z");
    assert.equal(pendingAge("2099-01-01T00:00:00.000Z", h.clock.now), null, "not due yet");
    assert.equal(pendingAge("2026-03-01T12:00:00.000Z", new Date("2026-03-01T12:00:09.500Z")), 9.5);
    assert.equal(pendingAge(null, h.clock.now), null);
  });
});
