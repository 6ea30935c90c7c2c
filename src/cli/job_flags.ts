/**
 * The flags that shape a job, shared by every command that makes one (`schedule add` now, and
 * `enqueue`'s own once merged): their stricli specs (`JOB_FLAG_SPECS`), and `jobFlagFields`, which
 * validates them into job fields. Every refusal is a UsageError naming the flag and why.
 */
import { UsageError } from "../errors.ts";
import type { JobSpec } from "../store/mod.ts";
import { LIMITS, parseCount, parseDuration, parseInteger, queueNameProblem } from "../validate.ts";

export interface JobFlags {
  "max-retries"?: string;
  priority?: string;
  timeout?: string;
  queue?: string;
  env?: string[];
  cwd?: string;
}

const opt = (brief: string, placeholder: string) =>
  ({ kind: "parsed", parse: String, brief, optional: true, placeholder }) as const;

/** stricli specs of the job flags, to spread into a command's `flags`. */
export const JOB_FLAG_SPECS = {
  "max-retries": opt("Retries after the first attempt (default: config max-retries)", "n"),
  priority: opt("Higher runs first (default 0)", "n"),
  timeout: opt("Kill an attempt after this long (default: config job-timeout)", "duration"),
  queue: opt("The queue the job joins (default: default)", "name"),
  env: {
    kind: "parsed",
    parse: String,
    brief: "Set a variable in the job's environment (repeatable)",
    optional: true,
    variadic: true,
    placeholder: "NAME=value",
  },
  cwd: opt("Directory the job runs in (default: the current directory)", "dir"),
} as const;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `name` is not an environment variable name, or null. */
export function envNameProblem(name: string): string | null {
  return ENV_NAME.test(name) ? null : "a name is letters, digits and _, not starting with a digit";
}

/** `NAME=value` pairs as an environment; the value may hold `=` and be empty. */
export function parseEnvPairs(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const shown = JSON.stringify(pair.slice(0, 60));
    if (eq < 0) throw new UsageError(`Invalid --env ${shown}: expected NAME=value`);
    const problem = envNameProblem(name);
    if (problem) {
      throw new UsageError(
        `Invalid --env ${shown}: "${name.slice(0, 40)}" is not a variable name (${problem})`,
      );
    }
    if (pair.includes("\0")) throw new UsageError(`Invalid --env ${shown}: it must not contain a NUL byte`);
    env[name] = pair.slice(eq + 1);
  }
  return env;
}

/** An absolute directory for --cwd, relative ones resolved against `base`; it must exist. */
export function parseCwd(text: string, base: string): string {
  if (text === "" || text.includes("\0")) {
    throw new UsageError(`Invalid --cwd ${JSON.stringify(text)}: give a directory`);
  }
  const abs = text.startsWith("/") ? text : `${base}/${text}`;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(abs);
  } catch {
    throw new UsageError(`Invalid --cwd ${JSON.stringify(text.slice(0, 200))}: no such directory`);
  }
  if (!info.isDirectory) {
    throw new UsageError(`Invalid --cwd ${JSON.stringify(text.slice(0, 200))}: it is not a directory`);
  }
  return abs.length > 1 ? abs.replace(/\/+$/, "") : abs;
}

/** The fields of --max-retries, --priority and --timeout, validated (enqueue, schedule add). */
export function attemptFlagFields(
  flags: Pick<JobFlags, "max-retries" | "priority" | "timeout">,
): Partial<JobSpec> {
  const out: Partial<JobSpec> = {};
  if (flags["max-retries"] !== undefined) {
    out.max_retries = parseCount("max-retries", flags["max-retries"], 0, LIMITS.MAX_RETRIES);
  }
  if (flags.priority !== undefined) {
    out.priority = parseInteger("priority", flags.priority, -LIMITS.MAX_PRIORITY, LIMITS.MAX_PRIORITY);
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

/** The job fields the flags give, validated (`cwd` resolved against `base`). */
export function jobFlagFields(flags: JobFlags, base: string): Partial<JobSpec> {
  const out = attemptFlagFields(flags);
  if (flags.queue !== undefined) {
    const problem = queueNameProblem(flags.queue);
    if (problem) {
      throw new UsageError(`Invalid --queue ${JSON.stringify(flags.queue.slice(0, 80))}: ${problem}`);
    }
    out.queue = flags.queue;
  }
  if (flags.env !== undefined && flags.env.length > 0) out.env = parseEnvPairs(flags.env);
  if (flags.cwd !== undefined) out.cwd = parseCwd(flags.cwd, base);
  return out;
}
