/**
 * Regression (found in review): the worker's sleep left its wake-up closure installed after the sleep
 * ended by its timer. A wake() that arrived while the worker was busy (between two sleeps) then ran
 * that stale closure, and the wake-up was lost: the next sleep lasted a whole poll interval. Here an
 * enqueue by another process lands while the worker is between sleeps.
 *
 * No clock is read: the poll interval is an hour, so a lost wake-up leaves the job unclaimed until
 * the (generous) deadline; the sleep that must end by its timer is a short one the test asks for
 * through `nextDue`, and "between two sleeps" is the moment the worker asks `nextDue` again.
 */
import { inProcessWorker, wrapStore } from "../../testkit/worker_harness.ts";
import { DEFAULT_CONFIG } from "../../src/config.ts";
import { FileStore } from "../../src/store/file_store.ts";
import type { ClaimRequest } from "../../src/store/mod.ts";
import { waitFor, withHome } from "../../testkit/mod.ts";

Deno.test("an enqueue that lands while an idle worker is between two sleeps wakes it at once", () =>
  withHome(async (home) => {
    Deno.mkdirSync(home, { recursive: true });
    const inner = new FileStore(home);
    const other = new FileStore(home); // "another process": its own lock file handle
    const lines: string[] = [];
    let wakes = 0;
    /** wake-ups seen when each `nextDue` call (one per pass, just before its sleep) began */
    const passes: number[] = [];
    let enqueued = false;
    let claimed = false;
    const store = wrapStore(inner, {
      nextDue: async () => {
        passes.push(wakes);
        const n = passes.length;
        // two passes in a row without a wake-up between them: the sleep in between ended by its timer
        const timerEnded = n >= 3 && passes[n - 1] === passes[n - 3];
        if (!enqueued && timerEnded) {
          enqueued = true;
          // the worker has just woken from a timer-ended sleep and is about to sleep again
          const before = wakes;
          await other.enqueue([{ id: "j", command: "true" }], { max_retries: 0 });
          await waitFor(() => wakes > before, "the worker to be woken by the enqueue's file-system event");
        }
        // until the enqueue, a sleep of 50 ms that ends by its timer; then the store's own answer
        return enqueued ? inner.nextDue() : new Date(Date.now() + 50).toISOString();
      },
      claim: async (req: ClaimRequest, proceed?: () => boolean) => {
        const jobs = await inner.claim(req, proceed);
        if (jobs.length > 0) claimed = true;
        return jobs;
      },
    });
    // an hour between passes unless woken: a lost wake-up cannot pass for a prompt one
    const config = { ...DEFAULT_CONFIG, poll_interval: 3600 };
    const worker = inProcessWorker({ home: home, store, config, log: (l) => lines.push(l) });
    const wake = worker.wake.bind(worker);
    worker.wake = () => {
      wakes++;
      wake();
    };
    await worker.start();
    const running = worker.run();
    try {
      await waitFor(() => enqueued, "an enqueue between two sleeps", 30_000);
      await waitFor(() => claimed, "the woken worker to claim j", 30_000).catch((e) => {
        throw new Error(
          `${(e as Error).message} (poll interval 3600 s: the wake-up was lost)\n${lines.join("\n")}`,
        );
      });
    } finally {
      worker.stop("test");
      worker.stop("test");
      await running;
      inner.close();
      other.close();
    }
  }));
