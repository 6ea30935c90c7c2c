/**
 * `queuectl enqueue`'s flags, arguments and help, for stricli; its body is enqueue.ts's, which
 * run.ts also calls directly for `enqueue <job>` (no flag to parse).
 */
import { homeFlag, jsonFlag } from "./context.ts";
import { command } from "./command.ts";
import { enqueue } from "./enqueue.ts";

const opt = (brief: string, placeholder: string) =>
  ({
    kind: "parsed",
    parse: String,
    brief,
    optional: true,
    placeholder,
  }) as const;

/** How --file reads its lines (the help says it; the loop in enqueue() does it). */
const FILE_LINES = [
  "With --file, each line is a job: a line starting with { is a job as JSON, any other a shell",
  "command (as if given as the argument); blank lines and lines starting with # are skipped.",
  "Leading and trailing blanks are ignored. The flags apply to every line that leaves the field",
  "out. Nothing is enqueued unless every line is valid; an error names its line.",
];

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
