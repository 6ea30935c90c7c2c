/**
 * Regression (found in review): Worker keeps its slots in `#running`, keyed by job id, and every task's `finally`
 * deletes `#running[job.id]` unconditionally. When a job is taken back from this worker (its
 * lease lapsed while the worker was stalled) and this same worker claims the retry before the old
 * attempt's task has finished recording (its finish write is slow: lock contention, or the
 * #record retry loop on a full disk), the new slot overwrites the old one and the old task's
 * `finally` then deletes the NEW slot. The new attempt is no longer renewed, and the worker's own
 * rescue then kills it as "worker lost" although the worker is alive and running it. (Needs a
 * free slot for the re-claim, hence 2 slots.)
 */
import assert from "node:assert/strict";
import type { Store } from "../../src/store/mod.ts";
import { inProcessWorker, wrapStore } from "../../testkit/worker_harness.ts";
import { DEFAULT_CONFIG } from "../../src/config.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { killGroup, waitFor, withHome } from "../../testkit/mod.ts";

Deno.test("a worker that re-claims a job taken back from it keeps running and renewing the new attempt", () =>
  withHome(async (home) => {
    Deno.mkdirSync(home, { recursive: true });
    const inner = new FileStore(home);
    const rescuer = new FileStore(home);
    const config = { ...DEFAULT_CONFIG, lease_timeout: 1, backoff_base: 1, poll_interval: 0.1 };
    const lines: string[] = [];
    let stalled = true; // attempt 1: the worker does not get its renewals through
    const store = wrapStore(inner, {
      renew: (w: string, lease: number, ids?: string[]) =>
        stalled ? Promise.resolve() : inner.renew(w, lease, ids),
      finish: async (req: Parameters<Store["finish"]>[0]) => {
        if (req.attempt === 1) await new Promise((r) => setTimeout(r, 2500)); // a slow finish write
        return inner.finish(req);
      },
    });
    await inner.enqueue([{ id: "j", command: "sleep 4" }], { max_retries: 5 });
    const worker = inProcessWorker({ home: home, store, config, slots: 2, log: (l) => lines.push(l) });
    await worker.start();
    const running = worker.run();
    try {
      // attempt 1 is running with a pid; its lease lapses; another worker kills it and takes it back
      await waitFor(async () => {
        const j = await rescuer.get("j");
        return j!.pid !== null && j!.lease_until! < new Date().toISOString();
      }, "attempt 1 to run past its lease");
      const j1 = (await rescuer.get("j"))!;
      killGroup(j1.pid!);
      assert.ok(await rescuer.takeBack(j1, () => false, config));
      stalled = false; // the worker is healthy again
      // the same worker claims the retry (attempt 2) while attempt 1's finish is still being written
      await waitFor(async () => (await rescuer.get("j"))!.attempts === 2, "attempt 2 to be claimed");
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
