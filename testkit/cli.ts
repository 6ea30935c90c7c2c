/**
 * Runs the real CLI (`deno run main.ts`, or a bundle's main.js: `main` of CliOptions) against a home: in the foreground (`cli`, `cliJson`,
 * `cliOk`) or in the background (`spawnCli`, with `untilOutput` and `stopBackground`).
 */
import { waitFor } from "./wait.ts";
import { CLI_FLAGS } from "../src/cli/run_flags.ts";

export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
export const MAIN = `${ROOT}/main.ts`;
export const DENO = Deno.execPath();
/** The flags the installed CLI runs with. */
export { CLI_FLAGS };

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The CLI's main module: main.ts of the sources (MAIN, the default) or a bundle's main.js. */
  main?: string;
  stdin?: string;
  env?: Record<string, string>;
  cwd?: string;
}

/** Runs `queuectl <args>` against `home` and waits for it. */
export async function cli(home: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = new Deno.Command(DENO, {
    args: ["run", ...CLI_FLAGS, options.main ?? MAIN, ...args],
    env: { QUEUECTL_HOME: home, NO_COLOR: "1", ...options.env },
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** Runs the CLI and parses its stdout as JSON; fails the test if it exits non-zero. */
export async function cliJson<T = any>(home: string, args: string[], options: CliOptions = {}): Promise<T> {
  const r = await cli(home, [...args, "--json"], options);
  if (r.code !== 0) throw new Error(`queuectl ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Runs the CLI and fails the test unless it exits 0; returns stdout. */
export async function cliOk(home: string, args: string[], options: CliOptions = {}): Promise<string> {
  const r = await cli(home, args, options);
  if (r.code !== 0) {
    throw new Error(`queuectl ${args.join(" ")} exited ${r.code}: ${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

/** `config set` for each entry, e.g. { "backoff-base": 1, "lease-timeout": 2 }. */
export async function configure(home: string, settings: Record<string, number>): Promise<void> {
  for (const [key, value] of Object.entries(settings)) {
    await cliOk(home, ["config", "set", key, String(value)]);
  }
}

export async function jobState(home: string, id: string): Promise<string | undefined> {
  const r = await cli(home, ["show", id, "--json"]);
  return r.code === 0 ? JSON.parse(r.stdout).state : undefined;
}

/** Waits until job `id` is in `state` (polls `show`, gently: every CLI call is a process). */
export function untilState(home: string, id: string, state: string, timeoutMs = 30_000): Promise<void> {
  return waitFor(
    async () => (await jobState(home, id)) === state,
    `job ${id} to be ${state}`,
    timeoutMs,
    150,
  );
}

export interface Background {
  child: Deno.ChildProcess;
  pid: number;
  /** everything printed so far (stdout and stderr) */
  output(): string;
  /** waits for exit; returns the exit code */
  exited(): Promise<number>;
  signal(sig: Deno.Signal): void;
}

/** Starts `queuectl <args>` (typically `worker start`) in the background. */
export function spawnCli(home: string, args: string[], options: CliOptions = {}): Background {
  const child = new Deno.Command(DENO, {
    args: ["run", ...CLI_FLAGS, options.main ?? MAIN, ...args],
    env: { QUEUECTL_HOME: home, NO_COLOR: "1", ...options.env },
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return background(child);
}

/** A child spawned with piped stdout and stderr, as a `Background` that collects both. */
export function background(child: Deno.ChildProcess): Background {
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const status = child.status.then(async (s) => {
    await pumps;
    return s.code;
  });
  return {
    child,
    pid: child.pid,
    output: () => text,
    exited: () => status,
    signal: (sig) => {
      try {
        child.kill(sig);
      } catch { /* already gone */ }
    },
  };
}

/** Waits until the background process has printed something matching `re`. */
export async function untilOutput(bg: Background, re: RegExp, timeoutMs = 30_000): Promise<void> {
  try {
    await waitFor(() => re.test(bg.output()), `output matching ${re}`, timeoutMs);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- its output so far:\n${bg.output()}`);
  }
}

async function exitedWithin(bg: Background, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([bg.exited().then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Stops a background CLI for good (for `finally`): SIGTERM, then a second SIGTERM (which kills
 * running jobs) if it lingers, then SIGKILL. Returns its exit code.
 */
export async function stopBackground(bg: Background, graceMs = 10_000): Promise<number> {
  bg.signal("SIGTERM");
  if (!(await exitedWithin(bg, graceMs))) {
    bg.signal("SIGTERM");
    if (!(await exitedWithin(bg, graceMs))) bg.signal("SIGKILL");
  }
  return await bg.exited();
}

/**
 * Starts `n` workers of `slots` slots each on `home` (`worker start --count SLOTS ...extra`) and
 * waits until each has said it started. Stop them with `stopAll` in a `finally`.
 */
export async function startWorkers(
  home: string,
  n: number,
  slots: number,
  extra: string[] = [],
): Promise<Background[]> {
  const workers: Background[] = [];
  for (let i = 0; i < n; i++) {
    workers.push(spawnCli(home, ["worker", "start", "--count", String(slots), ...extra]));
  }
  for (const w of workers) await untilOutput(w, /started with/, 60_000);
  return workers;
}

/** Stops every one of `workers` for good (`stopBackground`), all at once. */
export async function stopAll(workers: Background[]): Promise<void> {
  await Promise.all(workers.map((w) => stopBackground(w)));
}

/** Id of the worker a `worker start` process announced ("<time> <id> started with ..."). */
export function workerIdOf(bg: Background): string | undefined {
  return /^\S+ (w-\S+) started with/m.exec(bg.output())?.[1];
}
