/** Read commands: status, list, show (`logs` is logs.ts). None of them writes to the store. */
import { OperationError, UsageError } from "../errors.ts";
import { checkJobRef, resolveJobRef } from "../job_ref.ts";
import { DEFAULT_QUEUE, JOB_STATES, type JobState } from "../job.ts";
import type { QueueInfo } from "../store/mod.ts";
import { zeroCounts } from "../store/state.ts";
import { listWorkers, type WorkerInfo } from "../worker/registry.ts";
import { parseCount, parseQueueName } from "../validate.ts";
import { type AppContext, homeFlag, jsonFlag, type JsonFlags, openSession } from "./context.ts";
import { command } from "./command.ts";
import { jobRefParam } from "./job_ref_params.ts";
import { dependenciesOf } from "../usecases/jobs.ts";
import { printIdleHint } from "./hints.ts";
import { describeJob, JOB_HEADER, jobRows, json, relative, table, thousands } from "./render.ts";

type ReadFlags = JsonFlags;

export const DEFAULT_LIST_LIMIT = 1000;

async function status(this: AppContext, flags: ReadFlags): Promise<void> {
  const session = openSession(this, flags);
  const counts = await session.store.counts();
  const paused = (await session.store.queues()).filter((q) => q.paused);
  const workers = listWorkers(session.paths).filter((w) => w.alive).map((
    { alive: _, ...w },
  ) => w);
  if (flags.json) {
    this.process.stdout.write(json({ counts, workers, paused_queues: paused.map((q) => q.name) }));
    return;
  }
  const now = this.clock.now();
  let out = table(
    ["STATE", "JOBS"],
    JOB_STATES.map((s) => [s, String(counts[s])]),
  );
  if (paused.length > 0) out += pausedText(paused);
  out += `\n${workers.length} worker(s) running`;
  out += workers.length ? ":\n" + workerTable(workers, now) : "\n";
  out += `home: ${session.home}\n`;
  this.process.stdout.write(out);
  await printIdleHint(this, session);
}

/** The lines that say which queues are paused, and how many of their jobs wait. */
function pausedText(paused: QueueInfo[]): string {
  const what = paused.map((q) => `${q.name} (${q.counts.pending + q.counts.failed} waiting)`).join(", ");
  return `\npaused queue(s): ${what}; \`queuectl queue resume NAME\` starts them again\n`;
}

export function workerTable(
  workers: WorkerInfo[],
  now: Date,
): string {
  return table(
    ["WORKER", "PID", "SLOTS", "STARTED", "HEARTBEAT", "JOBS IN HAND"],
    workers.map((w) => [
      w.id + (w.queues ? ` [${w.queues.join(",")}]` : "") + (w.stopping ? " (stopping)" : ""),
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
  queue?: string;
  limit?: string;
  "oldest-first"?: boolean;
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
  const queue = flags.queue === undefined ? undefined : parseQueueName("--queue", flags.queue);
  const order = flags["oldest-first"] ? "asc" : "desc";
  const session = openSession(this, flags);
  // the store merges its sources (live, archived, pending segments) in this order, reading each
  // only as far as the limit needs: the newest 20 of a million jobs read about 20
  const jobs = await session.store.list({ state, queue, order, limit: limit === 0 ? undefined : limit });
  if (flags.json) return this.process.stdout.write(json(jobs));
  const queues = await session.store.queues();
  const paused = queues.filter((q) => q.paused && (queue === undefined || q.name === queue));
  if (jobs.length === 0) {
    this.process.stdout.write(
      `no ${state ?? ""}${state ? " " : ""}jobs${queue ? ` in queue ${queue}` : ""}\n`,
    );
  } else if (jobs.some((j) => j.queue !== DEFAULT_QUEUE) || paused.length > 0) {
    // a QUEUE column once queues are in use; a paused queue says so beside its name
    const names = new Set(paused.map((q) => q.name));
    const rows = jobRows(jobs, this.clock.now()).map((row, i) => {
      const q = jobs[i].queue;
      return [...row.slice(0, 2), names.has(q) ? `${q} (paused)` : q, ...row.slice(2)];
    });
    this.process.stdout.write(table([...JOB_HEADER.slice(0, 2), "QUEUE", ...JOB_HEADER.slice(2)], rows));
  } else this.process.stdout.write(table(JOB_HEADER, jobRows(jobs, this.clock.now())));
  if (paused.length > 0) this.process.stdout.write(pausedText(paused).slice(1));
  if (limit !== 0 && jobs.length === limit) {
    // a cut table says so under it (on stderr: the table stays a table for the pipe it goes to)
    const counts = queue === undefined
      ? await session.store.counts()
      : queues.find((q) => q.name === queue)?.counts ?? zeroCounts();
    const total = state ? counts[state] : Object.values(counts).reduce((a, b) => a + b, 0);
    if (total > jobs.length) {
      const what = `${state ? `${state} ` : ""}jobs${queue ? ` in queue ${queue}` : ""}`;
      this.process.stderr.write(
        `${thousands(jobs.length)} of ${thousands(total)} ${what}; --limit to see more (0 for all)\n`,
      );
    }
  }
}

async function show(
  this: AppContext,
  flags: ReadFlags,
  ref: string,
): Promise<void> {
  checkJobRef(ref);
  const session = openSession(this, flags);
  const id = await resolveJobRef(session.store, ref, "show");
  const job = await session.store.get(id);
  if (!job) throw new OperationError(`Cannot show job "${id}": no such job`);
  if (flags.json) return this.process.stdout.write(json(job));
  this.process.stdout.write(describeJob(job, await dependenciesOf(session.store, job)));
}

export const statusCommand = command({
  func: status,
  parameters: { flags: { ...jsonFlag, ...homeFlag } },
  docs: {
    brief: "Show job counts per state and the running workers",
    fullDescription: "Examples:\n  queuectl status\n  queuectl status --json | jq .counts",
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
      queue: {
        kind: "parsed",
        parse: String,
        brief: "Only jobs of this queue",
        optional: true,
        placeholder: "name",
      },
      limit: {
        kind: "parsed",
        parse: String,
        brief: `Show at most this many jobs, the newest (default ${DEFAULT_LIST_LIMIT}; 0 for all)`,
        optional: true,
        placeholder: "n",
      },
      "oldest-first": {
        kind: "boolean",
        brief: "Oldest first (enqueue order); with --limit, the oldest jobs",
        optional: true,
        withNegated: false,
      },
      ...jsonFlag,
      ...homeFlag,
    },
  },
  docs: {
    brief: "List jobs, optionally by state or queue",
    fullDescription: [
      "Newest first, by enqueue order (--oldest-first reverses it), with --json too. --limit keeps",
      "the newest jobs (the oldest with --oldest-first); when it cuts the list, a line on stderr says",
      'so ("20 of 1,005 jobs; --limit to see more"), but not with --json. Once jobs of other queues',
      "than default exist, or a queue is paused, the table has a QUEUE column and says which queues",
      "are paused.",
      "",
      "Examples:",
      "  queuectl list",
      "  queuectl list --state failed --limit 20",
      "  queuectl list --oldest-first --limit 5",
      "  queuectl list --queue uploads",
      "  queuectl list --json",
    ].join("\n"),
  },
});

export const showCommand = command({
  func: show,
  parameters: { flags: { ...jsonFlag, ...homeFlag }, positional: jobRefParam },
  docs: {
    brief: "Show one job in full",
    fullDescription:
      "The id may be given whole, by its start when only one job's id starts so, or as @last.\n\nExamples:\n  queuectl show job-1\n  queuectl show @last --json\n  queuectl show 01jq4",
  },
});
