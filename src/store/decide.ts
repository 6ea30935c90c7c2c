/**
 * Decisions over a caught-up state: pure functions (state, arguments, now) → records + result.
 * They refuse by throwing before any record exists, so a refused command writes nothing.
 */
import { nextRunAt } from "../backoff.ts";
import { OperationError } from "../errors.ts";
import { idMaker } from "../ids.ts";
import {
  claimsBefore,
  describeOutcome,
  isRunnable,
  type Job,
  type JobState,
  type NewJob,
  newJob,
  transition,
} from "../job.ts";
import type { Decision } from "./log.ts";
import type { FinishRequest, JobSpec } from "./mod.ts";
import type { QueueState } from "./state.ts";

export function decideEnqueue(
  state: QueueState,
  specs: JobSpec[],
  defaultMaxRetries: number,
  now: Date,
  rand: () => number = Math.random,
): Decision<Job[]> {
  const at = now.toISOString();
  const seen = new Set<string>();
  // generated ids carry the time and 40 random bits, so only given ids can repeat an archived one
  const given = specs.flatMap((spec) => spec.id === undefined || state.jobs.has(spec.id) ? [] : [spec.id]);
  const archived = state.archived > 0 ? state.archiveView?.findAny(given) : undefined;
  if (archived !== undefined) {
    throw new OperationError(
      `Cannot enqueue job "${archived}": a job with this id already exists`,
    );
  }
  const makeId = idMaker(now.getTime(), rand);
  const fields: NewJob[] = specs.map((spec, i) => {
    let id = spec.id ?? makeId();
    // 40 random bits per millisecond: a batch of 100,000 repeats one with a chance of about 1 in 200
    for (
      let tries = 0;
      spec.id === undefined && tries < 100 && (seen.has(id) || state.jobs.has(id));
      tries++
    ) {
      id = makeId();
    }
    if (state.jobs.has(id)) {
      throw new OperationError(
        `Cannot enqueue job "${id}": a job with this id already exists`,
      );
    }
    if (seen.has(id)) {
      throw new OperationError(
        `Cannot enqueue job "${id}": the id appears twice in this batch`,
      );
    }
    seen.add(id);
    const job: NewJob = {
      id,
      command: spec.command,
      max_retries: spec.max_retries ?? defaultMaxRetries,
      priority: spec.priority ?? 0,
      run_at: spec.run_at ?? at,
      timeout: spec.timeout ?? null,
      cwd: spec.cwd ?? null,
      seq: state.nextOrder + i,
    };
    if (spec.argv !== undefined) job.argv = spec.argv;
    return job;
  });
  // the record holds only what was given: half the bytes to write, checksum and replay
  return {
    records: fields.length ? [{ type: "enqueue", jobs: fields }] : [],
    result: fields.map((f) => newJob(f, at)),
  };
}

/** Picks up to `slots` runnable jobs in claim order. */
export function pickRunnable(
  state: QueueState,
  slots: number,
  nowIso: string,
): Job[] {
  const best: Job[] = [];
  if (slots <= 0) return best;
  for (const id of state.waiting) {
    const job = state.jobs.get(id)!;
    if (!isRunnable(job, nowIso)) continue;
    if (best.length === slots && !claimsBefore(job, best[best.length - 1])) {
      continue;
    }
    let i = best.length;
    while (i > 0 && claimsBefore(job, best[i - 1])) i--;
    best.splice(i, 0, job);
    if (best.length > slots) best.pop();
  }
  return best;
}

export function decideClaim(
  state: QueueState,
  worker: string,
  slots: number,
  leaseSeconds: number,
  now: Date,
): Decision<Job[]> {
  const picked = pickRunnable(state, slots, now.toISOString());
  if (picked.length === 0) return { records: [], result: [] };
  const ids = picked.map((j) => j.id);
  const lease_until = new Date(now.getTime() + leaseSeconds * 1000)
    .toISOString();
  return {
    records: [{ type: "claim", worker, lease_until, ids }],
    // the claimed jobs as they will be once the record applies
    result: picked.map((j) => transition(j, { type: "claim", worker, lease_until }, now.toISOString())),
  };
}

/** True when `job` is still processing under `worker`'s claim number `attempt`. */
export function holds(
  job: Job | undefined,
  worker: string | null,
  attempt: number,
): job is Job {
  return !!job && job.state === "processing" && job.attempts === attempt &&
    (worker === null || job.worker === worker);
}

export function decideFinish(
  state: QueueState,
  req: FinishRequest,
  now: Date,
): Decision<Job | null> {
  const job = state.jobs.get(req.id);
  if (!holds(job, req.worker, req.attempt)) {
    return { records: [], result: null };
  }
  const ok = req.outcome.kind === "exited" && req.outcome.code === 0;
  const to = ok ? "completed" : job.attempts > job.max_retries ? "dead" : "failed";
  const run_at = to === "failed" ? nextRunAt(job.attempts, req.config, now).toISOString() : null;
  const exit_code = req.outcome.kind === "exited" ? req.outcome.code : null;
  const error = describeOutcome(req.outcome);
  const at = now.toISOString();
  return {
    records: [{
      type: "finish",
      id: job.id,
      worker: req.worker,
      attempt: req.attempt,
      to,
      exit_code,
      error,
      run_at,
      tail: req.tail,
    }],
    result: {
      ...job,
      state: to,
      exit_code,
      last_error: error,
      run_at: run_at ?? job.run_at,
      worker: null,
      lease_until: null,
      pid: null,
      pid_start: null,
      updated_at: at,
      finished_at: at,
      output_tail: req.tail ?? job.output_tail,
    },
  };
}

export function decideRetry(
  state: QueueState,
  ids: string[] | "all",
): Decision<Job[]> {
  let targets: Job[];
  if (ids === "all") {
    targets = [...state.jobs.values()].filter((j) => j.state === "dead");
  } else {
    targets = unique(ids).map((id) => {
      // an archived job exists too (it is completed): refusing it as unknown would be wrong
      const job = state.find(id);
      if (!job) {
        throw new OperationError(`Cannot retry job "${id}": no such job`);
      }
      if (job.state !== "dead") {
        throw new OperationError(
          `Cannot retry job "${id}": it is ${job.state}, not dead (only DLQ jobs can be retried)`,
        );
      }
      return job;
    });
  }
  if (targets.length === 0) return { records: [], result: [] };
  return {
    records: [{ type: "retry", ids: targets.map((j) => j.id) }],
    result: targets,
  };
}

export function decideDelete(
  state: QueueState,
  ids: string[],
  allowed: readonly JobState[],
): Decision<Job[]> {
  const archived: string[] = [];
  const targets = unique(ids).map((id) => {
    let job = state.jobs.get(id);
    if (!job) {
      job = state.find(id);
      if (job) archived.push(id);
    }
    if (!job) {
      throw new OperationError(`Cannot delete job "${id}": no such job`);
    }
    if (job.state === "processing" || !allowed.includes(job.state)) {
      throw new OperationError(
        job.state === "processing"
          ? `Cannot delete job "${id}": it is processing; wait for it to finish or stop its worker`
          : `Cannot delete job "${id}": it is ${job.state}, not ${allowed.join(" or ")}`,
      );
    }
    return job;
  });
  const live = targets.filter((j) => !archived.includes(j.id)).map((j) => j.id);
  return {
    records: targets.length ? [{ type: "delete", ids: live, ...(archived.length ? { archived } : {}) }] : [],
    result: targets,
  };
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}
