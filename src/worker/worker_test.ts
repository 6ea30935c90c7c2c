/**
 * In-process tests of the worker loop: behaviour only (what is recorded, what runs), no timing
 * assertions.
 */
import assert from "node:assert/strict";
import { inProcessWorker, wrapStore } from "../../testkit/worker_harness.ts";
import { DEFAULT_CONFIG } from "../config.ts";
import { FileStore } from "../store/file_store.ts";
import type { ClaimRequest } from "../store/mod.ts";
import { ManualClock, waitFor, withHome } from "../../testkit/mod.ts";

Deno.test("a long job keeps being renewed, and is never taken back, while the worker's other slot keeps claiming short jobs", () =>
  withHome(async (home) => {
    Deno.mkdirSync(home, { recursive: true });
    const release = `${home}/release`;
    const store = new FileStore(home);
    const watcher = new FileStore(home); // another process looking on
    // renewals are due every lease/3 = 2 s; claims for the other slot come far more often than that.
    // The lease is long enough that no stall of a busy machine lets it lapse: the test looks for the
    // renewals themselves, each while short jobs go on completing, not for a lease that runs out.
    const config = { ...DEFAULT_CONFIG, lease_timeout: 6, poll_interval: 0.05 };
    await store.enqueue(
      [{ id: "long", command: `while [ ! -f ${release} ]; do sleep 0.05; done`, priority: 1 }],
      { max_retries: 0 },
    );
    await store.enqueue(Array.from({ length: 2000 }, (_, i) => ({ id: `s${i}`, command: "true" })), {
      max_retries: 0,
    });
    const worker = inProcessWorker({ home, store, config, slots: 2 });
    await worker.start();
    const running = worker.run();
    /** each lease the long job was seen with, and how many short jobs had completed then */
    const leases = new Map<string, number>();
    try {
      await waitFor(
        async () => {
          const long = (await watcher.get("long"))!;
          if (long.state !== "processing" || long.lease_until === null) return long.attempts > 0;
          if (!leases.has(long.lease_until)) leases.set(long.lease_until, (await watcher.counts()).completed);
          return leases.size >= 4;
        },
        "three renewals of the long job's lease",
        60_000,
        20,
      );
      const long = (await watcher.get("long"))!;
      assert.equal(long.state, "processing", `the long job ended before three renewals (${long.last_error})`);
      const done = [...leases.values()];
      assert.ok(
        done[done.length - 1] > done[0],
        `no short job completed between the renewals (${
          done.join(", ")
        }): the claims stopped, or the renewals waited for them`,
      );
      Deno.writeTextFileSync(release, "");
      await waitFor(
        async () => (await watcher.get("long"))!.state !== "processing",
        "the long job to end",
        30_000,
      );
      const ended = (await watcher.get("long"))!;
      assert.equal(ended.state, "completed");
      assert.equal(ended.attempts, 1, "never taken back");
    } finally {
      Deno.writeTextFileSync(release, "");
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
    const clock = new ManualClock();
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
      await waitFor(() => clock.sleeps > 0 || claims > 100, "the worker to sleep");
      // a pass, perhaps one more when the change feed first reports the head, then asleep
      assert.ok(claims <= 2, `${claims} claims before it slept`);
      assert.ok(clock.sleeps > 0, "it sleeps");
    } finally {
      worker.stop("test");
      await running;
      inner.close();
    }
  }));
