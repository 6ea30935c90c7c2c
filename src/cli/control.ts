/**
 * `queuectl kill | cancel | wait`: stopping jobs and waiting for them. `kill` asks the worker
 * running a job to kill its whole session (SIGTERM, then SIGKILL after the grace period) and
 * waits until the job's end is recorded (dead, "killed"); `cancel` sends waiting jobs to the DLQ;
 * `wait` blocks until jobs completed or are dead. All wait on the store's change feed.
 */
import { OperationError, UsageError } from "../errors.ts";
import type { Job } from "../job.ts";
import { printable } from "../printable.ts";
import { cancelJobs, dependentsOf, requestKill } from "../usecases/jobs.ts";
import { parseDuration } from "../validate.ts";
import { livenessDeps, verdict } from "../worker/liveness.ts";
import { isStoppedState, processState } from "../worker/proc_status.ts";
import { type AppContext, homeFlag, jsonFlag, type JsonFlags, openSession } from "./context.ts";
import { command } from "./command.ts";
import { untilSettled, waitForJobs } from "./job_wait.ts";
import { checkJobRef, resolveJobRefs } from "../job_ref.ts";
import { jobRefsParam } from "./job_ref_params.ts";
import { json } from "./render.ts";

/** The ids of a command that needs at least one, each checked (exit 2 on a bad one). */
function needIds(refs: string[], action: string, what: string): void {
  if (refs.length === 0) throw new UsageError(`Cannot ${action}: give the ids of ${what}`);
  refs.forEach(checkJobRef);
}

/** How a job ended, in a few words: "completed", "dead (exit code 3)". */
function ending(job: Job): string {
  return job.state === "dead" ? `dead (${printable(job.last_error ?? "no error recorded")})` : job.state;
}

async function kill(this: AppContext, flags: JsonFlags, ...refs: string[]): Promise<void> {
  needIds(refs, "kill", "processing jobs");
  const session = openSession(this, flags);
  try {
    const ids = await resolveJobRefs(session.store, refs, "kill");
    // read before the kill: once a job is dead, those that waited for it wait no more
    const waiting = await dependentsOf(session.store, ids);
    const asked = await requestKill(session.store, ids);
    const claims = new Map(asked.map((j) => [j.id, j.claim]));
    const final = new Map(asked.map((j) => [j.id, j]));
    const liveness = livenessDeps(session.paths);
    const noted = new Set<string>();
    const out = (line: string) => {
      if (!flags.json) this.process.stdout.write(line + "\n");
    };
    await untilSettled(this, session, asked.map((j) => j.id), async (id, job) => {
      if (!job || job.state !== "processing" || job.claim !== claims.get(id)) {
        if (job) final.set(id, job);
        if (!job) out(`${id} was deleted`);
        else if (job.state === "dead") out(`killed ${id}: it is ${ending(job)}, in the DLQ`);
        else if (job.state === "completed") out(`${id} completed (exit code 0) before the kill ended it`);
        else out(`${id} is ${job.state}: its worker gave it back before the kill reached it`);
        return true;
      }
      // still held under that claim: is there a worker to kill it?
      const [pid] = job.worker_proc ?? [null];
      if (job.worker !== null && (await verdict(liveness, job.worker, job.worker_proc ?? null)) === "dead") {
        this.process.stderr.write(
          `note: worker ${job.worker}, which ran ${id}, is gone: the kill is recorded, and a running worker's ` +
            `rescuer (or the next worker started) takes the job back, killing what is left of it; it then ends ` +
            `dead ("${job.kill}")\n`,
        );
        return true;
      }
      if (pid !== null && !noted.has(id) && isStoppedState(await processState(pid))) {
        noted.add(id);
        this.process.stderr.write(
          `note: worker ${job.worker} (pid ${pid}), which runs ${id}, is stopped; it kills the job when it is ` +
            `resumed (kill -CONT ${pid})\n`,
        );
      }
      return false;
    }, { recheckMs: 1000 });
    // the jobs that waited for a killed one went to the DLQ with it (last_error names the dependency)
    const buried: Job[] = [];
    for (const { id } of waiting) {
      const job = await session.store.get(id);
      if (job?.state !== "dead" || !job.last_error?.startsWith("dependency ")) continue;
      buried.push(job);
      out(`sent ${id} to the DLQ: its ${printable(job.last_error)}`);
    }
    // --json: the jobs named, then the dependents that went with them (as cancel prints them)
    if (flags.json) this.process.stdout.write(json([...final.values(), ...buried]));
  } finally {
    session.store.close();
  }
}

async function cancel(this: AppContext, flags: JsonFlags, ...refs: string[]): Promise<void> {
  needIds(refs, "cancel", "pending or failed jobs");
  const session = openSession(this, flags);
  try {
    const ids = await resolveJobRefs(session.store, refs, "cancel");
    const { jobs, dependents } = await cancelJobs(session.store, ids);
    // --json: the jobs named, then the dependents that went with them (each with its last_error)
    if (flags.json) this.process.stdout.write(json([...jobs, ...dependents]));
    else {
      for (const job of jobs) {
        this.process.stdout.write(`cancelled ${job.id}: it is dead (cancelled), in the DLQ\n`);
      }
      for (const job of dependents) {
        // last_error: dependency "p" was cancelled, dependency "d1" is dead (decide/cascade.ts)
        this.process.stdout.write(
          `cancelled ${job.id}: its ${printable(job.last_error ?? "dependency")}, in the DLQ\n`,
        );
      }
    }
  } finally {
    session.store.close();
  }
}

interface WaitFlags extends JsonFlags {
  timeout?: string;
}

async function wait(this: AppContext, flags: WaitFlags, ...refs: string[]): Promise<void> {
  needIds(refs, "wait", "the jobs to wait for");
  // the exit code says whether every job completed: it stands when the reader of stdout goes away
  this.keepExitCode();
  const timeout = flags.timeout === undefined ? undefined : parseDuration("timeout", flags.timeout);
  const session = openSession(this, flags);
  try {
    const unique = await resolveJobRefs(session.store, refs, "wait for");
    for (const id of unique) {
      if (!(await session.store.get(id))) {
        throw new OperationError(`Cannot wait for job "${id}": no such job`);
      }
    }
    const outcome = await waitForJobs(this, session, unique, {
      ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
      onEnd: (job) => {
        if (!flags.json) this.process.stdout.write(`${job.id} ${ending(job)}\n`);
      },
    });
    if (flags.json) {
      const jobs = [...outcome.ended.values(), ...outcome.waiting];
      this.process.stdout.write(json(unique.flatMap((id) => jobs.filter((j) => j.id === id))));
    }
    const dead = [...outcome.ended.values()].filter((j) => j.state === "dead");
    const problems: string[] = [];
    if (dead.length > 0) {
      problems.push(
        `${dead.length} of ${unique.length} ended dead: ` +
          dead.map((j) => `${j.id} (${printable(j.last_error ?? "no error recorded")})`).join(", "),
      );
    }
    if (outcome.gone.length > 0) problems.push(`deleted while waited for: ${outcome.gone.join(", ")}`);
    if (outcome.waiting.length > 0) {
      problems.push(
        `timed out after ${flags.timeout} with ${outcome.waiting.length} still waiting: ` +
          outcome.waiting.map((j) => `${j.id} (${j.state})`).join(", "),
      );
    }
    if (problems.length > 0) throw new OperationError(`Not every job completed: ${problems.join("; ")}`);
  } finally {
    session.store.close();
  }
}

export const killCommand = command({
  func: kill,
  parameters: { flags: { ...jsonFlag, ...homeFlag }, positional: jobRefsParam },
  docs: {
    brief: "Kill processing jobs (their whole process tree); they go to the DLQ",
    fullDescription: [
      "The worker running each job sends SIGTERM to everything the job started, then SIGKILL",
      'after a grace period; the job ends dead with last_error "killed", without a retry, and the',
      "jobs that wait for it (--after) go to the DLQ too, each named. Waits until each kill is",
      "recorded. A job in another state is refused (exit 1; cancel a job that waits). When the",
      "worker running a job is gone, the kill stays recorded: a rescuer takes the job back and it",
      "ends dead.",
      "",
      "Example:\n  queuectl kill job-1",
    ].join("\n"),
  },
});

export const cancelCommand = command({
  func: cancel,
  parameters: { flags: { ...jsonFlag, ...homeFlag }, positional: jobRefsParam },
  docs: {
    brief: "Send pending or failed jobs to the DLQ without running them",
    fullDescription: [
      'Each job ends dead with last_error "cancelled"; jobs that wait for it (--after) go to the',
      "DLQ too. A job in another state is refused (exit 1; kill a processing job). All or nothing.",
      "",
      "Example:\n  queuectl cancel job-1 job-2",
    ].join("\n"),
  },
});

export const waitCommand = command({
  func: wait,
  parameters: {
    flags: {
      timeout: {
        kind: "parsed",
        parse: String,
        brief: "Give up after this long (30s, 5m, 2h; default: wait for ever)",
        optional: true,
        placeholder: "duration",
      },
      ...jsonFlag,
      ...homeFlag,
    },
    positional: jobRefsParam,
  },
  docs: {
    brief: "Block until jobs have completed or are dead",
    fullDescription: [
      "Prints each job as it ends. Exit 0 when every job completed; 1 when any is dead (naming",
      "them) or the timeout passed (naming those still waiting). Wakes on the store's changes,",
      "not a busy poll. --json prints the jobs as they are when it returns.",
      "",
      "Examples:\n  queuectl wait build test\n  queuectl wait deploy --timeout 10m",
    ].join("\n"),
  },
});
