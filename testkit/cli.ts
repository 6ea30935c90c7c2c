/**
 * Shared helpers for tests that spawn the real CLI in a fresh temp home. Wait with `waitFor`,
 * never a bare sleep; assert exit code, --json output and the stderr sentence.
 */
export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
export const MAIN = `${ROOT}/main.ts`;
export const DENO = Deno.execPath();
/** The permissions the installed CLI runs with; the dashboard needs the network besides. */
export const CLI_PERMS = ["--allow-read", "--allow-write", "--allow-run", "--allow-env"];
const PERMS = [...CLI_PERMS, "--allow-net"];

export function tempHome(prefix = "qctl-test-"): string {
  const dir = Deno.makeTempDirSync({ prefix });
  return `${dir}/home`;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  stdin?: string;
  env?: Record<string, string>;
  cwd?: string;
}

/** Runs `queuectl <args>` against `home` and waits for it. */
export async function cli(home: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = new Deno.Command(DENO, {
    args: ["run", ...PERMS, MAIN, ...args],
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
    args: ["run", ...PERMS, MAIN, ...args],
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

/** Polls `predicate` until it holds or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Every file under `home` with its bytes, to prove a failed command changed nothing. */
export function snapshotFiles(home: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      return;
    }
    for (const e of entries) {
      const path = `${dir}/${e.name}`;
      const name = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(path, name);
      else if (e.isFile) out.set(name, Array.from(Deno.readFileSync(path)).join(","));
    }
  };
  walk(home, "");
  return out;
}

export async function jobState(home: string, id: string): Promise<string | undefined> {
  const r = await cli(home, ["show", id, "--json"]);
  return r.code === 0 ? JSON.parse(r.stdout).state : undefined;
}

// ---- end-to-end helpers (appended for tests/e2e_*_test.ts) ----

/** The temp directory that holds `home` (made by `tempHome`): a place for the jobs' own files. */
export function dirOfHome(home: string): string {
  return home.replace(/\/home$/, "");
}

/** Removes the temp directory made by `tempHome`. */
export function removeHome(home: string): void {
  try {
    Deno.removeSync(dirOfHome(home), { recursive: true });
  } catch { /* already gone */ }
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

/** True while `pid` names a live process; a zombie (exited, not reaped) counts as gone. Linux. */
export function processAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Kills the process group led by `pid` (a job orphaned by a test), if it still exists. */
export function killGroup(pid: number): void {
  try {
    Deno.kill(-pid, "SIGKILL");
  } catch { /* already gone */ }
}

/** Lines of a text file, without empty ones; [] when it does not exist (yet). */
export function readLines(path: string): string[] {
  try {
    return Deno.readTextFileSync(path).split("\n").filter((l) => l !== "");
  } catch {
    return [];
  }
}

/** Waits until the background process has printed something matching `re`. */
export async function untilOutput(bg: Background, re: RegExp, timeoutMs = 30_000): Promise<void> {
  try {
    await waitFor(() => re.test(bg.output()), `output matching ${re}`, timeoutMs);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- its output so far:\n${bg.output()}`);
  }
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

/** Id of the worker a `worker start` process announced ("<time> <id> started with ..."). */
export function workerIdOf(bg: Background): string | undefined {
  return /^\S+ (w-\S+) started with/m.exec(bg.output())?.[1];
}

export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
