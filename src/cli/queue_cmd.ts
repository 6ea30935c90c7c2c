/**
 * `queuectl queue list | set | pause | resume`: the queues of a home, each with its concurrency
 * limit (across every worker), whether it is paused, and its jobs per state. A queue is listed while
 * it has a job or a setting other than the default (store/queue_listing.ts); its settings are user
 * commands, durable when acknowledged.
 */
import { JOB_STATES } from "../job.ts";
import type { QueueInfo, QueueSettings } from "../store/mod.ts";
import { isDefaultSettings, jobCount } from "../store/queue_listing.ts";
import { changeQueue, MAX_CONCURRENCY } from "../usecases/queues.ts";
import { parseCount, parseQueueName } from "../validate.ts";
import { type AppContext, homeFlag, jsonFlag, type JsonFlags, openSession } from "./context.ts";
import { command, routes } from "./command.ts";
import { json, table } from "./render.ts";

const nameParam = {
  kind: "tuple",
  parameters: [{ brief: "Queue name", parse: String, placeholder: "name" }],
} as const;

/** When a queue is listed (the rule of store/queue_listing.ts), in the words of list's help and empty list. */
const LISTED = "a queue is listed while a job names it (in any state, archived ones too) or it has a " +
  "concurrency limit or is paused";

/** The concurrency limit as a table shows it. */
function limitText(concurrency: number): string {
  return concurrency === 0 ? "no limit" : String(concurrency);
}

async function list(this: AppContext, flags: JsonFlags): Promise<void> {
  const session = openSession(this, flags);
  const queues = await session.store.queues();
  session.store.close();
  if (flags.json) return this.process.stdout.write(json(queues));
  if (queues.length === 0) {
    return this.process.stdout.write(`no queues: ${LISTED}\n`);
  }
  this.process.stdout.write(table(
    ["QUEUE", "CONCURRENCY", "STATE", ...JOB_STATES.map((s) => s.toUpperCase())],
    queues.map((q: QueueInfo) => [
      q.name,
      limitText(q.concurrency),
      q.paused ? "paused" : "running",
      ...JOB_STATES.map((s) => String(q.counts[s])),
    ]),
  ));
}

/**
 * Applies `wanted` to queue `name` and says what the queue's settings are now; a hint on stderr
 * (not with --json) when no job names the queue, which is then listed for its settings alone,
 * saying how to give them back (a typo).
 */
async function change(
  ctx: AppContext,
  flags: JsonFlags,
  name: string,
  wanted: Partial<QueueSettings>,
  what: (s: QueueSettings) => string,
): Promise<void> {
  parseQueueName("queue name", name);
  const session = openSession(ctx, flags);
  try {
    const settings = await changeQueue(session.store, name, wanted);
    ctx.process.stdout.write(flags.json ? json(settings) : `queue ${name}: ${what(settings)}\n`);
    if (flags.json || isDefaultSettings(settings)) return;
    const queue = (await session.store.queues()).find((q) => q.name === name);
    if (!queue || jobCount(queue.counts) === 0) {
      const undo = [
        ...(settings.paused ? [`queuectl queue resume ${name}`] : []),
        ...(settings.concurrency !== 0 ? [`queuectl queue set ${name} --concurrency 0`] : []),
      ];
      ctx.process.stderr.write(
        `hint: no job names queue "${name}" yet (a typo? undo it with: ${undo.join(" and ")})\n`,
      );
    }
  } finally {
    session.store.close();
  }
}

/** The settings of a queue in words. */
function describe(s: QueueSettings): string {
  const limit = s.concurrency === 0 ? "no concurrency limit" : `at most ${s.concurrency} job(s) at once`;
  return `${limit}, ${s.paused ? "paused" : "running"}`;
}

interface SetFlags extends JsonFlags {
  concurrency: string;
}

function set(this: AppContext, flags: SetFlags, name: string): Promise<void> {
  const concurrency = parseCount("concurrency", flags.concurrency, 0, MAX_CONCURRENCY);
  return change(this, flags, name, { concurrency }, describe);
}

function pause(this: AppContext, flags: JsonFlags, name: string): Promise<void> {
  return change(
    this,
    flags,
    name,
    { paused: true },
    (s) => `${describe(s)}: no job of it starts until \`queuectl queue resume ${name}\`; running ones finish`,
  );
}

function resume(this: AppContext, flags: JsonFlags, name: string): Promise<void> {
  return change(this, flags, name, { paused: false }, describe);
}

export const queueRoutes = routes({
  list: command({
    func: list,
    parameters: { flags: { ...jsonFlag, ...homeFlag } },
    docs: {
      brief: "List queues with their concurrency limit, paused or not, and jobs per state",
      fullDescription: `${LISTED[0].toUpperCase()}${LISTED.slice(1)}.\n` +
        "`queue resume` and `queue set NAME --concurrency 0` give a queue the defaults back, so one named\n" +
        "by mistake goes away.\n\n" +
        "Example:\n  queuectl queue list",
    },
  }),
  set: command({
    func: set,
    parameters: {
      flags: {
        concurrency: {
          kind: "parsed",
          parse: String,
          brief: "At most this many jobs of the queue processing at once, across every worker (0: no limit)",
          placeholder: "n",
        },
        ...jsonFlag,
        ...homeFlag,
      },
      positional: nameParam,
    },
    docs: {
      brief: "Set a queue's concurrency limit across every worker of the home",
      fullDescription: [
        "Jobs already running when the limit is lowered finish; no new one starts until the queue",
        "is below its limit. Workers apply it at once. --concurrency 0 removes the limit.",
        "",
        "Examples:\n  queuectl queue set uploads --concurrency 2\n  queuectl queue set uploads --concurrency 0",
      ].join("\n"),
    },
  }),
  pause: command({
    func: pause,
    parameters: { flags: { ...jsonFlag, ...homeFlag }, positional: nameParam },
    docs: {
      brief: "Stop claiming a queue's jobs; running jobs finish",
      fullDescription: "Example:\n  queuectl queue pause uploads",
    },
  }),
  resume: command({
    func: resume,
    parameters: { flags: { ...jsonFlag, ...homeFlag }, positional: nameParam },
    docs: {
      brief: "Claim a paused queue's jobs again",
      fullDescription: "Example:\n  queuectl queue resume uploads",
    },
  }),
}, { brief: "Queues: concurrency limits, pause and resume" });
