/**
 * In-process tests of the worker loop: behaviour only (what is recorded, what runs), no timing
 * assertions.
 */
import assert from "node:assert/strict";
import { inProcessWorker, wrapStore } from "../../testkit/worker_harness.ts";
import { DEFAULT_CONFIG } from "../config.ts";
import { FileStore } from "../store/file_store.ts";
import { homePaths } from "../store/paths.ts";
import { type Clock, systemClock } from "../clock.ts";
import type { ClaimRequest } from "../store/mod.ts";
import { livenessDeps } from "./liveness.ts";
import { Rescuer } from "./rescuer.ts";
import { ManualClock, waitFor, withHome } from "../../testkit/mod.ts";

Deno.test("a long job keeps being renewed, and is never taken back, while the worker's other slot keeps claiming short jobs", () =>
  withHome(async (home) => {
    Deno.mkdirSync(home, { recursive: true });
    const store = new FileStore(home);
    const watcher = new FileStore(home); // another worker, looking for lost jobs
    // renewals are due every lease/3 s; claims for the other slot come far more often than that
    const config = { ...DEFAULT_CONFIG, lease_timeout: 1, poll_interval: 0.05 };
    await store.enqueue([{ id: "long", command: "sleep 3", priority: 1 }], { max_retries: 0 });
    await store.enqueue(Array.from({ length: 2000 }, (_, i) => ({ id: `s${i}`, command: "true" })), {
      max_retries: 0,
    });
    const rescuer = new Rescuer({
      store: watcher,
      paths: homePaths(home),
      clock: systemClock,
      config: () => config,
      liveness: livenessDeps(homePaths(home)),
      self: "w-watcher",
      runs: () => false,
      say: () => {},
    });
    const worker = inProcessWorker({ home, store, config, slots: 2 });
    await worker.start();
    const running = worker.run();
    const leases = new Set<string>();
    try {
      await waitFor(
        async () => {
          await rescuer.pass(true);
          const long = (await watcher.get("long"))!;
          if (long.lease_until) leases.add(long.lease_until);
          return long.state !== "processing" && long.state !== "pending";
        },
        "the long job to end",
        30_000,
        20,
      );
      const long = (await watcher.get("long"))!;
      assert.equal(long.state, "completed", `${long.state}: ${long.last_error}`);
      assert.equal(long.attempts, 1, "it ran once");
      assert.ok(leases.size >= 2, "its lease was renewed while it ran");
    } finally {
      worker.stop("test");
      worker.stop("test");
      await running;
      store.close();
      watcher.close();
    }
  }));

Deno.test("a `worker stop` that lands while every slot is busy stops the claim a slot makes as it ends", () =>
  withHome(async (home) => {
    Deno.mkdirSync(home, { recursive: true });
    const release = `${home}/release`;
    const store = new FileStore(home);
    const other = new FileStore(home); // `worker stop` in another process
    const hold = `while [ ! -f ${release} ]; do sleep 0.01; done`;
    await store.enqueue(
      [{ id: "a", command: hold, priority: 1 }, { id: "b", command: hold, priority: 1 }],
      { max_retries: 0 },
    );
    await store.enqueue([{ id: "c", command: "true" }, { id: "d", command: "true" }], { max_retries: 0 });
    const worker = inProcessWorker({ home, store, slots: 2 });
    await worker.start();
    const running = worker.run();
    try {
      await waitFor(async () => (await other.get("b"))!.pid !== null, "a and b to run");
      await other.requestStop();
      Deno.writeTextFileSync(release, ""); // both slots end at once, right after the request
      await running;
      assert.equal((await other.get("a"))!.state, "completed");
      assert.equal((await other.get("b"))!.state, "completed");
      assert.equal((await other.get("c"))!.state, "pending", "claimed after the stop request");
      assert.equal((await other.get("d"))!.state, "pending", "claimed after the stop request");
    } finally {
      worker.stop("test");
      worker.stop("test");
      await running;
      store.close();
      other.close();
    }
  }));

Deno.test("an idle worker with nothing to claim goes to sleep after its pass, and a stop then ends it", () =>
  withHome(async (home) => {
    Deno.mkdirSync(home, { recursive: true });
    const inner = new FileStore(home);
    // a clock that never moves: the worker sleeps until it is woken
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
    let claims = 0;
    // a worker whose loop wakes itself never yields to timers or signals: end it from here
    const store = wrapStore(inner, {
      claim: (request: ClaimRequest, proceed?: () => boolean) => {
        if (++claims > 100) {
          worker.stop("spinning");
          worker.stop("spinning");
        }
        return inner.claim(request, proceed);
      },
    });
    const worker = inProcessWorker({ home, store, clock, config: { poll_interval: 60 } });
    await worker.start();
    const running = worker.run();
    try {
      await waitFor(() => sleeps > 0 || claims > 100, "the worker to sleep");
      // a pass, perhaps one more when the change feed first reports the head, then asleep
      assert.ok(claims <= 2, `${claims} claims before it slept`);
      assert.ok(sleeps > 0, "it sleeps");
    } finally {
      worker.stop("test");
      await running;
      inner.close();
    }
  }));
