/**
 * Regression (found in review): Worker.runOnce paces rescue (and heartbeats, renewals) with wall-clock differences
 * (`now - #lastRescue >= 1000`). When the system clock steps backwards (NTP, a VM resumed), the
 * difference is negative until the clock catches up again: for that long the worker does not
 * rescue anything, not even the jobs of a worker that has died (whose lock is free), which the
 * design says are recognised "without waiting for the lease".
 */
import assert from "node:assert/strict";
import { inProcessWorker } from "../../testkit/worker_harness.ts";
import { DEFAULT_CONFIG } from "../../src/config.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { type Clock, wallClock } from "../../src/clock.ts";
import { waitFor, withHome } from "../../testkit/mod.ts";
import { claimFor } from "../../testkit/store.ts";

Deno.test("after the clock steps back an hour, a worker still takes back the job of a dead worker", () =>
  withHome(async (home) => {
    Deno.mkdirSync(`${home}/logs`, { recursive: true });
    let offsetMs = 0;
    const clock: Clock = wallClock(() => new Date(Date.now() + offsetMs));
    const store = new FileStore(home, { clock });
    const other = new FileStore(home, { clock });
    const config = { ...DEFAULT_CONFIG };
    const worker = inProcessWorker({ home: home, store, config, clock });
    try {
      await worker.runOnce(); // an ordinary pass: rescue ran just now
      offsetMs = -3600_000; // the system clock is stepped back one hour
      await other.enqueue([{ id: "j", command: "true" }], { max_retries: 3 });
      // a worker that has no lock file (it died) claims j, then is gone
      assert.equal((await claimFor(other, "w-dead", 1, 30)).length, 1);
      // passes go on (as the run loop makes them) until one rescues j: the first due after RESCUE_SECONDS
      // of real time, unless rescue is paced by the wall clock, which is an hour behind
      const rescued = async () => {
        await worker.runOnce();
        return (await store.get("j"))!.worker !== "w-dead";
      };
      await waitFor(rescued, "a pass to take j back from the dead worker", 20_000, 100).catch(async (e) => {
        const job = (await store.get("j"))!;
        throw new Error(
          `${
            (e as Error).message
          }: job j still belongs to the dead worker (state ${job.state}): no rescue for as long as the clock was stepped back`,
        );
      });
    } finally {
      worker.stop("test");
      worker.stop("test");
      store.close();
      other.close();
    }
  }));
