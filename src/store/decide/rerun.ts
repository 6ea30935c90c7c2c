/**
 * `rerun`: a finished job (completed or dead) enqueued again as a copy under a new id. The copy
 * keeps what the job runs and how (command or argv, queue, env, cwd, priority, max_retries,
 * timeout) and its unique key; it starts as soon as possible, with no dependencies (they ran
 * already: the rerun is asked for now) and no history. The original stays as it is. Pure over a
 * caught-up state; refusals throw before any record exists.
 */
import { JobNotFoundError, JobStateError } from "../../errors.ts";
import { isTerminal, type Job } from "../../job.ts";
import type { Decision } from "../log.ts";
import type { JobSpec } from "../mod.ts";
import type { QueueState } from "../state.ts";
import { decideEnqueue } from "./enqueue.ts";

/** The job a rerun of `job` enqueues, as a spec (no id: a new one is generated). */
export function rerunSpec(job: Job): JobSpec {
  const spec: JobSpec = {
    command: job.command,
    queue: job.queue,
    max_retries: job.max_retries,
    priority: job.priority,
    run_at: null,
    timeout: job.timeout,
    cwd: job.cwd,
  };
  if (job.argv !== undefined) spec.argv = [...job.argv];
  if (job.env !== undefined) spec.env = { ...job.env };
  if (job.unique !== undefined) spec.unique = job.unique;
  return spec;
}

export function decideRerun(
  state: QueueState,
  id: string,
  now: Date,
  rand: () => number = Math.random,
): Decision<Job> {
  const job = state.find(id);
  if (!job) throw new JobNotFoundError("rerun", id);
  if (!isTerminal(job.state)) {
    throw new JobStateError(
      `Cannot rerun job "${id}": it is ${job.state}, not finished (only completed and dead jobs can be rerun)`,
    );
  }
  const { records, result: [made] } = decideEnqueue(
    state,
    [rerunSpec(job)],
    { max_retries: job.max_retries },
    now,
    rand,
  );
  if (made.existing) {
    // one live job per unique key, as for `dlq retry`: the copy would be absorbed, not run
    throw new JobStateError(
      `Cannot rerun job "${id}": its unique key "${job.unique}" is held by live job "${made.job.id}"`,
    );
  }
  return { records, result: made.job };
}
