/**
 * Regression (found in review): Worker.#sleep leaves its `#wakeUp` closure installed after the sleep ends by its
 * timer. A wake() that arrives while the worker is busy (between two sleeps) then runs that stale
 * closure, which clears `#woken` again: the wake-up is lost and the next sleep lasts a whole
 * poll interval. Here an enqueue by another process lands while the worker is between sleeps.
 */
import assert from "node:assert/strict";
import { inProcessWorker, wrapStore } from "../../testkit/worker_harness.ts";
import { DEFAULT_CONFIG } from "../../src/config.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { withHome } from "../../testkit/mod.ts";
import { claimFor } from "../../testkit/store.ts";

Deno.test("an enqueue that lands while an idle worker is between two sleeps wakes it at once", () =>
  withHome(async (home) => {
    Deno.mkdirSync(home, { recursive: true });
    const inner = new FileStore(home);
    const other = new FileStore(home); // "another process": its own lock file handle
    let lastDue = 0;
    let enqueuedAt = 0;
    let claimedAt = 0;
    const lines: string[] = [];
    const store = wrapStore(inner, {
      nextDue: async () => {
        const now = Date.now();
        const timerEnded = lastDue > 0 && now - lastDue >= 2500;
        lastDue = now;
        if (timerEnded && enqueuedAt === 0) {
          // the worker has just woken from a full (timer-ended) sleep and is about to sleep again
          await other.enqueue([{ id: "j", command: "true" }], { max_retries: 0 });
          enqueuedAt = Date.now();
          await new Promise((r) => setTimeout(r, 300)); // the fs event is delivered meanwhile
        }
        return inner.nextDue();
      },
      claim: async (worker: string, slots: number, lease: number) => {
        const jobs = await claimFor(inner, worker, slots, lease);
        if (jobs.length > 0 && claimedAt === 0) claimedAt = Date.now();
        return jobs;
      },
    });
    const config = { ...DEFAULT_CONFIG, poll_interval: 3 };
    const worker = inProcessWorker({ home: home, store, config, log: (l) => lines.push(l) });
    await worker.start();
    const running = worker.run();
    try {
      const end = Date.now() + 15_000;
      while (claimedAt === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      assert.ok(claimedAt > 0, `never claimed:\n${lines.join("\n")}`);
      const latency = claimedAt - enqueuedAt;
      assert.ok(
        latency < 1000,
        `claimed ${latency} ms after the enqueue (poll interval 3000 ms)\n${lines.join("\n")}`,
      );
    } finally {
      worker.stop("test");
      worker.stop("test");
      await running;
      inner.close();
      other.close();
    }
  }));
