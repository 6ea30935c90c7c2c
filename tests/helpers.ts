/**
 * Shared helpers for tests that spawn the real CLI in a fresh temp home. Wait with `waitFor`,
 * never a bare sleep; assert exit code, --json output and the stderr sentence.
 */
export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
export const MAIN = `${ROOT}/main.ts`;
export const DENO = Deno.execPath();
const PERMS = ["--allow-read", "--allow-write", "--allow-run", "--allow-env"];

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
