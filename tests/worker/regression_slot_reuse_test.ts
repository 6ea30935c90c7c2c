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
import { dirOfHome, killGroup, waitFor, withHome } from "../../testkit/mod.ts";
import { finishFor } from "../../testkit/store.ts";

Deno.test("a worker that re-claims a job taken back from it keeps running and renewing the new attempt", () =>
  withHome(async (home) => {
    Deno.mkdirSync(home, { recursive: true });
    const release = `${dirOfHome(home)}/release`;
    const inner = new FileStore(home);
    const rescuer = new FileStore(home);
    // renewals every 2 s; a lease long enough that no stall of a busy machine lets it lapse: the bug
    // shows as renewals that stop, not as a lease that runs out
    const config = { ...DEFAULT_CONFIG, lease_timeout: 6, backoff_base: 1, poll_interval: 0.1 };
    const lines: string[] = [];
    let first: number | null = null; // attempt 1's claim token
    let second: number | null = null; // attempt 2's
    // attempt 1's finish write is slow: it goes on only once attempt 2 has started
    let finishGoes = () => {};
    const finishGate = new Promise<void>((resolve) => finishGoes = resolve);
    let oldFinishDone = false;
    /** renewals naming attempt 2 since attempt 1's finish returned */
    let renewalsAfter = 0;
    const store = wrapStore(inner, {
      finish: async (req: Parameters<Store["finish"]>[0]) => {
        if (req.claim !== first) return inner.finish(req);
        await finishGate;
        try {
          return await inner.finish(req);
        } finally {
          oldFinishDone = true;
        }
      },
      renew: (w: string, lease: number, holds: ReadonlyArray<readonly [string, number]>) => {
        if (oldFinishDone && holds.some(([id, claim]) => id === "j" && claim === second)) renewalsAfter++;
        return inner.renew(w, lease, holds);
      },
    });
    // the job runs until the test lets it end
    await inner.enqueue([{ id: "j", command: `while [ ! -e ${release} ]; do sleep 0.05; done` }], {
      max_retries: 5,
    });
    const worker = inProcessWorker({ home, store, config, slots: 2, log: (l) => lines.push(l) });
    await worker.start();
    const running = worker.run();
    const job = async () => (await rescuer.get("j"))!;
    try {
      // attempt 1 runs; it is killed and taken back (as a rescuer does for a worker it finds dead)
      await waitFor(async () => (await job()).state === "processing", "attempt 1 to run");
      const j1 = await job();
      first = j1.claim;
      killGroup(j1.pid!);
      assert.ok(await finishFor(rescuer, null, j1, { kind: "lost" }, null, config));
      // the same worker claims the retry (attempt 2) while attempt 1's finish is still being written
      await waitFor(async () => (await job()).attempts === 2, "attempt 2 to be claimed");
      second = (await job()).claim;
      finishGoes();
      await waitFor(
        async () => {
          const j = await job();
          return renewalsAfter >= 3 || j.state !== "processing" || j.attempts > 2;
        },
        "attempt 2 to be renewed three times after attempt 1's finish",
        60_000,
      ).catch((e) => {
        // what the worker said tells a stalled old finish from renewals that stopped
        throw new Error(
          `${(e as Error).message} (old finish done: ${oldFinishDone}, renewals: ${renewalsAfter}):\n${
            lines.join("\n")
          }`,
        );
      });
      const j2 = await job();
      assert.equal(
        renewalsAfter >= 3 && j2.state === "processing" && j2.attempts === 2,
        true,
        `attempt 2 is no longer renewed (${j2.state}, attempt ${j2.attempts}, ${j2.last_error}):\n${
          lines.join("\n")
        }`,
      );
      Deno.writeTextFileSync(release, "");
      await waitFor(async () => (await job()).state !== "processing", "attempt 2 to end", 30_000);
      const j = await job();
      assert.equal(j.attempts, 2, `attempt 2 did not end by itself:\n${lines.join("\n")}`);
      assert.equal(j.state, "completed", `${j.state} (${j.last_error}):\n${lines.join("\n")}`);
    } finally {
      finishGoes();
      Deno.writeTextFileSync(release, "");
      worker.stop("test");
      worker.stop("test");
      await running;
      inner.close();
      rescuer.close();
    }
  }));
