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
import { dirOfHome, killGroup, waitFor, withHome } from "../../testkit/mod.ts";

Deno.test("a worker that re-claims a job taken back from it keeps running and renewing the new attempt", () =>
  withHome(async (home) => {
    Deno.mkdirSync(home, { recursive: true });
    const release = `${dirOfHome(home)}/release`;
    const inner = new FileStore(home);
    const rescuer = new FileStore(home);
    const config = { ...DEFAULT_CONFIG, lease_timeout: 1, backoff_base: 1, poll_interval: 0.1 };
    const lines: string[] = [];
    let stalled = true; // attempt 1: the worker does not get its renewals through
    // attempt 1's finish write is slow: it goes on only once attempt 2 has started
    let finishGoes = () => {};
    const finishGate = new Promise<void>((resolve) => finishGoes = resolve);
    let oldFinishDone = false;
    /** renewals naming j since attempt 1's finish returned */
    let renewalsAfter = 0;
    // attempt 1's lease is 1 s, so that it lapses; once the worker is healthy its claims and renewals
    // ask for 30 s, so that no stall of a busy machine lets attempt 2's lapse (the bug shows as
    // renewals that stop, not as a lease that runs out)
    const lease = (asked: number) => stalled ? asked : 30;
    const store = wrapStore(inner, {
      claim: (w: string, slots: number, asked: number, proceed?: () => boolean) =>
        inner.claim(w, slots, lease(asked), proceed),
      renew: (w: string, asked: number, ids?: string[]) => {
        if (stalled) return Promise.resolve();
        if (oldFinishDone && (ids === undefined || ids.includes("j"))) renewalsAfter++;
        return inner.renew(w, lease(asked), ids);
      },
      finish: async (req: Parameters<Store["finish"]>[0]) => {
        if (req.attempt !== 1) return inner.finish(req);
        await finishGate;
        try {
          return await inner.finish(req);
        } finally {
          oldFinishDone = true;
        }
      },
    });
    // the job runs until the test lets it end
    await inner.enqueue([{ id: "j", command: `while [ ! -e ${release} ]; do sleep 0.05; done` }], 5);
    const worker = inProcessWorker({ home: home, store, config, slots: 2, log: (l) => lines.push(l) });
    await worker.start();
    const running = worker.run();
    const job = async () => (await rescuer.get("j"))!;
    try {
      // attempt 1 is running with a pid; its lease lapses; another worker kills it and takes it back
      await waitFor(async () => {
        const j = await job();
        return j.pid !== null && j.lease_until! < new Date().toISOString();
      }, "attempt 1 to run past its lease");
      const j1 = await job();
      killGroup(j1.pid!);
      assert.ok(await rescuer.takeBack(j1, () => false, config));
      stalled = false; // the worker is healthy again
      // the same worker claims the retry (attempt 2) while attempt 1's finish is still being written
      await waitFor(async () => {
        const j = await job();
        return j.attempts === 2 && j.state === "processing" && j.pid !== null;
      }, "attempt 2 to start");
      finishGoes();
      await waitFor(() => oldFinishDone, "attempt 1's finish to be written");
      // attempt 2 must still be the worker's: renewed again and again, never taken back as "worker lost"
      await waitFor(
        async () => {
          const j = await job();
          return renewalsAfter >= 3 || j.state !== "processing" || j.attempts > 2;
        },
        "attempt 2 to be renewed three times after attempt 1's finish",
        30_000,
      );
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
