/**
 * Regression (found in review): the worker kept its running jobs keyed by job id, and every
 * task's `finally` deleted that key unconditionally. When a job was taken back from this worker
 * and this same worker claimed the retry before the old attempt's task had finished recording
 * (its finish write is slow: lock contention, or the retry loop on a full disk), the new attempt
 * was overwritten by the old task's clean-up: no longer renewed, and then taken back by the
 * worker's own rescuer although it was running it. Attempts are now kept by slot and matched by
 * claim token. (Needs a free slot for the re-claim, hence 2 slots.)
 */
import assert from "node:assert/strict";
import type { Store } from "../../src/store/mod.ts";
import { inProcessWorker, wrapStore } from "../../testkit/worker_harness.ts";
import { DEFAULT_CONFIG } from "../../src/config.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { killGroup, waitFor, withHome } from "../../testkit/mod.ts";
import { finishFor } from "../../testkit/store.ts";

Deno.test("a worker that re-claims a job taken back from it keeps running and renewing the new attempt", () =>
  withHome(async (home) => {
    Deno.mkdirSync(home, { recursive: true });
    const inner = new FileStore(home);
    const rescuer = new FileStore(home);
    const config = { ...DEFAULT_CONFIG, lease_timeout: 1, backoff_base: 1, poll_interval: 0.1 };
    const lines: string[] = [];
    let first: number | null = null; // attempt 1's claim token
    let release: () => void = () => {};
    const slowWrite = new Promise<void>((r) => release = r);
    const store = wrapStore(inner, {
      finish: async (req: Parameters<Store["finish"]>[0]) => {
        if (req.claim === first) await slowWrite; // a slow finish write, until attempt 2 runs
        return inner.finish(req);
      },
    });
    await inner.enqueue([{ id: "j", command: "sleep 4" }], { max_retries: 5 });
    const worker = inProcessWorker({ home: home, store, config, slots: 2, log: (l) => lines.push(l) });
    await worker.start();
    const running = worker.run();
    try {
      // attempt 1 is running; it is killed and taken back (as a rescuer does for a worker it thinks lost)
      await waitFor(async () => (await rescuer.get("j"))!.state === "processing", "attempt 1 to run");
      const j1 = (await rescuer.get("j"))!;
      first = j1.claim;
      killGroup(j1.pid!);
      assert.ok(await finishFor(rescuer, null, j1, { kind: "lost" }, null, config));
      // the same worker claims the retry (attempt 2) while attempt 1's finish is still being written
      await waitFor(async () => (await rescuer.get("j"))!.attempts === 2, "attempt 2 to be claimed");
      release();
      // attempt 2 (sleep 4) must be renewed and complete, never be taken back as "worker lost"
      await waitFor(
        async () => {
          const j = (await rescuer.get("j"))!;
          return j.state !== "processing" || j.attempts > 2;
        },
        "attempt 2 to end",
        15_000,
      );
      const j = (await rescuer.get("j"))!;
      assert.equal(j.attempts, 2, `attempt 2 did not end by itself:\n${lines.join("\n")}`);
      assert.equal(j.state, "completed", `${j.state} (${j.last_error}):\n${lines.join("\n")}`);
    } finally {
      worker.stop("test");
      worker.stop("test");
      await running;
      inner.close();
      rescuer.close();
    }
  }));
