/**
 * In-process tests of the worker loop: behaviour only (what is recorded, what runs), no timing
 * assertions.
 */
import assert from "node:assert/strict";
import { inProcessWorker } from "../../testkit/worker_harness.ts";
import { DEFAULT_CONFIG } from "../config.ts";
import { FileStore } from "../store/file_store.ts";
import { waitFor, withHome } from "../../testkit/mod.ts";

Deno.test("a long job keeps its lease while the worker's other slot keeps claiming short jobs", () =>
  withHome(async (home) => {
    Deno.mkdirSync(home, { recursive: true });
    const store = new FileStore(home);
    const watcher = new FileStore(home); // another process looking for lost jobs
    // renewals are due every lease/3 s; claims for the other slot come far more often than that
    const config = { ...DEFAULT_CONFIG, lease_timeout: 1, poll_interval: 0.05 };
    await store.enqueue([{ id: "long", command: "sleep 3", priority: 1 }], { max_retries: 0 });
    await store.enqueue(Array.from({ length: 2000 }, (_, i) => ({ id: `s${i}`, command: "true" })), { max_retries: 0 });
    const worker = inProcessWorker({ home, store, config, slots: 2 });
    await worker.start();
    const running = worker.run();
    let lost = false;
    try {
      await waitFor(
        async () => {
          const seen = await watcher.lost(() => false);
          if (seen.some((j) => j.id === "long")) lost = true;
          const long = (await watcher.get("long"))!;
          return lost || long.state !== "processing" && long.state !== "pending";
        },
        "the long job to end",
        30_000,
        20,
      );
      assert.ok(!lost, "the long job's lease expired while its worker was alive and running it");
      assert.equal((await watcher.get("long"))!.state, "completed");
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
      0,
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
