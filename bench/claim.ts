/**
 * One claim, timed inside the process: opens the home's store (through `openStore`, as the CLI
 * and the worker do), claims one due job for a made-up worker, then, untimed, records its end
 * (exit 0) so that nothing is left processing for a rescuer to take back later. Prints one JSON
 * line: `{"ms": <open + claim committed>, "cpu_ms": <the same in CPU time>, "id": <the job claimed>}`.
 *
 * Timed in the process, not as a CLI call: there is no `claim` command, and what a backlog
 * could make slow is the store's work (open, catch up, decide, append), not Deno's start.
 *
 *   deno run --allow-all bench/claim.ts --home DIR
 */
import { cpuUsage } from "node:process";
import { systemClock } from "../src/clock.ts";
import { openStore } from "../src/store/open.ts";
import { flagValue } from "./helper_args.ts";
// The store loads these on first use (a claim's decisions, the segment readers of a home that
// has segments). Loaded here, before the clock starts, so that what is timed is the store's work
// on the home, not the loading of code a worker loads once.
import "../src/store/decide/claim.ts";
import "../src/store/archive.ts";
import "../src/store/pending.ts";

const WORKER = "w-bench-claim";

export async function claimOnce(home: string): Promise<{ ms: number; cpu_ms: number; id: string }> {
  const t0 = performance.now();
  const c0 = cpuUsage();
  const store = openStore(home, {
    clock: systemClock,
    env: () => undefined,
    warn: (m) => console.error(`warning: ${m}`),
    createHome: false,
  });
  try {
    const [job] = await store.claim({
      worker: WORKER,
      process: [Deno.pid, null],
      slots: [{ sid: null, out: null }],
      leaseSeconds: 3600,
    });
    const ms = performance.now() - t0;
    const c = cpuUsage(c0);
    const cpuMs = (c.user + c.system) / 1000;
    if (!job) throw new Error(`Cannot measure a claim: no job is due in ${home}`);
    await store.finish({
      worker: WORKER,
      id: job.id,
      claim: job.claim,
      outcome: { kind: "exited", code: 0 },
      tail: null,
      config: { backoff_base: 2, backoff_max: 3600 },
    });
    return { ms, cpu_ms: cpuMs, id: job.id };
  } finally {
    store.close();
  }
}

if (import.meta.main) {
  const home = flagValue(Deno.args, "--home");
  if (!home) {
    console.error("usage: claim.ts --home DIR");
    Deno.exit(2);
  }
  console.log(JSON.stringify(await claimOnce(home)));
}
