/**
 * Regression (review): a stop signal that arrives while a claim waits for the store lock (another
 * process compacting, a slow disk) must still prevent the claim, since the worker already said
 * "no new claims": the claim's decision asks the worker once it holds the lock. And a second
 * signal at that moment must arm the kill even with nothing running yet.
 */
import assert from "node:assert/strict";
import { inProcessWorker, wrapStore } from "../../testkit/worker_harness.ts";
import { DEFAULT_CONFIG } from "../../src/config.ts";
import { FileStore } from "../../src/store/file_store.ts";
import type { ClaimRequest } from "../../src/store/mod.ts";
import { dirOfHome, exists, withHome } from "../../testkit/mod.ts";

function stopDuringClaim(signals: number): Promise<{ ran: boolean; lines: string[] }> {
  return withHome(async (home) => {
    Deno.mkdirSync(home, { recursive: true });
    const marker = `${dirOfHome(home)}/ran`;
    const inner = new FileStore(home);
    const lines: string[] = [];
    await inner.enqueue([{ id: "j", command: `sleep 1; touch ${marker}` }], { max_retries: 0 });
    const box: { worker?: ReturnType<typeof inProcessWorker> } = {};
    const store = wrapStore(inner, {
      claim: (req: ClaimRequest, proceed?: () => boolean) => {
        const pending = inner.claim(req, proceed); // queued for the store lock...
        for (let i = 0; i < signals; i++) box.worker!.stop("SIGTERM"); // ...when the signal(s) arrive
        return pending;
      },
    });
    const config = { ...DEFAULT_CONFIG };
    const worker = inProcessWorker({ home: home, store, config, log: (l) => lines.push(l) });
    box.worker = worker;
    try {
      await worker.start();
      await worker.run();
      return { ran: exists(marker), lines };
    } finally {
      inner.close();
    }
  });
}

Deno.test("a job claimed after the first stop signal is not started", async () => {
  const { ran, lines } = await stopDuringClaim(1);
  assert.ok(!ran, `the job ran after "no new claims":\n${lines.join("\n")}`);
});

Deno.test("after two stop signals no job runs to its end", async () => {
  const { ran, lines } = await stopDuringClaim(2);
  assert.ok(!ran, `the job ran to its end after two interrupts:\n${lines.join("\n")}`);
});
