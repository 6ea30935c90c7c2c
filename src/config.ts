/**
 * Settings of a home, kept in `config.jsonc` (comments allowed). Every default lives here, and
 * every value is validated here, once, with a message naming the key and the bad value.
 * Reading uses an ESM JSONC stripper (cheap at start-up); editing loads `jsonc-parser` lazily
 * (jsonc_edit.ts) because it keeps the user's comments and layout but is CommonJS (slow to load).
 */
import stripJsonComments from "strip-json-comments";
import { DURATION_EXAMPLES, durationSeconds } from "./duration.ts";
import { UsageError } from "./errors.ts";
import { withFileLock } from "./file_lock.ts";
import { replaceFileDurably } from "./durable.ts";
import { lazy } from "./lazy.ts";

export interface Config {
  max_retries: number;
  backoff_base: number;
  backoff_max: number;
  job_timeout: number;
  lease_timeout: number;
  poll_interval: number;
  retention_completed: number;
  retention_dead: number;
}

export type ConfigKey = keyof Config;

interface KeySpec {
  key: ConfigKey;
  default: number;
  integer: boolean;
  min: number;
  /** true when `min` itself is not allowed */
  exclusive: boolean;
  max: number;
  doc: string;
  /** a number of seconds, which `config set` also takes as a duration (30s, 5m, 12h, 7d: duration.ts) */
  duration?: boolean;
}

export const CONFIG_KEYS: readonly KeySpec[] = [
  {
    key: "max_retries",
    default: 3,
    integer: true,
    min: 0,
    exclusive: false,
    max: 1000,
    doc: "retries after the first attempt, for jobs enqueued without max_retries",
  },
  {
    key: "backoff_base",
    default: 2,
    integer: false,
    min: 1,
    exclusive: false,
    max: 1000,
    doc: "after failed attempt n a job waits backoff_base^n seconds",
  },
  {
    key: "backoff_max",
    default: 3600,
    integer: false,
    min: 0,
    exclusive: true,
    max: 31_536_000,
    doc: "cap on one retry delay, in seconds",
    duration: true,
  },
  {
    key: "job_timeout",
    default: 0,
    integer: false,
    min: 0,
    exclusive: false,
    max: 31_536_000,
    doc: "seconds before an attempt is killed, for jobs without timeout (0 = none)",
    duration: true,
  },
  {
    key: "lease_timeout",
    default: 30,
    integer: false,
    min: 1,
    exclusive: false,
    max: 86_400,
    doc: "seconds a claim stays valid without renewal before the job is taken back",
    duration: true,
  },
  {
    key: "poll_interval",
    default: 1,
    integer: false,
    min: 0.05,
    exclusive: false,
    max: 3600,
    doc: "seconds between an idle worker's checks when no file-system event arrives",
    duration: true,
  },
  {
    key: "retention_completed",
    default: 0,
    integer: false,
    min: 0,
    exclusive: false,
    max: 3_153_600_000,
    doc:
      "compaction prunes completed jobs that finished longer ago than this, in seconds or a duration such as 30d (0 = keep them)",
    duration: true,
  },
  {
    key: "retention_dead",
    default: 0,
    integer: false,
    min: 0,
    exclusive: false,
    max: 3_153_600_000,
    doc:
      "compaction prunes dead jobs that died longer ago than this, in seconds or a duration such as 90d (0 = keep them)",
    duration: true,
  },
];

export const DEFAULT_CONFIG: Config = Object.fromEntries(
  CONFIG_KEYS.map((k) => [k.key, k.default]),
) as unknown as Config;

/** `max-retries`, `max_retries` and `maxRetries` all name the same key. */
export function configKey(name: string): ConfigKey {
  const norm = name.replace(/([a-z])([A-Z])/g, "$1_$2").replaceAll("-", "_")
    .toLowerCase();
  const spec = CONFIG_KEYS.find((k) => k.key === norm);
  if (!spec) {
    throw new UsageError(
      `Unknown config key "${name}": expected one of ${CONFIG_KEYS.map((k) => displayKey(k.key)).join(", ")}`,
    );
  }
  return spec.key;
}

export function displayKey(key: ConfigKey): string {
  return key.replaceAll("_", "-");
}

function specOf(key: ConfigKey): KeySpec {
  return CONFIG_KEYS.find((k) => k.key === key)!;
}

/** Why `value` is not valid for `key`, or null. */
export function valueProblem(key: ConfigKey, value: unknown): string | null {
  const spec = specOf(key);
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return "it must be a number";
  }
  if (spec.integer && !Number.isInteger(value)) {
    return "it must be a whole number";
  }
  if (spec.exclusive ? value <= spec.min : value < spec.min) {
    return `it must be ${spec.exclusive ? "greater than" : "at least"} ${spec.min}`;
  }
  if (value > spec.max) return `it must be at most ${spec.max}`;
  return null;
}

/**
 * Parses a value typed on the command line for `key`: a number, or for a key in seconds, a
 * duration as every duration flag takes it (duration.ts), stored as its number of seconds.
 */
export function parseConfigValue(key: ConfigKey, raw: string): number {
  const fail = (problem: string): never => {
    throw new UsageError(`Cannot set ${displayKey(key)} to "${raw}": ${problem}`);
  };
  const trimmed = raw.trim();
  let value: number;
  if (specOf(key).duration) {
    value = durationSeconds(trimmed) ??
      fail(`it must be a number of seconds or a duration such as ${DURATION_EXAMPLES}`);
  } else {
    value = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed) ? Number(trimmed) : NaN;
    if (Number.isNaN(value)) fail("it must be a number");
  }
  const problem = valueProblem(key, value);
  if (problem) fail(problem);
  return value;
}

/** Validates a parsed config object; unknown keys and bad values are refused by name. */
export function validateConfig(raw: unknown, file: string): Config {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new UsageError(`Cannot read ${file}: it must hold one JSON object`);
  }
  const config: Config = { ...DEFAULT_CONFIG };
  for (const [name, value] of Object.entries(raw)) {
    let key: ConfigKey;
    try {
      key = configKey(name);
    } catch (e) {
      throw new UsageError(`Cannot read ${file}: ${(e as Error).message}`);
    }
    const problem = valueProblem(key, value);
    if (problem) {
      throw new UsageError(
        `Cannot read ${file}: ${displayKey(key)} is ${JSON.stringify(value)}, but ${problem}`,
      );
    }
    config[key] = value as number;
  }
  return config;
}

export function parseConfigText(text: string, file: string): Config {
  let raw: unknown;
  try {
    raw = JSON.parse(stripJsonComments(text, { trailingCommas: true }));
  } catch (e) {
    throw new UsageError(
      `Cannot read ${file}: it is not valid JSONC (${(e as Error).message})`,
    );
  }
  return validateConfig(raw, file);
}

/** The config of `file`, read now (defaults when it does not exist). Throws UsageError when invalid. */
export function loadConfigSync(file: string): Config {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { ...DEFAULT_CONFIG };
    throw e;
  }
  return parseConfigText(text, file);
}

export function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    // sync: a small file, and an async read costs a round trip through Deno's thread pool per CLI call
    text = Deno.readTextFileSync(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return Promise.resolve({ ...DEFAULT_CONFIG });
    return Promise.reject(e);
  }
  try {
    return Promise.resolve(parseConfigText(text, file));
  } catch (e) {
    return Promise.reject(e);
  }
}

export function configTemplate(): string {
  const lines = [
    "// queuectl settings for this home. Edit by hand or with `queuectl config set`.",
    "{",
  ];
  CONFIG_KEYS.forEach((k, i) => {
    lines.push(`  // ${k.doc} (default ${k.default})`);
    lines.push(
      `  "${k.key}": ${k.default}${i < CONFIG_KEYS.length - 1 ? "," : ""}`,
    );
  });
  lines.push("}", "");
  return lines.join("\n");
}

function readOrTemplate(file: string): string {
  try {
    return Deno.readTextFileSync(file);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    return configTemplate();
  }
}

/**
 * Sets one key in `file`, keeping its comments; the file is replaced durably. The read, the edit
 * and the write hold an exclusive OS lock on `lockFile` (`config.lock` in the home): without it,
 * sets of different keys made at once each read the same old file and the last rename won.
 */
export async function setConfigValue(
  file: string,
  key: ConfigKey,
  value: number,
  lockFile: string,
): Promise<void> {
  // refuse to edit a file that is already broken before anything (the lock file) is created
  parseConfigText(readOrTemplate(file), file);
  // loaded before the lock is taken: it is slow to load, and the lock is held only to edit
  const { modify, applyEdits } = await lazy<typeof import("./jsonc_edit.ts")>("src/jsonc_edit.ts");
  await withFileLock(lockFile, () => {
    const text = readOrTemplate(file);
    parseConfigText(text, file); // broken meanwhile, by hand
    // an existing spelling of the key (e.g. "max-retries") is edited in place, keeping its comments
    const raw = JSON.parse(stripJsonComments(text, { trailingCommas: true })) as Record<string, unknown>;
    const spelling = Object.keys(raw).find((name) => configKey(name) === key) ?? key;
    const edits = modify(text, [spelling], value, {
      formattingOptions: { insertSpaces: true, tabSize: 2 },
    });
    replaceFileDurably(file, applyEdits(text, edits));
  });
}
