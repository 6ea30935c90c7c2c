/**
 * `queuectl enqueue`: one job from JSON, a command string or flags; many from JSON lines. With
 * --wait it then waits for the jobs it enqueued (job_wait.ts).
 */
import { OperationError, UsageError } from "../errors.ts";
import type { EnqueueResult, JobSpec } from "../store/mod.ts";
import { printable } from "../printable.ts";
import {
  looksLikeJson,
  parseDuration,
  parseJobJson,
  parseShapeFlags,
  parseTime,
  validateJob,
} from "../validate.ts";
import { type AppContext, command, homeFlag, jsonFlag, openSession, sessionConfig } from "./context.ts";
import { attemptFlagFields } from "./job_flags.ts";
import { printIdleHint } from "./hints.ts";
import { type JobLookup, resolveJobRef } from "../job_ref.ts";
import { lazy } from "../lazy.ts";
import { decodeInput } from "./utf8.ts";

interface EnqueueFlags {
  command?: string;
  id?: string;
  "max-retries"?: string;
  priority?: string;
  "run-at"?: string;
  delay?: string;
  timeout?: string;
  file?: string;
  argv?: boolean;
  queue?: string;
  after?: string[];
  unique?: string;
  env?: string[];
  cwd?: string;
  wait?: boolean;
  json?: boolean;
  home?: string;
}

const opt = (brief: string, placeholder: string) =>
  ({
    kind: "parsed",
    parse: String,
    brief,
    optional: true,
    placeholder,
  }) as const;

/** Fields given as flags, validated; applied over (and never clashing with) the JSON. */
function flagFields(flags: EnqueueFlags, now: Date): Partial<JobSpec> {
  const out: Partial<JobSpec> = {};
  if (flags.command !== undefined) out.command = flags.command;
  if (flags.id !== undefined) out.id = flags.id;
  Object.assign(out, attemptFlagFields(flags));
  if (flags["run-at"] !== undefined && flags.delay !== undefined) {
    throw new UsageError("Cannot enqueue: give --run-at or --delay, not both");
  }
  if (flags["run-at"] !== undefined) out.run_at = parseTime("run-at", flags["run-at"]);
  if (flags.delay !== undefined) {
    const at = new Date(now.getTime() + parseDuration("delay", flags.delay) * 1000);
    // the latest time --run-at and run_at accept (a four-digit year); beyond it Date is invalid
    if (!(at.getTime() < Date.UTC(10000, 0, 1))) {
      throw new UsageError(`Invalid --delay "${flags.delay.slice(0, 40)}": it ends after the year 9999`);
    }
    out.run_at = at.toISOString();
  }
  return { ...out, ...parseShapeFlags(flags) };
}

function merge(
  base: Record<string, unknown>,
  extra: Partial<JobSpec>,
  where: string,
): JobSpec {
  for (const key of Object.keys(extra)) {
    if (key in base && base[key] !== undefined) {
      throw new UsageError(
        `Cannot enqueue ${where}: "${key}" is given both in the JSON and as a flag`,
      );
    }
  }
  // an argv job's command is only its display form: validate the argv again, not both
  const { command, ...rest } = base;
  return validateJob({ ...rest, ...(base.argv ? {} : { command }), ...extra }, where);
}

async function readLines(ctx: AppContext, file: string): Promise<string> {
  if (file === "-") return await ctx.readStdin();
  // an empty path would name the current directory, and fail as one (exit 1): it is bad input
  if (file === "") throw new UsageError(`Invalid --file "": it must not be empty`);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file.startsWith("/") ? file : `${ctx.cwd}/${file}`);
  } catch (e) {
    // a file that cannot be read is a file-system error (exit 1); one whose content is bad is input (2)
    throw new OperationError(`Cannot read --file ${file}: ${(e as Error).message}`);
  }
  return decodeInput(bytes, `--file ${file}`);
}

/** How --file reads its lines (the help says it; the loop in enqueue() does it). */
const FILE_LINES = [
  "With --file, each line is a job: a line starting with { is a job as JSON, any other a shell",
  "command (as if given as the argument); blank lines and lines starting with # are skipped.",
  "Leading and trailing blanks are ignored. The flags apply to every line that leaves the field",
  "out. Nothing is enqueued unless every line is valid; an error names its line.",
];

/** With --argv the arguments are the program and its arguments, verbatim. */
function argvJob(flags: EnqueueFlags, args: string[], fields: Partial<JobSpec>): JobSpec {
  if (flags.file !== undefined || flags.command !== undefined) {
    throw new UsageError(
      "Cannot enqueue: --argv takes the program and its arguments from the arguments; give no --file or --command with it",
    );
  }
  if (args.length === 0) {
    throw new UsageError(
      "Cannot enqueue: --argv needs a program to run, e.g. `queuectl enqueue --argv -- ls -l`",
    );
  }
  return validateJob({ ...fields, argv: args });
}

async function enqueue(
  this: AppContext,
  flags: EnqueueFlags,
  ...args: string[]
): Promise<void> {
  const now = this.clock.now();
  // --after's references (job_ref.ts) are put in place once the store is open: resolveAfter
  const { after: afterRefs, ...fields } = flagFields(flags, now);
  if (!flags.argv && args.length > 1) {
    throw new UsageError(
      `Cannot enqueue: unexpected argument ${
        JSON.stringify(args[1].slice(0, 60))
      } after the command; quote the command as one argument, or pass --argv to run the arguments as a program and its arguments without a shell`,
    );
  }
  const job: string | undefined = args[0];
  let specs: JobSpec[];
  if (flags.argv) {
    specs = [argvJob(flags, args, fields)];
  } else if (flags.file !== undefined) {
    if (
      job !== undefined || flags.command !== undefined || flags.id !== undefined
    ) {
      throw new UsageError(
        "Cannot enqueue: --file takes the jobs from the file; give no job, --command or --id with it",
      );
    }
    const text = await readLines(this, flags.file);
    specs = [];
    const lines = text.split("\n");
    // without flags a line's job is checked once: merged with nothing, it would be checked again as it is
    const defaults = Object.values(fields).some((v) => v !== undefined);
    for (let i = 0; i < lines.length; i++) {
      // a JSON job, a shell command, or nothing (blank, or a # comment): FILE_LINES
      const line = lines[i].trim();
      if (line === "" || line.startsWith("#")) continue;
      const where = `line ${i + 1} of ${flags.file === "-" ? "stdin" : flags.file}`;
      const json = line.startsWith("{");
      if (!defaults) {
        specs.push(json ? parseJobJson(line, where) : validateJob({ command: line }, where));
        continue;
      }
      const spec = json ? parseJobJson(line, where) : { command: line };
      // flags act as defaults for the lines that leave a field out (checked again together)
      const { command, ...rest } = { ...fields, ...spec };
      specs.push(validateJob({ ...rest, ...(rest.argv ? {} : { command }) }, where));
    }
    if (specs.length === 0) {
      throw new UsageError(
        `Cannot enqueue: ${flags.file === "-" ? "stdin" : flags.file} holds no job`,
      );
    }
  } else if (job !== undefined && looksLikeJson(job)) {
    const base = parseJobJson(job);
    if (afterRefs && base.after !== undefined) {
      throw new UsageError('Cannot enqueue the job: "after" is given both in the JSON and as a flag');
    }
    specs = [
      merge(base as unknown as Record<string, unknown>, fields, "the job"),
    ];
  } else {
    if (job !== undefined && flags.command !== undefined) {
      throw new UsageError(
        "Cannot enqueue: give the command as an argument or with --command, not both",
      );
    }
    const command = job ?? flags.command;
    if (command === undefined) {
      throw new UsageError(
        'Cannot enqueue: no job given; try `queuectl enqueue "echo hello"` or see --help',
      );
    }
    specs = [validateJob({ ...fields, command })];
  }
  // a job runs where it was enqueued from, unless it names a directory (relative: to here)
  // (each directory resolved once: a 100,000-line --file names one or a few)
  const resolved = new Map<string, string>();
  for (const spec of specs) {
    const given = spec.cwd ?? ".";
    let cwd = resolved.get(given);
    if (cwd === undefined) resolved.set(given, cwd = absolutePath(this.cwd, given));
    spec.cwd = cwd;
  }
  const session = openSession(this, flags);
  const config = await sessionConfig(session);
  let results: EnqueueResult[];
  try {
    if (afterRefs) await resolveAfter(session.store, afterRefs, specs);
    results = await session.store.enqueue(specs, { max_retries: config.max_retries });
  } catch (e) {
    session.store.close();
    throw e;
  }
  for (const r of results) if (r.existing) this.process.stderr.write(absorbedNote(r));
  // with --wait the exit code says how the jobs ended: a reader of the ids that goes away must not turn it to 0
  if (flags.wait) this.keepExitCode();
  let jobs = results.map((r) => r.job);
  // the ids at once, even with --wait: a script can read them while the jobs run
  if (!flags.json) this.process.stdout.write(jobs.map((j) => j.id).join("\n") + "\n");
  try {
    if (!flags.json) await printIdleHint(this, session, jobs);
    if (flags.wait) {
      // only --wait needs the waiting code (and the store's change feed): lazy.ts
      const { failedJobText, waitForJobs } = await lazy<typeof import("./job_wait.ts")>(
        "src/cli/job_wait.ts",
      );
      const outcome = await waitForJobs(this, session, [...new Set(jobs.map((j) => j.id))]);
      jobs = jobs.map((j) => outcome.ended.get(j.id) ?? j);
      const failed = [...outcome.ended.values()].filter((j) => j.state !== "completed");
      for (const job of failed) this.process.stderr.write(failedJobText(job));
      for (const id of outcome.gone) {
        this.process.stderr.write(`error: Job ${id} was deleted before it ended\n`);
      }
      if (outcome.gone.length > 0 || failed.length > 0) this.exitCode = 1;
    }
  } finally {
    session.store.close();
  }
  if (flags.json) {
    const { json } = await lazy<typeof import("./render.ts")>("src/cli/render.ts");
    this.process.stdout.write(json(flags.file !== undefined ? jobs : jobs[0]));
  }
}

/**
 * Gives the jobs of `specs` that name no dependency of their own (a JSON line's "after" wins over
 * the flag's) the ids --after's references name (job_ref.ts: a whole id, the start of one,
 * @last). The id of a job of this batch names that job, as a whole id does.
 */
async function resolveAfter(store: JobLookup, refs: readonly string[], specs: JobSpec[]): Promise<void> {
  const batch = new Set(specs.flatMap((s) => s.id === undefined ? [] : [s.id]));
  const ids: string[] = [];
  for (const ref of refs) {
    ids.push(batch.has(ref) ? ref : await resolveJobRef(store, ref, "enqueue with --after"));
  }
  for (const spec of specs) spec.after ??= ids;
}

/** `path` made absolute against `base` (itself absolute), with `.` and `..` resolved. */
function absolutePath(base: string, path: string): string {
  const parts: string[] = [];
  for (const part of (path.startsWith("/") ? path : `${base}/${path}`).split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}

/** The note for an enqueue that a live job holding the same unique key absorbed. */
function absorbedNote(r: EnqueueResult): string {
  return `note: job ${r.job.id} (${r.job.state}) holds the unique key ${
    JSON.stringify(printable(r.job.unique ?? ""))
  }: nothing new was enqueued\n`;
}

export const enqueueCommand = command({
  func: enqueue,
  parameters: {
    flags: {
      command: opt(
        "The shell command to run (instead of the positional argument)",
        "cmd",
      ),
      id: opt("Job id (default: a generated, time-sortable id)", "id"),
      "max-retries": opt(
        "Retries after the first attempt (default: config max-retries)",
        "n",
      ),
      priority: opt("Higher runs first (default 0)", "n"),
      "run-at": opt(
        "Do not start before this ISO-8601 time; without an offset or Z, local time (TZ)",
        "time",
      ),
      delay: opt(
        "Do not start before this long from now (30s, 5m, 2h, 1d)",
        "duration",
      ),
      timeout: opt(
        "Kill an attempt after this long (default: config job-timeout)",
        "duration",
      ),
      file: opt(
        "Enqueue every line of this file (- for stdin), a JSON job or a shell command, all or nothing",
        "path",
      ),
      argv: {
        kind: "boolean",
        brief: "Run the arguments as a program and its arguments, without a shell",
        optional: true,
        withNegated: false,
      },
      queue: opt("The queue the job belongs to (default: default)", "name"),
      after: {
        kind: "parsed",
        parse: String,
        brief:
          "Run once this job (id, its start, @last) has completed (repeatable); if it ends dead, so does this one",
        optional: true,
        variadic: true,
        placeholder: "id",
      },
      unique: opt(
        "While a job with this key is pending, processing or failed, enqueue nothing and print its id",
        "key",
      ),
      env: {
        kind: "parsed",
        parse: String,
        brief: "Set this environment variable for the job (repeatable)",
        optional: true,
        variadic: true,
        placeholder: "NAME=value",
      },
      cwd: opt("Run the job in this directory (default: the current one)", "dir"),
      wait: {
        kind: "boolean",
        brief: "Wait until the job completed (exit 0) or is dead (exit 1, printing the end of its output)",
        optional: true,
        withNegated: false,
      },
      ...jsonFlag,
      ...homeFlag,
    },
    aliases: { c: "command" },
    positional: {
      kind: "array",
      parameter: {
        brief: 'A job as JSON ({"command":"...","priority":1,...}) or a shell command string; ' +
          "with --argv, the program and its arguments",
        parse: String,
        placeholder: "job",
      },
    },
  },
  docs: {
    brief: "Add a job to the queue",
    usage: [
      "[flags] <command | json>",
      "[flags] --file <path | ->",
      "[flags] --argv -- <program> [<arg>...]",
    ],
    fullDescription: [
      "Adds one job and prints its id, or with --file many jobs in one transaction.",
      "",
      ...FILE_LINES,
      "",
      "A job is a JSON object with command (or argv) and optional id, queue, max_retries, priority,",
      "run_at (ISO-8601), timeout (seconds), after (ids), unique (a key), env (an object of names",
      "and values) and cwd. Unknown fields are refused. An argument that is not JSON is taken as",
      "the command. The job runs with `sh -c` in the current directory (or cwd, or --cwd);",
      'an argv job ({"argv":["prog","arg",...]} or --argv) runs the program with its arguments',
      "verbatim, without a shell. A command, like each argv element, can hold at most 131071 bytes",
      "of UTF-8 (Linux's limit on one argument of a program), an argv 1 MiB in all.",
      "",
      "A time (--run-at, run_at) with Z or an offset is that instant (2030-01-31T09:00:00Z,",
      "2030-01-31T09:00+01:00); without one it is in the local time zone (TZ), as for date and",
      "cron (2030-01-31T09:00, 2030-01-31 09:00), and a date alone is the start of that day there.",
      "A local time the clocks skip (daylight saving time) is refused.",
      "",
      "A job with --after waits until each job it names has completed; when one ends dead, is",
      "cancelled, killed or deleted, the job goes to the DLQ naming it. Ids enqueued earlier in",
      "the same --file may be named. While a job with the same --unique key is pending,",
      "processing or failed, an enqueue creates nothing: it prints that job's id (exit 0) and a",
      "note on stderr. --wait then blocks until the jobs completed (exit 0) or ended dead (exit 1).",
      "",
      "While a worker of the home runs, it runs the enqueue for you (a call without --file, --wait",
      "or --help): the same command, in your directory, without the start-up of a new process.",
      "QUEUECTL_NO_HANDOFF=1 runs it here. A worker killed meanwhile leaves the call undecided:",
      "it exits 1 saying so (see `queuectl list`), and is never run twice.",
      "",
      "Examples:",
      "  queuectl enqueue 'echo hello'",
      '  queuectl enqueue \'{"id":"report","command":"make report","max_retries":5}\'',
      "  queuectl enqueue -c 'backup.sh' --priority 10 --delay 5m --timeout 1h",
      "  queuectl enqueue --file jobs.txt",
      "  printf '%s\\n' 'make a' 'make b' | queuectl enqueue --file - --queue builds",
      '  queuectl enqueue --argv -- convert "my photo.png" out.jpg',
      "  queuectl enqueue --queue uploads --env BUCKET=photos 'upload.sh'",
      "  queuectl enqueue --id deploy --after build --after test --wait './deploy.sh'",
      "  queuectl enqueue --unique nightly-report 'make report'",
    ].join("\n"),
  },
});
