/** Read commands: status, list, show (`logs` is logs.ts). None of them writes to the store. */
import { OperationError, UsageError } from "../errors.ts";
import { idProblem } from "../ids.ts";
import { JOB_STATES, type JobState } from "../job.ts";
import { listWorkers, type WorkerInfo } from "../worker/registry.ts";
import { parseCount } from "../validate.ts";
import { type AppContext, command, homeFlag, type HomeFlags, jsonFlag, openSession } from "./context.ts";
import { describeJob, JOB_HEADER, jobRows, json, relative, table } from "./render.ts";

interface ReadFlags extends HomeFlags {
  json?: boolean;
}

export const DEFAULT_LIST_LIMIT = 1000;

export function checkJobId(id: string): void {
  const problem = idProblem(id);
  if (problem) {
    throw new UsageError(`Invalid job id "${id.slice(0, 80)}": ${problem}`);
  }
}

async function status(this: AppContext, flags: ReadFlags): Promise<void> {
  const session = openSession(this, flags);
  const counts = await session.store.counts();
  const workers = listWorkers(session.paths).filter((w) => w.alive).map((
    { alive: _, ...w },
  ) => w);
  if (flags.json) {
    this.process.stdout.write(json({ counts, workers }));
    return;
  }
  const now = this.clock.now();
  let out = table(
    ["STATE", "JOBS"],
    JOB_STATES.map((s) => [s, String(counts[s])]),
  );
  out += `\n${workers.length} worker(s) running`;
  out += workers.length ? ":\n" + workerTable(workers, now) : "\n";
  out += `home: ${session.home}\n`;
  this.process.stdout.write(out);
}

export function workerTable(
  workers: WorkerInfo[],
  now: Date,
): string {
  return table(
    ["WORKER", "PID", "SLOTS", "STARTED", "HEARTBEAT", "JOBS IN HAND"],
    workers.map((w) => [
      w.id + (w.stopping ? " (stopping)" : ""),
      String(w.pid),
      String(w.slots),
      relative(w.started_at, now),
      relative(w.heartbeat_at, now),
      w.jobs.join(", ") || "-",
    ]),
  );
}

interface ListFlags extends ReadFlags {
  state?: string;
  limit?: string;
}

export function parseState(text: string): JobState {
  if (!(JOB_STATES as readonly string[]).includes(text)) {
    throw new UsageError(
      `Invalid --state "${text}": expected one of ${JOB_STATES.join(", ")}`,
    );
  }
  return text as JobState;
}

async function list(this: AppContext, flags: ListFlags): Promise<void> {
  const state = flags.state === undefined ? undefined : parseState(flags.state);
  const limit = flags.limit === undefined ? DEFAULT_LIST_LIMIT : parseCount("limit", flags.limit, 0, 1e9);
  const session = openSession(this, flags);
  // the store reads (archived) history only as far as the limit needs
  const jobs = await session.store.list({ state, limit: limit === 0 ? undefined : limit });
  if (limit !== 0 && jobs.length === limit) {
    const counts = await session.store.counts();
    const total = state ? counts[state] : Object.values(counts).reduce((a, b) => a + b, 0);
    if (total > jobs.length) {
      this.process.stderr.write(
        `note: showing the first ${jobs.length} of ${total} jobs; use --limit 0 for all\n`,
      );
    }
  }
  if (flags.json) this.process.stdout.write(json(jobs));
  else if (jobs.length === 0) {
    this.process.stdout.write(`no ${state ?? ""}${state ? " " : ""}jobs\n`);
  } else {this.process.stdout.write(
      table(JOB_HEADER, jobRows(jobs, this.clock.now())),
    );}
}

async function show(
  this: AppContext,
  flags: ReadFlags,
  id: string,
): Promise<void> {
  checkJobId(id);
  const session = openSession(this, flags);
  const job = await session.store.get(id);
  if (!job) throw new OperationError(`Cannot show job "${id}": no such job`);
  this.process.stdout.write(flags.json ? json(job) : describeJob(job));
}

const idParam = {
  kind: "tuple",
  parameters: [{ brief: "Job id", parse: String, placeholder: "id" }],
} as const;

export const statusCommand = command({
  func: status,
  parameters: { flags: { ...jsonFlag, ...homeFlag } },
  docs: {
    brief: "Show job counts per state and the running workers",
    fullDescription: "Example:\n  queuectl status\n  queuectl status --json | jq .counts",
  },
});

export const listCommand = command({
  func: list,
  parameters: {
    flags: {
      state: {
        kind: "parsed",
        parse: String,
        brief: `Only jobs in this state (${JOB_STATES.join(", ")})`,
        optional: true,
        placeholder: "state",
      },
      limit: {
        kind: "parsed",
        parse: String,
        brief: `Show at most this many jobs, in enqueue order (default ${DEFAULT_LIST_LIMIT}; 0 for all)`,
        optional: true,
        placeholder: "n",
      },
      ...jsonFlag,
      ...homeFlag,
    },
  },
  docs: {
    brief: "List jobs, optionally by state",
    fullDescription:
      "Examples:\n  queuectl list\n  queuectl list --state failed --limit 20\n  queuectl list --json",
  },
});

export const showCommand = command({
  func: show,
  parameters: { flags: { ...jsonFlag, ...homeFlag }, positional: idParam },
  docs: {
    brief: "Show one job in full",
    fullDescription: "Example:\n  queuectl show job-1\n  queuectl show job-1 --json",
  },
});
