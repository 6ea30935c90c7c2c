/**
 * `queuectl schedule add|list|remove|pause|resume`: cron schedules, each enqueuing one job per
 * tick (fired by the workers' scheduler, src/worker/scheduler.ts). The only commands besides
 * `worker` and `dashboard` (which lists schedules with their next run) that load the cron parser
 * (src/cron.ts).
 */
import { checkCron, DEFAULT_TZ } from "../cron.ts";
import { UsageError } from "../errors.ts";
import { printable, shorten } from "../printable.ts";
import type { JobSpec, Schedule } from "../store/mod.ts";
import {
  checkScheduleName,
  listSchedules,
  pauseSchedule,
  removeSchedule,
  shownSchedule as shown,
} from "../usecases/schedules.ts";
import { looksLikeJson, queueNameProblem, validateJob } from "../validate.ts";
import { type AppContext, homeFlag, jsonFlag, type JsonFlags, openSession } from "./context.ts";
import { command, routes } from "./command.ts";
import { envNameProblem, JOB_FLAG_SPECS, jobFlagFields, type JobFlags, parseCwd } from "./job_flags.ts";
import { json, relative, table } from "./render.ts";

interface AddFlags extends JsonFlags, JobFlags {
  tz?: string;
  argv?: boolean;
}

function checkName(name: string | undefined): string {
  if (name === undefined) {
    throw new UsageError("Cannot add a schedule: give its name, its cron expression and its job");
  }
  return checkScheduleName(name);
}

/** The job fields of a JSON template beyond those validateJob knows: queue, env, cwd. */
function templateExtras(obj: Record<string, unknown>, where: string, base: string): Partial<JobSpec> {
  const fail = (m: string): never => {
    throw new UsageError(`Cannot add ${where}: ${m}`);
  };
  const out: Partial<JobSpec> = {};
  if (obj.queue !== undefined) {
    if (typeof obj.queue !== "string") fail(`"queue" must be a string`);
    const problem = queueNameProblem(obj.queue as string);
    if (problem) fail(`"queue" is not usable: ${problem}`);
    out.queue = obj.queue as string;
  }
  if (obj.env !== undefined) {
    if (obj.env === null || typeof obj.env !== "object" || Array.isArray(obj.env)) {
      fail(`"env" must be an object of strings`);
    }
    for (const [k, v] of Object.entries(obj.env as Record<string, unknown>)) {
      const problem = envNameProblem(k);
      if (problem) fail(`"env" names "${k.slice(0, 40)}", which is not a variable name (${problem})`);
      if (typeof v !== "string") fail(`"env.${k}" must be a string`);
    }
    out.env = { ...(obj.env as Record<string, string>) };
  }
  if (obj.cwd !== undefined && obj.cwd !== null) {
    if (typeof obj.cwd !== "string") fail(`"cwd" must be a string`);
    out.cwd = parseCwd(obj.cwd as string, base);
  }
  return out;
}

/** The job a schedule's ticks enqueue, from its JSON, its command string or --argv, and the flags. */
function template(ctx: AppContext, name: string, flags: AddFlags, args: string[]): Schedule["job"] {
  const where = `the job of schedule "${name}"`;
  const fields = jobFlagFields(flags, ctx.cwd);
  let spec: JobSpec;
  if (args.length === 0) {
    throw new UsageError(
      `Cannot add schedule "${name}": give the job after the cron expression, e.g. \`queuectl schedule add ${name} '0 3 * * *' -- backup.sh\``,
    );
  }
  if (flags.argv) {
    spec = { ...validateJob({ argv: args }, where), ...fields };
  } else if (args.length > 1) {
    throw new UsageError(
      `Cannot add schedule "${name}": unexpected argument ${
        JSON.stringify(args[1].slice(0, 60))
      } after the command; quote the command as one argument, or pass --argv to run the arguments as a program and its arguments`,
    );
  } else if (looksLikeJson(args[0])) {
    let obj: unknown;
    try {
      obj = JSON.parse(args[0]);
    } catch (e) {
      throw new UsageError(`Cannot add ${where}: it is not valid JSON (${(e as Error).message})`);
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
      throw new UsageError(`Cannot add ${where}: expected a JSON object with a "command"`);
    }
    const { queue, env, cwd, ...rest } = obj as Record<string, unknown>;
    for (const key of ["id", "run_at"]) {
      if (key in rest) {
        throw new UsageError(
          `Cannot add ${where}: "${key}" cannot be given (a tick's job is NAME@TIME and runs at its tick)`,
        );
      }
    }
    const extras = templateExtras({ queue, env, cwd }, where, ctx.cwd);
    const base = { ...validateJob(rest, where), ...extras } as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (base[key] !== undefined) {
        throw new UsageError(`Cannot add ${where}: "${key}" is given both in the JSON and as a flag`);
      }
    }
    spec = { ...base, ...fields } as JobSpec;
  } else {
    spec = { ...validateJob({ command: args[0] }, where), ...fields };
  }
  const job: Schedule["job"] = {
    command: spec.command,
    priority: spec.priority ?? 0,
    timeout: spec.timeout ?? null,
    cwd: spec.cwd ?? ctx.cwd,
  };
  if (spec.argv) job.argv = spec.argv;
  if (spec.max_retries !== undefined) job.max_retries = spec.max_retries;
  if (spec.queue !== undefined) job.queue = spec.queue;
  if (spec.env !== undefined) job.env = spec.env;
  return job;
}

async function add(this: AppContext, flags: AddFlags, ...args: string[]): Promise<void> {
  const name = checkName(args[0]);
  const cron = args[1];
  if (cron === undefined) {
    throw new UsageError(
      `Cannot add schedule "${name}": give its cron expression, e.g. '0 3 * * *' or @daily`,
    );
  }
  const tz = flags.tz ?? DEFAULT_TZ;
  checkCron({ cron, tz });
  const job = template(this, name, flags, args.slice(2));
  const session = openSession(this, flags);
  const now = this.clock.now();
  const schedule = await session.store.addSchedule({
    name,
    cron: cron.trim(),
    tz,
    paused: false,
    job,
    created_at: now.toISOString(),
    last_tick: null,
  });
  session.store.close();
  const s = shown(schedule, now);
  this.process.stdout.write(
    flags.json ? json(s) : `added schedule ${name} (${s.cron}, ${s.tz}): next run ${s.next_run ?? "never"}\n`,
  );
}

async function list(this: AppContext, flags: JsonFlags): Promise<void> {
  const session = openSession(this, flags);
  const now = this.clock.now();
  const schedules = await listSchedules(session.store, now);
  session.store.close();
  if (flags.json) {
    this.process.stdout.write(json(schedules));
    return;
  }
  if (schedules.length === 0) {
    this.process.stdout.write("no schedules; add one with `queuectl schedule add NAME 'CRON' -- COMMAND`\n");
    return;
  }
  this.process.stdout.write(table(
    ["NAME", "CRON", "TZ", "STATE", "NEXT RUN", "LAST TICK", "QUEUE", "COMMAND"],
    schedules.map((s) => [
      s.name,
      s.cron,
      s.tz,
      s.paused ? "paused" : "active",
      s.next_run ? `${s.next_run.slice(0, 16)}Z (${relative(s.next_run, now)})` : "-",
      s.last_tick ? `${s.last_tick.slice(0, 16)}Z` : "-",
      s.job.queue ?? "default",
      printable(shorten(s.job.command)),
    ]),
  ));
}

async function remove(this: AppContext, flags: JsonFlags, given: string): Promise<void> {
  const name = checkScheduleName(given);
  const session = openSession(this, flags);
  const schedule = await removeSchedule(session.store, name);
  session.store.close();
  this.process.stdout.write(
    flags.json ? json(schedule) : `removed schedule ${name}; the jobs it enqueued stay\n`,
  );
}

async function setPaused(ctx: AppContext, flags: JsonFlags, given: string, paused: boolean): Promise<void> {
  const name = checkScheduleName(given);
  const session = openSession(ctx, flags);
  const s = await pauseSchedule(session.store, name, paused, ctx.clock.now());
  session.store.close();
  ctx.process.stdout.write(
    flags.json
      ? json(s)
      : paused
      ? `paused schedule ${name}: its ticks are skipped until it is resumed\n`
      : `resumed schedule ${name}: next run ${s.next_run ?? "never"}\n`,
  );
}

function pause(this: AppContext, flags: JsonFlags, name: string): Promise<void> {
  return setPaused(this, flags, name, true);
}

function resume(this: AppContext, flags: JsonFlags, name: string): Promise<void> {
  return setPaused(this, flags, name, false);
}

/** One schedule name: remove, pause and resume act on one schedule at a time. */
const nameParam = {
  kind: "tuple",
  parameters: [{ brief: "Schedule name", parse: String, placeholder: "name" }],
} as const;

export const scheduleRoutes = routes({
  add: command({
    func: add,
    parameters: {
      flags: {
        tz: {
          kind: "parsed",
          parse: String,
          brief: "IANA time zone the cron expression is read in (default UTC)",
          optional: true,
          placeholder: "zone",
        },
        ...JOB_FLAG_SPECS,
        argv: {
          kind: "boolean",
          brief: "Run the arguments as a program and its arguments, without a shell",
          optional: true,
          withNegated: false,
        },
        ...jsonFlag,
        ...homeFlag,
      },
      positional: {
        kind: "array",
        parameter: {
          brief: "The schedule's name, its cron expression, then its job: a shell command string or " +
            "JSON; with --argv, the program and its arguments",
          parse: String,
          placeholder: "name cron job",
        },
      },
    },
    docs: {
      brief: "Add a cron schedule: one job per tick, however many workers run",
      fullDescription: [
        "Adds a schedule that enqueues its job at every time its cron expression names, read in",
        "--tz (an IANA zone, default UTC). A running worker fires the ticks: each enqueues exactly",
        "one job, with the id NAME@<time in UTC, to the minute>Z (e.g. nightly@2026-12-06T03:00Z),",
        "however many workers run. Ticks missed while no worker ran make one catch-up run, not",
        "one per tick.",
        "",
        "CRON is five fields, minute hour day-of-month month day-of-week (ranges a-b, lists a,b,",
        "steps */n, names JAN-DEC and SUN-SAT, L for the last day of the month), or a nickname:",
        "@hourly, @daily (@midnight), @weekly, @monthly, @yearly (@annually). When day-of-month and",
        "day-of-week are both restricted, either one matching is enough (as in Vixie cron).",
        "",
        "The job takes the flags of enqueue; without --cwd it runs in the current directory, and",
        "without --max-retries it gets the worker's config max-retries.",
        "",
        "Examples:",
        "  queuectl schedule add nightly '0 3 * * *' --tz Europe/Berlin -- ./backup.sh --full",
        "  queuectl schedule add report @hourly --queue reports --priority 5 -- 'make report'",
        '  queuectl schedule add sync \'*/15 * * * *\' \'{"command":"sync.sh","timeout":600}\'',
      ].join("\n"),
    },
  }),
  list: command({
    func: list,
    parameters: { flags: { ...jsonFlag, ...homeFlag } },
    docs: {
      brief: "List schedules with their next run",
      fullDescription:
        "The next run is computed in the schedule's zone and shown in UTC.\n\nExample:\n  queuectl schedule list",
    },
  }),
  remove: command({
    func: remove,
    parameters: { flags: { ...jsonFlag, ...homeFlag }, positional: nameParam },
    docs: {
      brief: "Remove a schedule (the jobs it enqueued stay)",
      fullDescription: "Example:\n  queuectl schedule remove nightly",
    },
  }),
  pause: command({
    func: pause,
    parameters: { flags: { ...jsonFlag, ...homeFlag }, positional: nameParam },
    docs: {
      brief: "Pause a schedule: its ticks are skipped until it is resumed",
      fullDescription: "Example:\n  queuectl schedule pause nightly",
    },
  }),
  resume: command({
    func: resume,
    parameters: { flags: { ...jsonFlag, ...homeFlag }, positional: nameParam },
    docs: {
      brief: "Resume a paused schedule from its next tick (the ticks missed while paused do not run)",
      fullDescription: "Example:\n  queuectl schedule resume nightly",
    },
  }),
}, { brief: "Cron schedules: enqueue a job at fixed times" });
