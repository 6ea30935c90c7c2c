/** `queuectl enqueue`: one job from JSON, a command string or flags; many from JSON lines. */
import { UsageError } from "../errors.ts";
import type { JobSpec } from "../store/mod.ts";
import {
  LIMITS,
  looksLikeJson,
  parseCount,
  parseDuration,
  parseInteger,
  parseJobJson,
  parseTime,
  validateJob,
} from "../validate.ts";
import { type AppContext, command, homeFlag, jsonFlag, openSession, sessionConfig } from "./context.ts";
import { json } from "./render.ts";
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
  if (flags["max-retries"] !== undefined) {
    out.max_retries = parseCount(
      "max-retries",
      flags["max-retries"],
      0,
      LIMITS.MAX_RETRIES,
    );
  }
  if (flags.priority !== undefined) {
    out.priority = parseInteger(
      "priority",
      flags.priority,
      -LIMITS.MAX_PRIORITY,
      LIMITS.MAX_PRIORITY,
    );
  }
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
  if (flags.timeout !== undefined) {
    const t = parseDuration("timeout", flags.timeout);
    if (t <= 0 || t > LIMITS.MAX_TIMEOUT) {
      throw new UsageError(
        `Invalid --timeout "${flags.timeout}": it must be greater than 0 and at most ${LIMITS.MAX_TIMEOUT}s`,
      );
    }
    out.timeout = t;
  }
  return out;
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
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file.startsWith("/") ? file : `${ctx.cwd}/${file}`);
  } catch (e) {
    throw new UsageError(`Cannot read --file ${file}: ${(e as Error).message}`);
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

async function enqueue(
  this: AppContext,
  flags: EnqueueFlags,
  ...args: string[]
): Promise<void> {
  const now = this.clock.now();
  const fields = flagFields(flags, now);
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
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === "") continue;
      const where = `line ${i + 1} of ${flags.file === "-" ? "stdin" : flags.file}`;
      const spec = parseJobJson(line, where);
      // flags act as defaults for the lines that leave a field out
      specs.push({ ...fields, ...spec } as JobSpec);
    }
    if (specs.length === 0) {
      throw new UsageError(
        `Cannot enqueue: ${flags.file === "-" ? "stdin" : flags.file} holds no job`,
      );
    }
  } else if (job !== undefined && looksLikeJson(job)) {
    const base = parseJobJson(job);
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
  for (const spec of specs) spec.cwd = this.cwd;
  const session = openSession(this, flags);
  const config = await sessionConfig(session);
  const results = await session.store.enqueue(specs, { max_retries: config.max_retries });
  const jobs = results.map((r) => r.job);
  session.store.close();
  if (flags.json) {
    this.process.stdout.write(json(flags.file !== undefined ? jobs : jobs[0]));
  } else this.process.stdout.write(jobs.map((j) => j.id).join("\n") + "\n");
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
      "run-at": opt("Do not start before this ISO-8601 time", "time"),
      delay: opt(
        "Do not start before this long from now (30s, 5m, 2h, 1d)",
        "duration",
      ),
      timeout: opt(
        "Kill an attempt after this long (default: config job-timeout)",
        "duration",
      ),
      file: opt(
        "Enqueue every JSON line of this file (- for stdin), all or nothing",
        "path",
      ),
      argv: {
        kind: "boolean",
        brief: "Run the arguments as a program and its arguments, without a shell",
        optional: true,
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
    fullDescription: [
      "Adds one job and prints its id, or with --file many jobs in one transaction.",
      "",
      "A job is a JSON object with command (or argv) and optional id, max_retries, priority,",
      "run_at (ISO-8601) and timeout (seconds). Unknown fields are refused. An argument that is",
      "not JSON is taken as the command. The job runs with `sh -c` in the current directory;",
      'an argv job ({"argv":["prog","arg",...]} or --argv) runs the program with its arguments',
      "verbatim, without a shell. A command, like each argv element, can hold at most 131071 bytes",
      "of UTF-8 (Linux's limit on one argument of a program), an argv 1 MiB in all.",
      "",
      "Examples:",
      "  queuectl enqueue 'echo hello'",
      '  queuectl enqueue \'{"id":"report","command":"make report","max_retries":5}\'',
      "  queuectl enqueue -c 'backup.sh' --priority 10 --delay 5m --timeout 1h",
      "  queuectl enqueue --file jobs.jsonl",
      '  queuectl enqueue --argv -- convert "my photo.png" out.jpg',
    ].join("\n"),
  },
});
