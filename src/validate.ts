/**
 * Validation of user input at the border: job JSON, durations, times. Pure; every refusal is a
 * UsageError naming the field and saying why, raised before anything is written.
 */
import { DURATION_EXAMPLES, durationSeconds } from "./duration.ts";
import { UsageError } from "./errors.ts";
import { idProblem } from "./ids.ts";
import { LAST } from "./job_ref.ts";
import { printable } from "./printable.ts";
import { type OffsetAt, parseTimeInput } from "./time_input.ts";
import type { JobSpec } from "./store/mod.ts";

const FIELDS = [
  "id",
  "command",
  "argv",
  "queue",
  "max_retries",
  "priority",
  "run_at",
  "timeout",
  "after",
  "unique",
  "env",
  "cwd",
] as const;
const MAX_RETRIES = 1000;
const MAX_PRIORITY = 1_000_000_000;
const MAX_TIMEOUT = 31_536_000;
/**
 * Linux's MAX_ARG_STRLEN: the most bytes one argument of a program can hold, its terminating NUL
 * included. A command is one argument (`sh -c COMMAND`) and so is each argv element: a longer one
 * makes exec fail with E2BIG, so the job could never run.
 */
const MAX_ARG_BYTES = 131_072;
/**
 * The most bytes an argv may hold in all, a NUL ending each argument. Linux allows a quarter of
 * the stack limit (2 MiB with the usual 8 MiB) for the arguments and the environment together:
 * this leaves the worker's environment the other half.
 */
const MAX_ARGV_BYTES = 1024 * 1024;

/** The length of `text` in UTF-8, as written to the job (a lone surrogate becomes U+FFFD, 3 bytes). */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit < 0xdc00 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Why an argument of `bytes` bytes cannot be passed to a program, or null. */
function argumentProblem(name: string, bytes: number): string | null {
  if (bytes < MAX_ARG_BYTES) return null;
  return `"${name}" is ${bytes} bytes of UTF-8, but Linux passes at most ${
    MAX_ARG_BYTES - 1
  } bytes as one argument of a program (MAX_ARG_STRLEN), so it could never run`;
}

/** Is this positional argument meant as JSON (rather than a command string)? */
export function looksLikeJson(text: string): boolean {
  const c = text.trimStart()[0];
  return c === "{" || c === "[" || c === '"';
}

export function parseJobJson(text: string, where = "the job"): JobSpec {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(
      `Cannot enqueue ${where}: it is not valid JSON (${(e as Error).message})`,
    );
  }
  return validateJob(value, where);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") {
    return value.length > 40 ? "a long string" : JSON.stringify(value);
  }
  if (typeof value === "object") return "an object";
  return String(value);
}

export function validateJob(value: unknown, where = "the job"): JobSpec {
  const fail = (msg: string): never => {
    throw new UsageError(`Cannot enqueue ${where}: ${msg}`);
  };
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    fail(`expected a JSON object with a "command", got ${describe(value)}`);
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!(FIELDS as readonly string[]).includes(key)) {
      fail(
        `unknown field "${key.slice(0, 60)}" (fields: ${FIELDS.join(", ")})`,
      );
    }
  }
  const spec: JobSpec = { command: "" };
  if ("argv" in obj) {
    if ("command" in obj) fail(`give "command" (run by sh -c) or "argv" (run without a shell), not both`);
    spec.argv = checkArgv(obj.argv, fail);
    spec.command = quoteArgv(spec.argv);
  } else {
    if (!("command" in obj)) fail(`"command" is required (or "argv", to run without a shell)`);
    spec.command = checkCommand(obj.command, fail);
  }
  if (obj.id !== undefined) spec.id = checkId(obj.id, fail);
  if (obj.max_retries !== undefined) {
    spec.max_retries = checkInt(
      "max_retries",
      obj.max_retries,
      0,
      MAX_RETRIES,
      fail,
    );
  }
  if (obj.priority !== undefined) {
    spec.priority = checkInt(
      "priority",
      obj.priority,
      -MAX_PRIORITY,
      MAX_PRIORITY,
      fail,
    );
  }
  if (obj.run_at !== undefined) {
    if (typeof obj.run_at !== "string") {
      fail(
        `"run_at" must be an ISO-8601 time string, got ${describe(obj.run_at)}`,
      );
    }
    spec.run_at = checkTime("run_at", obj.run_at as string, fail);
  }
  if (obj.timeout !== undefined && obj.timeout !== null) {
    spec.timeout = checkTimeout(obj.timeout, fail);
  }
  if (obj.queue !== undefined) spec.queue = checkQueue(obj.queue, fail);
  if (obj.after !== undefined) spec.after = checkAfter(obj.after, fail);
  if (obj.unique !== undefined) spec.unique = checkUnique(obj.unique, fail);
  if (obj.env !== undefined) {
    spec.env = checkEnv(obj.env, fail);
    const argv = spec.argv
      ? spec.argv.reduce((n, a) => n + utf8Bytes(a) + 1, 0)
      : utf8Bytes(spec.command) + 1;
    const env = Object.entries(spec.env).reduce((n, [k, v]) => n + utf8Bytes(k) + utf8Bytes(v) + 2, 0);
    if (argv + env > MAX_ARGV_BYTES) {
      fail(
        `"env" and the command are ${
          argv + env
        } bytes of UTF-8 together, more than the ${MAX_ARGV_BYTES} bytes queuectl allows for what one program is given`,
      );
    }
  }
  if (obj.cwd !== undefined && obj.cwd !== null) spec.cwd = checkCwd(obj.cwd, fail);
  return spec;
}

/** What a queue name may be: it shows in tables, URLs and metric labels as it is. */
const QUEUE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Why `name` cannot name a queue, or null when it can. */
export function queueNameProblem(name: string): string | null {
  return QUEUE_NAME.test(name)
    ? null
    : "use 1 to 64 lowercase letters, digits, _ and - (starting with a letter or digit)";
}

/** A queue name from a flag or an argument (`what`: "--queue", "queue name"); UsageError if invalid. */
export function parseQueueName(what: string, name: string): string {
  const problem = queueNameProblem(name);
  if (problem) throw new UsageError(`Invalid ${what} ${JSON.stringify(name.slice(0, 80))}: ${problem}`);
  return name;
}

function checkQueue(value: unknown, fail: (m: string) => never): string {
  if (typeof value !== "string") return fail(`"queue" must be a string, got ${describe(value)}`);
  const problem = queueNameProblem(value);
  return problem ? fail(`"queue" ${describe(value)} is not a queue name: ${problem}`) : value;
}

/** The most dependencies one job may name. */
const MAX_AFTER = 1000;

function checkAfter(value: unknown, fail: (m: string) => never): string[] {
  if (!Array.isArray(value)) return fail(`"after" must be an array of job ids, got ${describe(value)}`);
  if (value.length > MAX_AFTER) return fail(`"after" names ${value.length} jobs (at most ${MAX_AFTER})`);
  for (let i = 0; i < value.length; i++) checkDependency(value[i], fail, `"after[${i}]"`);
  return [...value] as string[];
}

/** One dependency's id; `subject` names it in the message (`"after[2]"`, or `it` for a flag). */
function checkDependency(id: unknown, fail: (m: string) => never, subject: string): string {
  if (typeof id !== "string") return fail(`${subject} must be a job id, got ${describe(id)}`);
  const problem = idProblem(id);
  return problem ? fail(`${subject} is not a job id: ${problem}`) : id;
}

/** The longest unique key, in characters. */
export const MAX_UNIQUE = 256;

function checkUnique(value: unknown, fail: (m: string) => never, subject = `"unique"`): string {
  if (typeof value !== "string") return fail(`${subject} must be a string, got ${describe(value)}`);
  if (value.length === 0) return fail(`${subject} must not be empty`);
  if (value.length > MAX_UNIQUE) {
    return fail(`${subject} is ${value.length} characters long (at most ${MAX_UNIQUE})`);
  }
  if (printable(value) !== value) return fail(`${subject} must not hold control characters`);
  return value;
}

/** A name the shell (and so every job) can see as an environment variable. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkEnv(value: unknown, fail: (m: string) => never): Record<string, string> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return fail(`"env" must be an object of names and string values, got ${describe(value)}`);
  }
  const env: Record<string, string> = {};
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== "string") return fail(`"env.${name.slice(0, 60)}" must be a string, got ${describe(v)}`);
    env[name] = checkEnvEntry(name, v, fail, `"env" name ${describe(name)}`, `"env.${name.slice(0, 60)}"`);
  }
  return env;
}

/** One environment variable; `subjects` name the name and the value in messages. */
function checkEnvEntry(
  name: string,
  value: string,
  fail: (m: string) => never,
  nameSubject: string,
  valueSubject: string,
): string {
  if (!ENV_NAME.test(name)) {
    return fail(
      `${nameSubject} is not an environment variable name: use letters, digits and _, not starting with a digit`,
    );
  }
  if (value.includes("\0")) return fail(`${valueSubject} must not contain a NUL byte`);
  const bytes = utf8Bytes(name) + 1 + utf8Bytes(value);
  if (bytes >= MAX_ARG_BYTES) {
    return fail(
      `${valueSubject} makes an entry NAME=value of ${bytes} bytes of UTF-8, but Linux passes at most ${
        MAX_ARG_BYTES - 1
      } bytes as one environment entry (MAX_ARG_STRLEN), so the job could never run`,
    );
  }
  return value;
}

/** Linux's PATH_MAX: a longer directory cannot be entered in one go. */
const MAX_PATH = 4095;

function checkCwd(value: unknown, fail: (m: string) => never, subject = `"cwd"`): string {
  if (typeof value !== "string") return fail(`${subject} must be a directory path, got ${describe(value)}`);
  if (value === "") return fail(`${subject} must not be empty`);
  if (value.includes("\0")) return fail(`${subject} must not contain a NUL byte`);
  if (utf8Bytes(value) > MAX_PATH) return fail(`${subject} is longer than ${MAX_PATH} bytes (PATH_MAX)`);
  return value;
}

function checkCommand(value: unknown, fail: (m: string) => never): string {
  if (typeof value !== "string") {
    return fail(`"command" must be a string, got ${describe(value)}`);
  }
  if (value.trim().length === 0) return fail(`"command" must not be empty`);
  if (value.includes("\0")) {
    return fail(`"command" must not contain a NUL byte`);
  }
  const tooLong = argumentProblem("command", utf8Bytes(value));
  return tooLong ? fail(tooLong) : value;
}

const MAX_ARGS = 10_000;

function checkArgv(value: unknown, fail: (m: string) => never): string[] {
  if (!Array.isArray(value)) {
    return fail(`"argv" must be an array of strings, got ${describe(value)}`);
  }
  if (value.length === 0) return fail(`"argv" must name a program: it is empty`);
  if (value.length > MAX_ARGS) return fail(`"argv" has more than ${MAX_ARGS} arguments`);
  let total = 0;
  for (let i = 0; i < value.length; i++) {
    const arg = value[i];
    if (typeof arg !== "string") {
      return fail(`"argv[${i}]" must be a string, got ${describe(arg)}`);
    }
    if (arg.includes("\0")) return fail(`"argv[${i}]" must not contain a NUL byte`);
    const bytes = utf8Bytes(arg);
    const tooLong = argumentProblem(`argv[${i}]`, bytes);
    if (tooLong) return fail(tooLong);
    total += bytes + 1;
  }
  if (value[0] === "") return fail(`"argv[0]" must name a program, got ""`);
  if (total > MAX_ARGV_BYTES) {
    return fail(
      `"argv" is ${total} bytes of UTF-8 in all (a NUL ending each argument), more than the ${MAX_ARGV_BYTES} bytes queuectl allows for the arguments of one program`,
    );
  }
  return [...value] as string[];
}

/** The argument vector as one POSIX shell word each: how `list` and `show` display it. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map((a) => /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
}

function checkId(value: unknown, fail: (m: string) => never): string {
  if (typeof value !== "string") {
    return fail(`"id" must be a string, got ${describe(value)}`);
  }
  const problem = idProblem(value);
  return problem ? fail(`"id" is not usable: ${problem}`) : value;
}

function checkInt(
  name: string,
  value: unknown,
  min: number,
  max: number,
  fail: (m: string) => never,
): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    return fail(`"${name}" must be a whole number, got ${describe(value)}`);
  }
  if (value < min || value > max) {
    return fail(`"${name}" must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function checkTimeout(value: unknown, fail: (m: string) => never): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return fail(
      `"timeout" must be a number of seconds, got ${describe(value)}`,
    );
  }
  if (value <= 0 || value > MAX_TIMEOUT) {
    return fail(
      `"timeout" must be greater than 0 and at most ${MAX_TIMEOUT}, got ${value}`,
    );
  }
  return value;
}

const TIME_EXAMPLE = "2026-01-31T09:00:00Z, 2026-01-31T09:00+01:00 or 2026-01-31 09:00 (local time)";

/**
 * A time typed by a user in its UTC form (time_input.ts: without an offset or Z, a local time),
 * or why it is none, to follow the name of the field or flag.
 */
function timeOf(text: string, offsetAt?: OffsetAt): { iso: string } | { skipped: true } | { invalid: true } {
  const time = parseTimeInput(text, offsetAt);
  if ("ms" in time) return { iso: new Date(time.ms).toISOString() };
  return time.problem === "skipped" ? { skipped: true } : { invalid: true };
}

const SKIPPED = "a time the local clock skips (daylight saving time); give an offset or Z";

function checkTime(name: string, text: string, fail: (m: string) => never, offsetAt?: OffsetAt): string {
  const time = timeOf(text, offsetAt);
  if ("iso" in time) return time.iso;
  if ("skipped" in time) return fail(`"${name}" is ${describe(text)}, ${SKIPPED}`);
  return fail(`"${name}" must be an ISO-8601 time such as ${TIME_EXAMPLE}, got ${describe(text)}`);
}

/** Parses a time for a flag (time_input.ts: without an offset or Z, a local time); returns the UTC form. */
export function parseTime(flag: string, text: string, offsetAt?: OffsetAt): string {
  const time = timeOf(text, offsetAt);
  if ("iso" in time) return time.iso;
  const given = `Invalid --${flag} ${JSON.stringify(text.slice(0, 80))}`;
  if ("skipped" in time) throw new UsageError(`${given}: it is ${SKIPPED}`);
  throw new UsageError(`${given}: expected an ISO-8601 time such as ${TIME_EXAMPLE}`);
}

/** A duration flag (duration.ts: "30s", "5m", "1.5h", "250ms", "2d" or seconds), in seconds. */
export function parseDuration(flag: string, text: string): number {
  const seconds = durationSeconds(text);
  if (seconds === null) {
    throw new UsageError(`Invalid --${flag} "${text}": expected a duration such as ${DURATION_EXAMPLES}`);
  }
  return seconds;
}

/** A non-negative whole number from a flag (such as --limit or --count). */
export function parseCount(
  flag: string,
  text: string,
  min: number,
  max: number,
): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `Invalid --${flag} "${text}": expected a whole number from ${min} to ${max}`,
    );
  }
  return n;
}

/** Any whole number (such as --priority). */
export function parseInteger(
  flag: string,
  text: string,
  min: number,
  max: number,
): number {
  const n = /^[+-]?\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `Invalid --${flag} "${text}": expected a whole number from ${min} to ${max}`,
    );
  }
  return n;
}

export const LIMITS = { MAX_RETRIES, MAX_PRIORITY, MAX_TIMEOUT };

/** The job-shaping flags of `enqueue`, as given on the command line. */
export interface ShapeFlags {
  queue?: string;
  after?: readonly string[];
  unique?: string;
  env?: readonly string[];
  cwd?: string;
}

/**
 * The fields the job-shaping flags give (queue, after, unique, env, cwd), each refused with a
 * message naming its flag. `cwd` is returned as given; the caller makes it absolute.
 */
export function parseShapeFlags(flags: ShapeFlags): Partial<JobSpec> {
  const out: Partial<JobSpec> = {};
  const flagFail = (flag: string, value: string) => (m: string): never => {
    throw new UsageError(`Invalid ${flag} ${JSON.stringify(value.slice(0, 80))}: ${m}`);
  };
  if (flags.queue !== undefined) out.queue = parseQueueName("--queue", flags.queue);
  if (flags.after !== undefined && flags.after.length > 0) {
    if (flags.after.length > MAX_AFTER) {
      throw new UsageError(`Invalid --after: ${flags.after.length} jobs named (at most ${MAX_AFTER})`);
    }
    // a flag's ids are references (job_ref.ts): `@last` too; enqueue resolves them
    out.after = flags.after.map((id) =>
      id === LAST ? id : checkDependency(id, flagFail("--after", id), "it")
    );
  }
  if (flags.unique !== undefined) {
    out.unique = checkUnique(flags.unique, flagFail("--unique", flags.unique), "it");
  }
  if (flags.env !== undefined && flags.env.length > 0) {
    const env: Record<string, string> = {};
    for (const entry of flags.env) {
      const fail = flagFail("--env", entry);
      const eq = entry.indexOf("=");
      if (eq < 0) fail("expected NAME=value");
      const name = entry.slice(0, eq);
      if (Object.hasOwn(env, name)) fail(`${name} is given twice`);
      env[name] = checkEnvEntry(name, entry.slice(eq + 1), fail, `the name ${JSON.stringify(name)}`, "it");
    }
    out.env = env;
  }
  if (flags.cwd !== undefined) out.cwd = checkCwd(flags.cwd, flagFail("--cwd", flags.cwd), "it");
  return out;
}
