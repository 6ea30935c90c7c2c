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

/** A ManualClock that remembers how long each sleep asked for. */
class WatchedClock extends ManualClock {
  readonly asked: number[] = [];
  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.asked.push(ms);
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
    let passes = 0;
    let spun = false;
    const store = wrapStore(inner, {
      stopSeq: () => {
        if (++passes > 20_000 && !spun) {
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
      await waitFor(async () => spun || (await inner.get("only"))?.state === "completed", "the job to complete");
      const from = clock.asked.length;
      // asleep on the test's clock, which does not move: nothing wakes it but a change or a signal
      await waitFor(() => spun || clock.asked.slice(from).some((ms) => ms > 0), "the loop to sleep");
    } finally {
      worker.stop("test");
      worker.stop("test");
      await running;
    }
    assert.equal(spun, false, `the loop passed ${passes} times without sleeping`);
    assert.equal((await inner.get("only"))?.attempts, 1);
    inner.close();
  }));
