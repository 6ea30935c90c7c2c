/**
 * Regression (found while adding the scheduler): Slots.claim() told the worker "idle" (which wakes
 * its loop) at the end of every claim, also of the claims the loop itself makes. The loop's next
 * sleep was then skipped, every time: once idle, a worker spun at 100% CPU, passing millions of
 * times a second, and never reached a sleep again (SIGTERM, handled between passes, could not stop
 * it either). Here the loop must come to a sleep once its only job is done.
 */
import assert from "node:assert/strict";
import { inProcessWorker, wrapStore } from "../../testkit/worker_harness.ts";
import { DEFAULT_CONFIG } from "../../src/config.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { ManualClock, waitFor, withHome } from "../../testkit/mod.ts";

/** A ManualClock that remembers each sleep: how long it asked for, and how many passes the loop had made. */
class WatchedClock extends ManualClock {
  readonly asked: Array<{ ms: number; passes: number }> = [];
  passes = 0;
  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.asked.push({ ms, passes: this.passes });
    return super.sleep(ms, signal);
  }
}

Deno.test("an idle worker's loop comes to a sleep once its job is done, instead of passing again at once", () =>
  withHome(async (home) => {
    Deno.mkdirSync(home, { recursive: true });
    const inner = new FileStore(home);
    await inner.enqueue([{ id: "only", command: "true" }], { max_retries: 0 });
    const clock = new WatchedClock(Date.now());
    const config = { ...DEFAULT_CONFIG, poll_interval: 7.25 };
    // a spinning loop starves every timer, the test's own too: the pass count stops it
    let spun = false;
    const store = wrapStore(inner, {
      stopSeq: () => {
        if (++clock.passes > 20_000 && !spun) {
          spun = true;
          worker.stop("spinning");
          worker.stop("spinning");
        }
        return inner.stopSeq();
      },
    });
    const worker = inProcessWorker({ home, store, config, clock });
    await worker.start();
    const running = worker.run();
    try {
      await waitFor(
        async () => spun || (await inner.get("only"))?.state === "completed",
        "the job to complete",
      );
      // asleep on the test's clock, which does not move: no pass since its last sleep began
      await waitFor(() => {
        const last = clock.asked.at(-1);
        return spun || (last !== undefined && last.ms > 0 && last.passes === clock.passes);
      }, "the loop to sleep");
    } finally {
      worker.stop("test");
      worker.stop("test");
      await running;
    }
    assert.equal(spun, false, `the loop passed ${clock.passes} times without sleeping`);
    assert.equal((await inner.get("only"))?.attempts, 1);
    inner.close();
  }));
