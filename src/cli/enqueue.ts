/**
 * `queuectl enqueue`'s body: one job from JSON, a command string or flags; many from JSON lines.
 * With --wait it then waits for the jobs it enqueued (job_wait.ts). Its flags and help are in
 * enqueue_cmd.ts; this module loads no part of stricli, so that run.ts can run `enqueue <job>`
 * without the command parser.
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
import { type AppContext, openSession, sessionConfig } from "./context.ts";
import { attemptFlagFields } from "./job_flags.ts";
import { printIdleHint } from "./hints.ts";
import { type JobLookup, resolveJobRef } from "../job_ref.ts";
import { lazy } from "../lazy.ts";
import { decodeInput } from "./utf8.ts";

export interface EnqueueFlags {
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

/** The command's body: `this` its context, `flags` as stricli parsed them (enqueue_cmd.ts), `args` the positionals. */
export async function enqueue(
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
      // a JSON job, a shell command, or nothing (blank, or a # comment): enqueue_cmd.ts FILE_LINES
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
