/** Shorthands for tests that drive a Store directly: claims for N slots, an attempt's end, enqueue results as jobs. */
import type { BackoffConfig } from "../src/backoff.ts";
import type { Job, Outcome } from "../src/job.ts";
import type { EnqueueResult, Store } from "../src/store/mod.ts";
import type { RepairDeps } from "../src/store/repair.ts";

export const TEST_BACKOFF: BackoffConfig = { backoff_base: 2, backoff_max: 100 };

/** Claims up to `slots` jobs for `worker` (slots without a session or output file). */
export function claimFor(store: Store, worker: string, slots: number, leaseSeconds = 60): Promise<Job[]> {
  return store.claim({
    worker,
    slots: Array.from({ length: slots }, () => ({ sid: null, out: null })),
    leaseSeconds,
  });
}

/** Ends the attempt `job` holds (as claimed) with `outcome`; `worker` null takes it back as a rescuer would. */
export function finishFor(
  store: Store,
  worker: string | null,
  job: Job,
  outcome: Outcome,
  tail: string | null = null,
  config: BackoffConfig = TEST_BACKOFF,
): Promise<Job | null> {
  return store.finish({ worker, id: job.id, claim: job.claim, outcome, tail, config });
}

export function jobsOf(results: EnqueueResult[]): Job[] {
  return results.map((r) => r.job);
}

/** What a repair needs of the processes around it, where nothing runs: no worker, nothing to kill. */
export const NOTHING_RUNS: RepairDeps = {
  liveWorkers: () => [],
  runners: () => [],
  kill: () => Promise.reject(new Error("nothing runs here to kill")),
};
