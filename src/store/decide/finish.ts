/**
 * Decisions about a running attempt: its finish (by its worker, or by a rescuer taking it back
 * from a worker that is gone), its lease renewals, and giving it back uncounted when the worker
 * could not run it for a reason of its own. Each applies only while the job is still held under
 * the claim token the caller names, so a late or repeated call changes nothing. Pure.
 */
import type { BackoffConfig } from "../../backoff.ts";
import { type Job, type Outcome, settle, transition } from "../../job.ts";
import type { Decision } from "../log.ts";
import type { QueueState } from "../state.ts";
import { cascade } from "./cascade.ts";

export interface FinishRequest {
  /** null when a rescuer takes the job back from a lost worker */
  worker: string | null;
  id: string;
  /** the claim token of the attempt (null only for an attempt claimed before tokens existed) */
  claim: number | null;
  outcome: Outcome;
  tail: string | null;
  /** where the attempt's output ends in its slot file */
  out_end?: number;
  config: BackoffConfig;
}

/** The job `id`, if it is processing under claim `claim` (and held by `worker`, unless null). */
export function held(
  state: QueueState,
  id: string,
  claim: number | null,
  worker: string | null,
): Job | undefined {
  const job = state.jobs.get(id);
  if (!job || job.state !== "processing" || job.claim !== claim) return undefined;
  if (worker !== null && job.worker !== worker) return undefined;
  return job;
}

export function decideFinish(state: QueueState, req: FinishRequest, now: Date): Decision<Job | null> {
  const job = held(state, req.id, req.claim, req.worker);
  if (!job) return { records: [], result: null };
  const settled = settle(job, req.outcome, req.config, now);
  const bury = settled.to === "dead" ? cascade(state, [[job.id, "is dead"]]) : [];
  const event = {
    type: "finish" as const,
    worker: req.worker,
    claim: req.claim,
    tail: req.tail,
    out_end: req.out_end ?? null,
    ...settled,
  };
  return {
    records: [{
      type: "finish",
      id: job.id,
      worker: req.worker,
      attempt: job.attempts,
      ...(req.claim !== null ? { claim: req.claim } : {}),
      ...settled,
      tail: req.tail,
      ...(req.out_end !== undefined ? { out_end: req.out_end } : {}),
      ...(bury.length ? { bury } : {}),
    }],
    result: transition(job, event, now.toISOString()),
  };
}

/** Gives an attempt back without counting it (the worker's own failure); null if no longer held. */
export function decideUnclaim(
  state: QueueState,
  worker: string,
  id: string,
  claim: number,
  now: Date,
): Decision<Job | null> {
  const job = held(state, id, claim, worker);
  if (!job) return { records: [], result: null };
  const at = now.toISOString();
  const back = transition(job, { type: "unclaim", claim }, at);
  // a kill was asked for: the job goes to the DLQ with its reason rather than run again later
  if (job.kill !== undefined) {
    const bury: Array<[string, string]> = [[id, job.kill], ...cascade(state, [[id, "is dead"]])];
    return {
      records: [{ type: "unclaim", id, claim }, { type: "bury", jobs: bury }],
      result: transition(back, { type: "bury", error: job.kill }, at),
    };
  }
  return { records: [{ type: "unclaim", id, claim }], result: back };
}

/** Extends the leases of the attempts `worker` still holds among `holds` ([id, claim] pairs). */
export function decideRenew(
  state: QueueState,
  worker: string,
  holds: ReadonlyArray<readonly [string, number]>,
  leaseSeconds: number,
  now: Date,
): Decision<void> {
  const still = holds.filter(([id, claim]) => held(state, id, claim, worker));
  if (still.length === 0) return { records: [], result: undefined };
  const lease_until = new Date(now.getTime() + leaseSeconds * 1000).toISOString();
  return {
    records: [{
      type: "renew",
      worker,
      lease_until,
      ids: still.map(([id]) => id),
      claims: still.map(([, claim]) => claim),
    }],
    result: undefined,
  };
}
