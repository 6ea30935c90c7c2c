/**
 * The worker's loop sleeps until a schedule's next tick when nothing else is due sooner, and the
 * tick's job is enqueued and run when that time comes: on a clock the test moves (ManualClock),
 * with a poll interval of an hour, so only the tick can wake it.
 */
import assert from "node:assert/strict";
import { inProcessWorker } from "../../testkit/worker_harness.ts";
import { DEFAULT_CONFIG } from "../../src/config.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { ManualClock, T0, waitFor, withHome } from "../../testkit/mod.ts";

class WatchedClock extends ManualClock {
  readonly asked: number[] = [];
  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.asked.push(ms);
    return super.sleep(ms, signal);
  }
}

Deno.test("an idle worker sleeps until a schedule's next tick, then enqueues and runs its job", () =>
  withHome(async (home) => {
    Deno.mkdirSync(home, { recursive: true });
    const clock = new WatchedClock(T0 + 30_000); // 00:00:30, the tick is at 00:01:00
    const store = new FileStore(home, { clock });
    await store.addSchedule({
      name: "m",
      cron: "* * * * *",
      tz: "UTC",
      paused: false,
      job: { command: "true", priority: 0, timeout: null, cwd: null },
      created_at: new Date(T0).toISOString(),
      last_tick: new Date(T0).toISOString(),
    });
    const config = { ...DEFAULT_CONFIG, poll_interval: 3600 };
    const worker = inProcessWorker({ home, store, config, clock });
    await worker.start();
    const running = worker.run();
    try {
      // nothing else is due: the loop asks to sleep exactly until the tick
      await waitFor(() => clock.asked.includes(30_000), "a sleep until the tick");
      assert.equal(await store.get("m@2030-01-01T00:01Z"), undefined, "nothing before its time");
      clock.advance(30_000);
      await waitFor(
        async () => (await store.get("m@2030-01-01T00:01Z"))?.state === "completed",
        "the tick's job to run",
      );
    } finally {
      worker.stop("test");
      worker.stop("test");
      await running;
      store.close();
    }
  }));
