/**
 * The job runner's wire format (pure: no I/O): a job spec as the lines runner.sh reads, and
 * the lines it writes back. The protocol itself is described at the top of runner.sh.
 */

/** One attempt of a job, as a runner runs it. */
export interface JobSpec {
  id: string;
  /** 1 for the first attempt */
  attempt: number;
  /** run as `/bin/sh -c command` unless `argv` is given */
  command: string;
  /** a program and its arguments, run without a shell (no word splitting, no globbing) */
  argv?: string[];
  /** the directory the job runs in; null: the runner's own */
  cwd: string | null;
  /** added to the runner's environment (names valid for the shell) */
  env: Record<string, string>;
  /** the file the job's stdout and stderr are appended to */
  output: string;
}

/** What a runner said, one line each (see runner.sh). */
export type Message =
  | { kind: "ready"; pid: number | null; startTime: number | null }
  | { kind: "start" }
  | { kind: "nostart"; what: "cwd" | "output"; reason: string }
  | { kind: "exit"; status: number }
  | { kind: "error"; text: string };

/**
 * How an attempt ended. A runner learns a job's status as a shell does (`$?`), where an exit
 * with code 128+N and a death by signal N look the same: both are reported as `signaled`
 * (with that `code`) when N names a signal, as shells report them.
 */
export type Ended =
  | { kind: "exited"; code: number }
  | { kind: "signaled"; signal: string; code: number }
  /**
   * nothing ran: `fault` "job" when the job itself cannot start (its directory), "worker" when the
   * worker could not start it (its output file, its runner): the worker then gives the attempt back
   */
  | { kind: "not_started"; reason: string; fault: "job" | "worker" }
  | { kind: "runner_lost" };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The longest argument or environment string exec(2) takes on Linux (MAX_ARG_STRLEN, 32
 * pages, less its NUL). A longer command is passed in pieces (see `encodeSpec`).
 */
export const ARG_BYTES = 131_071;
/** UTF-16 units per piece of a long command: at most 3 UTF-8 bytes each, under ARG_BYTES. */
const PIECE = 32 * 1024;
/** Joins its arguments (the pieces of a long command) and runs them, as `sh -c` runs one. */
const JOIN_PIECES = 'IFS=; _qcommand="$*"; unset IFS; set --; eval "$_qcommand"';

function byteLength(text: string): number {
  return text.length * 3 <= ARG_BYTES ? text.length : new TextEncoder().encode(text).length;
}

/** `text` in pieces of at most PIECE units, never cutting a surrogate pair. */
function pieces(text: string): string[] {
  const out: string[] = [];
  for (let at = 0; at < text.length;) {
    let end = Math.min(text.length, at + PIECE);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    out.push(text.slice(at, end));
    at = end;
  }
  return out;
}

/** A value as one line: `-` and the value, or `+` and the value with `\` and newline escaped. */
export function encodeValue(value: string): string {
  if (!value.includes("\n")) return `-${value}\n`;
  return `+${value.replaceAll("\\", "\\\\").replaceAll("\n", "\\n")}\n`;
}

/** Words in single quotes, for the shell's `eval`: `'it'\''s'` is `it's`. */
export function quoteWords(words: readonly string[]): string {
  return words.map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(" ");
}

/** Why a runner cannot be given `spec`, or null. */
export function specProblem(spec: JobSpec): string | null {
  if (!Number.isSafeInteger(spec.attempt) || spec.attempt < 0) {
    return `attempt ${spec.attempt} is not a count`;
  }
  if (spec.argv !== undefined && spec.argv.length === 0) return "its argument vector is empty";
  // what exec(2) is given as one string each: an argument, an environment entry
  const passed: [string, string][] = (spec.argv ?? []).map((arg, i) => [`argument ${i}`, arg]);
  for (const [name, value] of Object.entries(spec.env)) {
    if (!NAME.test(name)) return `environment name ${JSON.stringify(name)} is not a shell variable name`;
    passed.push([`environment variable ${name}`, `${name}=${value}`]);
  }
  const values: [string, string][] = [
    ["id", spec.id],
    ["output path", spec.output],
    ["directory", spec.cwd ?? ""],
    ["command", spec.command],
    ...passed,
  ];
  for (const [what, value] of values) {
    if (value.includes("\0")) return `its ${what} holds a NUL byte`;
  }
  for (const [what, value] of passed) {
    if (byteLength(value) > ARG_BYTES) {
      return `its ${what} is longer than ${ARG_BYTES} bytes, the most exec(2) takes`;
    }
  }
  return null;
}

/**
 * The lines that give `spec` to a runner. Check it with `specProblem` first. A command longer
 * than exec(2) takes in one argument (ARG_BYTES) goes as an argv: `/bin/sh -c JOIN_PIECES
 * /bin/sh PIECE...`, which joins the pieces and evals them in that shell.
 */
export function encodeSpec(spec: JobSpec): string {
  const env = quoteWords(Object.entries(spec.env).map(([name, value]) => `${name}=${value}`));
  let argv = spec.argv;
  let command = argv ? "" : spec.command;
  if (!argv && byteLength(command) > ARG_BYTES) {
    argv = ["/bin/sh", "-c", JOIN_PIECES, "/bin/sh", ...pieces(command)];
    command = "";
  }
  return `run ${spec.attempt}\n` + encodeValue(spec.id) + encodeValue(spec.output) +
    encodeValue(spec.cwd ?? "") + encodeValue(env) + encodeValue(argv ? quoteWords(argv) : "") +
    encodeValue(command);
}

function count(text: string | undefined): number | null {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : null;
}

/** One line a runner wrote, or null when it is not one of its messages. */
export function parseMessage(line: string): Message | null {
  const [word, ...rest] = line.split(" ");
  switch (word) {
    case "ready":
      return { kind: word, pid: count(rest[0]), startTime: count(rest[1]) };
    case "start":
      return { kind: word };
    case "nostart":
      if (rest[0] === "cwd" || rest[0] === "output") {
        return { kind: "nostart", what: rest[0], reason: rest.slice(1).join(" ") };
      }
      return null;
    case "exit": {
      const status = count(rest[0]);
      return status === null ? null : { kind: "exit", status };
    }
    case "error":
      return { kind: "error", text: rest.join(" ") };
    default:
      return null;
  }
}

/** The end of an attempt whose runner reported `exit <status>`. */
export function endedFromStatus(status: number, os: typeof Deno.build.os = Deno.build.os): Ended {
  const signal = status > 128 ? signalName(status - 128, os) : null;
  return signal === null ? { kind: "exited", code: status } : { kind: "signaled", signal, code: status };
}

/** Signals whose numbers are the same on every Unix; Linux numbers the rest below. */
const PORTABLE_SIGNALS: Record<number, string> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  6: "SIGABRT",
  9: "SIGKILL",
  14: "SIGALRM",
  15: "SIGTERM",
};
const LINUX_SIGNALS: Record<number, string> = {
  ...PORTABLE_SIGNALS,
  4: "SIGILL",
  5: "SIGTRAP",
  7: "SIGBUS",
  8: "SIGFPE",
  10: "SIGUSR1",
  11: "SIGSEGV",
  12: "SIGUSR2",
  13: "SIGPIPE",
  16: "SIGSTKFLT",
  17: "SIGCHLD",
  18: "SIGCONT",
  19: "SIGSTOP",
  20: "SIGTSTP",
  21: "SIGTTIN",
  22: "SIGTTOU",
  23: "SIGURG",
  24: "SIGXCPU",
  25: "SIGXFSZ",
  26: "SIGVTALRM",
  27: "SIGPROF",
  28: "SIGWINCH",
  29: "SIGIO",
  30: "SIGPWR",
  31: "SIGSYS",
};

/** The name of signal `number` on `os`, or null when it has none we know. */
export function signalName(number: number, os: typeof Deno.build.os = Deno.build.os): string | null {
  return (os === "linux" ? LINUX_SIGNALS : PORTABLE_SIGNALS)[number] ?? null;
}
