/**
 * Decisions behind the user's commands on jobs and queues: dlq retry, delete, cancel, kill, queue
 * settings, worker stop. Pure over a caught-up state; refusals throw before any record exists.
 */
import { JobNotFoundError, JobStateError, UsageError } from "../../errors.ts";
import { type Job, type JobState, transition } from "../../job.ts";
import type { Decision } from "../log.ts";
import type { Loaded, QueueSettings, RecordBody } from "../records.ts";
import type { QueueState } from "../state.ts";
import { cascade } from "./cascade.ts";

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

function need(state: QueueState, action: string, id: string): Job {
  const job = state.find(id);
  if (!job) throw new JobNotFoundError(action, id);
  return job;
}

/**
 * `dlq retry`: dead jobs back to pending with their attempts reset (returned as they become);
 * dependencies checked again, and a unique key must not be held by another live job.
 */
export function decideRetry(state: QueueState, ids: readonly string[] | "all", now: Date): Decision<Job[]> {
  const targets = ids === "all"
    ? [...state.jobs.values()].filter((j) => j.state === "dead")
    : unique(ids).map((id) => {
      const job = need(state, "retry", id);
      if (job.state !== "dead") {
        throw new JobStateError(
          `Cannot retry job "${id}": it is ${job.state}, not dead (only DLQ jobs can be retried)`,
        );
      }
      return job;
    });
  const retried = new Set(targets.map((j) => j.id));
  for (const job of targets) {
    for (const dep of job.after ?? []) {
      const d = state.find(dep);
      if (!d) {
        throw new JobStateError(`Cannot retry job "${job.id}": its dependency "${dep}" no longer exists`);
      }
      if (d.state === "dead" && !retried.has(dep)) {
        throw new JobStateError(
          `Cannot retry job "${job.id}": its dependency "${dep}" is dead; retry it first, or both together`,
        );
      }
    }
  }
  // one live job per unique key: the key's holder (state.uniques) is then always the live one
  const keys = new Map<string, string>();
  for (const job of targets) {
    if (job.unique === undefined) continue;
    const holder = state.uniques.get(job.unique);
    if (holder !== undefined && holder !== job.id) {
      throw new JobStateError(
        `Cannot retry job "${job.id}": its unique key "${job.unique}" is held by live job "${holder}"`,
      );
    }
    const other = keys.get(job.unique);
    if (other !== undefined) {
      throw new JobStateError(
        `Cannot retry job "${job.id}": its unique key "${job.unique}" is also held by job "${other}", retried with it`,
      );
    }
    keys.set(job.unique, job.id);
  }
  if (targets.length === 0) return { records: [], result: [] };
  const at = now.toISOString();
  return {
    records: [{ type: "retry", ids: targets.map((j) => j.id) }],
    result: targets.map((j) => transition(j, { type: "retry" }, at)),
  };
}

export function decideDelete(
  state: QueueState,
  ids: readonly string[],
  allowed: readonly JobState[],
  now: Date,
): Decision<CascadeResult> {
  const archived: string[] = [];
  const archivedQueues: Record<string, number> = {};
  /** attempts leaving each output file with the archived jobs (the state counts the live ones') */
  const outs: Record<string, number> = {};
  const load: Loaded = [];
  const targets = unique(ids).map((id) => {
    let job = state.jobs.get(id);
    if (!job) {
      const waiting = state.pending.lookup(id);
      if (waiting) {
        load.push([waiting.ref, waiting.job]);
        job = waiting.job;
      }
    }
    if (!job) {
      job = state.archived > 0 ? state.archiveView?.get(id) : undefined;
      if (job) {
        archived.push(id);
        archivedQueues[job.queue] = (archivedQueues[job.queue] ?? 0) + 1;
        for (const run of job.runs ?? []) if (run.out) outs[run.out[0]] = (outs[run.out[0]] ?? 0) + 1;
      }
    }
    if (!job) throw new JobNotFoundError("delete", id);
    if (job.state === "processing" || !allowed.includes(job.state)) {
      throw new JobStateError(
        job.state === "processing"
          ? `Cannot delete job "${id}": it is processing; wait for it to finish, or kill it`
          : `Cannot delete job "${id}": it is ${job.state}, not ${allowed.join(" or ")}`,
      );
    }
    return job;
  });
  if (targets.length === 0) return { records: [], result: { jobs: [], dependents: [] } };
  const live = targets.filter((j) => !archived.includes(j.id)).map((j) => j.id);
  const deleting = new Set(targets.map((j) => j.id));
  // a completed job's dependents may run (its deletion changes nothing for them, as its archiving does not)
  const unfinished = targets.filter((j) => !archived.includes(j.id) && j.state !== "completed");
  const bury = cascade(state, unfinished.map((j) => [j.id, "was deleted"])).filter(([id]) =>
    !deleting.has(id)
  );
  return {
    records: [{
      type: "delete",
      ids: live,
      ...(archived.length ? { archived, archived_queues: archivedQueues } : {}),
      ...(Object.keys(outs).length ? { outs } : {}),
      ...(load.length ? { load } : {}),
      ...(bury.length ? { bury } : {}),
    }],
    result: { jobs: targets, dependents: buried(state, bury, now) },
  };
}

/** The dependents a cascade sends to the DLQ (live jobs only: cascade()), as they are after it. */
function buried(state: QueueState, bury: ReadonlyArray<[string, string]>, now: Date): Job[] {
  const at = now.toISOString();
  return bury.map(([id, error]) => transition(state.jobs.get(id)!, { type: "bury", error }, at));
}

/**
 * The waiting jobs that depend on one of `ids`, directly or through others, as they are now: the
 * ones that go to the DLQ with them should they end dead (`kill` names them once they did).
 */
export function dependentsOf(state: QueueState, ids: readonly string[]): Job[] {
  return cascade(state, unique(ids).map((id) => [id, "is dead"])).map(([id]) => state.jobs.get(id)!);
}

/**
 * What `cancel` or `delete` did: the jobs they were given, and the waiting dependents they sent to
 * the DLQ with them.
 */
export interface CascadeResult {
  /** the jobs named: dead ("cancelled") after a cancel, as they were before a delete */
  jobs: Job[];
  /** the jobs that waited for them, directly or not, dead naming the dependency that failed them */
  dependents: Job[];
}

/** `cancel`: pending or failed jobs to the DLQ without running ("cancelled"), with their dependents. */
export function decideCancel(state: QueueState, ids: readonly string[], now: Date): Decision<CascadeResult> {
  const load: Loaded = [];
  const targets = unique(ids).map((id) => {
    const waiting = state.jobs.has(id) ? undefined : state.pending.lookup(id);
    if (waiting) load.push([waiting.ref, waiting.job]);
    const job = waiting?.job ?? need(state, "cancel", id);
    if (job.state !== "pending" && job.state !== "failed") {
      const hint = job.state === "processing" ? " (use kill to stop a running job)" : "";
      throw new JobStateError(`Cannot cancel job "${id}": it is ${job.state}${hint}`);
    }
    return job;
  });
  if (targets.length === 0) return { records: [], result: { jobs: [], dependents: [] } };
  const cancelling = new Set(targets.map((j) => j.id));
  const dependents = cascade(state, targets.map((j) => [j.id, "was cancelled"])).filter(([id]) =>
    !cancelling.has(id)
  );
  const jobs: Array<[string, string]> = [
    ...targets.map((j): [string, string] => [j.id, "cancelled"]),
    ...dependents,
  ];
  const at = now.toISOString();
  return {
    records: [{ type: "bury", jobs, ...(load.length ? { load } : {}) }],
    result: {
      jobs: targets.map((j) => transition(j, { type: "bury", error: "cancelled" }, at)),
      dependents: buried(state, dependents, now),
    },
  };
}

/**
 * `kill`: asks the worker running each job to kill it (its whole session, TERM then KILL); the
 * attempt then ends dead with `reason`, without a retry. A job already asked is left as it is.
 */
export function decideKill(
  state: QueueState,
  ids: readonly string[],
  reason: string,
  now: Date,
): Decision<Job[]> {
  const targets = unique(ids).map((id) => {
    const job = need(state, "kill", id);
    if (job.state !== "processing") {
      const hint = job.state === "pending" || job.state === "failed"
        ? " (use cancel for a job that waits)"
        : "";
      throw new JobStateError(`Cannot kill job "${id}": it is ${job.state}${hint}`);
    }
    if (job.claim === null) {
      throw new JobStateError(
        `Cannot kill job "${id}": it was claimed by an older queuectl; stop that worker`,
      );
    }
    return job;
  });
  const records: RecordBody[] = targets.filter((j) => j.kill === undefined).map((j) => ({
    type: "kill",
    id: j.id,
    claim: j.claim!,
    reason,
  }));
  const at = now.toISOString();
  return {
    records,
    result: targets.map((j) =>
      j.kill === undefined ? transition(j, { type: "kill", claim: j.claim!, reason }, at) : j
    ),
  };
}

/** `queue set|pause|resume`: changes the settings given, keeps the others. */
export function decideQueue(
  state: QueueState,
  name: string,
  change: Partial<QueueSettings>,
): Decision<QueueSettings> {
  if (
    change.concurrency !== undefined && !(Number.isSafeInteger(change.concurrency) && change.concurrency >= 0)
  ) {
    throw new UsageError(
      `Invalid concurrency ${change.concurrency}: it must be a whole number, 0 for no limit`,
    );
  }
  const was = state.settings(name);
  const next = { ...was, ...change };
  // nothing changes, a queue named by no job or setting included: writing it would list nothing
  if (next.concurrency === was.concurrency && next.paused === was.paused) {
    return { records: [], result: next };
  }
  return { records: [{ type: "queue", name, ...change }], result: next };
}

export function decideStop(state: QueueState): Decision<number> {
  return { records: [{ type: "stop_workers" }], result: state.seq + 1 };
}
