/**
 * The rescuer: takes back the jobs of workers that are gone. On every pass (at most every
 * RESCUE_MS) a worker looks at the processing jobs of the other workers. For a worker found dead
 * (liveness.ts) it first kills each attempt's session (the slot runner's, recorded by the claim:
 * the job and everything it started, and the slot's cgroup where jobs ran in one), then records
 * the attempt as lost ("worker lost"): counted like any failed attempt, so the job is retried or
 * goes to the DLQ by the usual rules (or ends dead when its kill was asked for). The take-back
 * names the attempt's claim token, so it changes nothing if the job moved on meanwhile.
 *
 * Only when no verdict can be reached (a job claimed by an older queuectl, whose worker's lock
 * is gone) does the lease decide, measured on this worker's own monotonic clock: the job is lost
 * when its `lease_until` has not moved for `lease-timeout` seconds of it.
 */
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { Job } from "../job.ts";
import type { Store } from "../store/mod.ts";
import type { HomePaths } from "../store/paths.ts";
import { type LivenessDeps, type Verdict, verdict } from "./liveness.ts";
import { readTail, sizeOf } from "./output.ts";
import { workerInfo } from "./registry.ts";
import { killSession } from "./session.ts";
import { removeCgroups } from "./cgroup.ts";

export const RESCUE_MS = 1000;

export interface RescuerDeps {
  store: Store;
  paths: HomePaths;
  clock: Clock;
  config: () => Config;
  liveness: LivenessDeps;
  /** this worker's id */
  self: string;
  /** true for an attempt this worker runs now (its own jobs are never rescued) */
  runs: (job: Job) => boolean;
  say: (message: string) => void;
}

export class Rescuer {
  readonly #deps: RescuerDeps;
  #last = -Infinity;
  /** per attempt without a verdict: its lease as last seen, and when (monotonic ms) it last moved */
  readonly #leases = new Map<string, { lease: string | null; since: number }>();

  constructor(deps: RescuerDeps) {
    this.#deps = deps;
  }

  /** One look, if RESCUE_MS passed since the last (or `now` is asked). Returns how many it took back. */
  async pass(force = false): Promise<number> {
    const { clock, store } = this.#deps;
    if (!force && clock.monotonic() - this.#last < RESCUE_MS) return 0;
    this.#last = clock.monotonic();
    const verdicts = new Map<string, Promise<Verdict>>();
    const seen = new Set<string>();
    const cleared = new Set<string>();
    let taken = 0;
    for (const job of await store.processing()) {
      if (this.#deps.runs(job)) continue;
      const key = `${job.id}#${job.claim}`;
      seen.add(key);
      const worker = job.worker ?? "";
      // our own job that we no longer run (its result could not be recorded) is taken back like any
      let v: Verdict = "dead";
      if (worker !== this.#deps.self) {
        if (!verdicts.has(worker)) {
          verdicts.set(worker, verdict(this.#deps.liveness, worker, job.worker_proc ?? null));
        }
        v = await verdicts.get(worker)!;
      }
      if (v === "alive") continue;
      if (v === "unknown" && !this.#stalled(key, job)) continue;
      if (v === "dead" && worker !== this.#deps.self && !cleared.has(worker)) {
        cleared.add(worker);
        await this.#clearCgroups(worker);
      }
      if (await this.#takeBack(job)) taken++;
    }
    for (const key of this.#leases.keys()) if (!seen.has(key)) this.#leases.delete(key);
    return taken;
  }

  /** The lease of an attempt without a verdict has not moved for lease-timeout seconds (monotonic). */
  #stalled(key: string, job: Job): boolean {
    const now = this.#deps.clock.monotonic();
    const seen = this.#leases.get(key);
    if (!seen || seen.lease !== job.lease_until) {
      this.#leases.set(key, { lease: job.lease_until, since: now });
      return false;
    }
    return now - seen.since >= this.#deps.config().lease_timeout * 1000;
  }

  async #takeBack(job: Job): Promise<boolean> {
    const { store, paths, say } = this.#deps;
    // end it before anything else: a retry must never overlap what is left of this attempt
    if (job.pid !== null) {
      try {
        await killSession(job.pid, job.pid_start, null);
      } catch (e) {
        say(`could not kill what ${job.id} left running (session ${job.pid}): ${(e as Error).message}`);
        return false;
      }
    }
    const out = job.runs?.[job.runs.length - 1]?.out;
    let tail: string | null = null;
    let end: number | undefined;
    if (out) {
      const path = `${paths.logsDir}/${out[0]}`;
      try {
        end = sizeOf(path);
        tail = await readTail({ path, start: out[1], end });
      } catch { /* unreadable output: no tail */ }
    }
    const after = await store.finish({
      worker: null,
      id: job.id,
      claim: job.claim,
      outcome: { kind: "lost" },
      tail,
      ...(end !== undefined ? { out_end: end } : {}),
      config: this.#deps.config(),
    });
    if (after) {
      say(`took back ${job.id} from lost worker ${job.worker}: ${after.state} (${after.last_error})`);
    }
    return after !== null;
  }

  /**
   * A dead worker's slot cgroups (named in its heartbeat file, when its jobs ran in cgroups):
   * everything left in them is killed, daemons that left their session included, and they go.
   */
  async #clearCgroups(worker: string): Promise<void> {
    const dir = workerInfo(this.#deps.paths, worker)?.cgroup;
    if (!dir) return;
    try {
      const busy = await removeCgroups(dir);
      if (busy) this.#deps.say(`could not remove the cgroups of lost worker ${worker}: ${busy}`);
    } catch (e) {
      this.#deps.say(
        `could not kill what lost worker ${worker} left in its cgroups: ${(e as Error).message}`,
      );
    }
  }
}
