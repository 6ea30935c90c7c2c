/**
 * Regression (found in review): Worker.#sleep left its `#wakeUp` closure installed after the sleep ended by its
 * timer. A wake() that arrived while the worker was busy (between two sleeps) then ran that stale
 * closure, which cleared `#woken` again: the wake-up was lost and the next sleep lasted a whole
 * poll interval. Here an enqueue by another process lands while the worker is between sleeps,
 * and the worker's clock never moves, with an hour's poll interval: only the wake-up the enqueue
 * causes can get it to claim.
 */
import assert from "node:assert/strict";
import { inProcessWorker, wrapStore } from "../../testkit/worker_harness.ts";
import { DEFAULT_CONFIG } from "../../src/config.ts";
import { FileStore } from "../../src/store/file_store.ts";
import type { ClaimRequest } from "../../src/store/mod.ts";
import { ManualClock, waitFor, withHome } from "../../testkit/mod.ts";

Deno.test("an enqueue that lands while an idle worker is between two sleeps wakes it at once", () =>
  withHome(async (home) => {
    Deno.mkdirSync(home, { recursive: true });
    const inner = new FileStore(home);
    const other = new FileStore(home); // "another process": its own lock file handle
    let passes = 0;
    let enqueuedHead = Infinity;
    let headSeen = false;
    let claimed = false;
    const store = wrapStore(inner, {
      // the change feed reads the head: once it has read the enqueue's, the wake-up is under way
      head: async () => {
        const head = await inner.head();
        if (head >= enqueuedHead) headSeen = true;
        return head;
      },
      nextDue: async () => {
        // the second pass (the first may be woken by the change feed's first look) is about to sleep
        if (++passes === 2) {
          await other.enqueue([{ id: "j", command: "true" }], { max_retries: 0 });
          enqueuedHead = await other.head();
          await waitFor(() => headSeen, "the change feed to see the enqueue");
          await new Promise((r) => setTimeout(r, 0)); // its subscribers are told right after
        }
        return inner.nextDue();
      },
      claim: async (request: ClaimRequest, proceed?: () => boolean) => {
        const jobs = await inner.claim(request, proceed);
        if (jobs.length > 0) claimed = true;
        return jobs;
      },
    });
    // the worker's own sleeps end only when it is woken
    const config = { ...DEFAULT_CONFIG, poll_interval: 3600 };
    const worker = inProcessWorker({ home, store, config, clock: new ManualClock() });
    await worker.start();
    const running = worker.run();
    try {
      await waitFor(() => claimed, "the worker to claim j", 15_000);
      assert.ok(passes >= 3, "claimed by a pass after the one the enqueue landed in");
    } finally {
      worker.stop("test");
      worker.stop("test");
      await running;
      inner.close();
      other.close();
    }
  }));
