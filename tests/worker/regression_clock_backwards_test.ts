/**
 * Regression (found in review): Worker.runOnce paced rescue (and heartbeats, renewals) with wall-clock differences
 * (`now - #lastRescue >= 1000`). When the system clock steps backwards (NTP, a VM resumed), the
 * difference is negative until the clock catches up again: for that long the worker did not
 * rescue anything, not even the jobs of a worker that has died (whose lock is free), which the
 * design says are recognised "without waiting for the lease". Rescue is now paced on the
 * monotonic clock, which the test moves on by hand while the wall clock steps back.
 */
import assert from "node:assert/strict";
import { inProcessWorker } from "../../testkit/worker_harness.ts";
import { DEFAULT_CONFIG } from "../../src/config.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { type Clock, systemClock } from "../../src/clock.ts";
import { RESCUE_MS } from "../../src/worker/rescuer.ts";
import { withHome } from "../../testkit/mod.ts";
import { claimFor } from "../../testkit/store.ts";

Deno.test("after the clock steps back an hour, a worker still takes back the job of a dead worker", () =>
  withHome(async (home) => {
    Deno.mkdirSync(`${home}/workers`, { recursive: true });
    let offsetMs = 0;
    let monotonic = 0;
    const clock: Clock = {
      now: () => new Date(Date.now() + offsetMs),
      monotonic: () => monotonic,
      sleep: systemClock.sleep,
    };
    const store = new FileStore(home, { clock });
    const other = new FileStore(home, { clock });
    const config = { ...DEFAULT_CONFIG };
    const worker = inProcessWorker({ home: home, store, config, clock });
    await worker.start();
    try {
      await worker.runOnce(); // an ordinary pass: rescue ran just now
      offsetMs = -3600_000; // the system clock is stepped back one hour
      await other.enqueue([{ id: "j", command: "true" }], { max_retries: 3 });
      // a worker that died (its lock file is left, held by no one) claimed j
      Deno.writeTextFileSync(`${home}/workers/w-dead.lock`, "");
      assert.equal((await claimFor(other, "w-dead", 1, 30)).length, 1);
      monotonic += RESCUE_MS + 100; // time for the next rescue
      await worker.runOnce();
      const job = (await store.get("j"))!;
      assert.notEqual(
        job.worker,
        "w-dead",
        `job j still belongs to the dead worker (state ${job.state}): no rescue for as long as the clock was stepped back`,
      );
    } finally {
      worker.stop("test");
      worker.stop("test");
      await worker.run(); // ends at once: it closes the slots' runners
      store.close();
      other.close();
    }
  }));
