/**
 * Regression (review): a stop signal that arrives while a claim waits for the store lock (another
 * process compacting, a slow disk) must still prevent the claim, since the worker already said
 * "no new claims": the claim's decision asks the worker once it holds the lock. And a second
 * signal at that moment must arm the kill even with nothing running yet.
 */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../src/config.ts";
import { FileStore } from "../src/store/file_store.ts";
import type { Store } from "../src/store/mod.ts";
import { homePaths } from "../src/store/paths.ts";
import { systemClock } from "../src/store/log.ts";
import { Worker } from "../src/worker/worker.ts";
import { dirOfHome, exists, removeHome, tempHome } from "./helpers.ts";

function wrap(inner: FileStore, overrides: Partial<Record<keyof Store, unknown>>): Store {
  return new Proxy(inner, {
    get(target, key) {
      if (key in overrides) return (overrides as Record<PropertyKey, unknown>)[key];
      const v = (target as unknown as Record<PropertyKey, unknown>)[key];
      return typeof v === "function" ? v.bind(target) : v;
    },
  }) as unknown as Store;
}

async function stopDuringClaim(signals: number): Promise<{ ran: boolean; lines: string[] }> {
  const home = tempHome();
  Deno.mkdirSync(home, { recursive: true });
  const marker = `${dirOfHome(home)}/ran`;
  const inner = new FileStore(home);
  const lines: string[] = [];
  await inner.enqueue([{ id: "j", command: `sleep 1; touch ${marker}` }], 0);
  const box: { worker?: Worker } = {};
  const store = wrap(inner, {
    claim: (w: string, slots: number, lease: number, proceed?: () => boolean) => {
      const pending = inner.claim(w, slots, lease, proceed); // queued for the store lock...
      for (let i = 0; i < signals; i++) box.worker!.stop("SIGTERM"); // ...when the signal(s) arrive
      return pending;
    },
  });
  const config = { ...DEFAULT_CONFIG };
  const worker = new Worker(
    {
      store,
      paths: homePaths(home),
      clock: systemClock,
      loadConfig: () => Promise.resolve(config),
      log: (l) => lines.push(l),
    },
    { slots: 1, drain: false },
    config,
  );
  box.worker = worker;
  try {
    await worker.start();
    await worker.run();
    return { ran: exists(marker), lines };
  } finally {
    inner.close();
    removeHome(home);
  }
}

Deno.test("a job claimed after the first stop signal is not started", async () => {
  const { ran, lines } = await stopDuringClaim(1);
  assert.ok(!ran, `the job ran after "no new claims":\n${lines.join("\n")}`);
});

Deno.test("after two stop signals no job runs to its end", async () => {
  const { ran, lines } = await stopDuringClaim(2);
  assert.ok(!ran, `the job ran to its end after two interrupts:\n${lines.join("\n")}`);
});
