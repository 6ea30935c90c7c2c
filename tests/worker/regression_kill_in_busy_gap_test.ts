/**
 * Regression (found building `kill`): while every slot is busy, the worker lets the store's changes
 * wake its loop at most every BUSY_GAP_MS (50 ms), and dropped a change that came sooner. A kill
 * request landing within 50 ms of another change (another worker's claim, this worker's own
 * renewal) was then heard only at the next change or the end of the loop's sleep, seconds later.
 * The change must wake the loop once the gap is over. Here the clock stands still but when the
 * test moves it, so a dropped change is never made up for by time passing.
 */
import assert from "node:assert/strict";
import { inProcessWorker, wrapStore } from "../../testkit/worker_harness.ts";
import { FileStore } from "../../src/store/file_store.ts";
import type { Clock } from "../../src/clock.ts";
import { ManualClock, waitFor, withHome } from "../../testkit/mod.ts";

Deno.test("a kill request that lands within the busy gap of a busy worker's last wake-up is heard once the gap is over", () =>
  withHome(async (home) => {
    Deno.mkdirSync(home, { recursive: true });
    const inner = new FileStore(home);
    const other = new FileStore(home); // `queuectl kill` in another process
    const manual = new ManualClock();
    let sleeps = 0;
    const clock: Clock = {
      now: () => manual.now(),
      monotonic: () => manual.monotonic(),
      sleep: (ms, signal) => {
        sleeps++;
        return manual.sleep(ms, signal);
      },
    };
    let passes = 0;
    let headSeen = 0;
    const store = wrapStore(inner, {
      stopSeq: () => {
        passes++;
        return inner.stopSeq();
      },
      // the change feed looks at the head: once it saw the kill's, the loop was told (or not)
      head: async () => (headSeen = Math.max(headSeen, await inner.head())),
    });
    await other.enqueue([{ id: "long", command: "sleep 300" }], { max_retries: 3 });
    const worker = inProcessWorker({
      home,
      store,
      clock,
      slots: 1,
      config: { poll_interval: 60, lease_timeout: 300, job_timeout: 0 },
    });
    await worker.start();
    const running = worker.run();
    try {
      await waitFor(async () => (await other.get("long"))?.pid !== null, "the job to run", 30_000);
      // a change more than the gap after any before it wakes the busy worker (at monotonic 100 ms)
      manual.advance(100);
      const [p, s] = [passes, sleeps];
      await other.setQueue("elsewhere", { paused: true });
      await waitFor(
        () => passes > p && sleeps > s,
        "the worker to wake for the change and sleep again",
        30_000,
      );
      // the kill lands within the gap of that wake-up: the loop must still hear of it
      await other.kill(["long"]);
      const killed = await other.head();
      await waitFor(() => headSeen >= killed, "the worker's change feed to see the kill", 30_000);
      manual.advance(60);
      await waitFor(async () => (await other.get("long"))?.state === "dead", "the job to be killed", 30_000);
      const job = (await other.get("long"))!;
      assert.equal(job.last_error, "killed");
      assert.equal(job.attempts, 1);
    } finally {
      worker.stop("test");
      worker.stop("test");
      await running;
      inner.close();
      other.close();
    }
  }));
