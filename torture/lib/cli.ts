/**
 * Spawning the real CLI for the torture steps: every process is tracked (so a run that is
 * interrupted, or a trial that ends, can kill what is left) and every wait has a time limit
 * (a hung process must fail the step, not stall the run).
 */
import { CLI_FLAGS, DENO, MAIN } from "../../testkit/mod.ts";
import { WORKER_ENV } from "./ledger.ts";

export interface Exit {
  code: number;
  /** the signal that ended it, e.g. "SIGKILL" */
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

export interface Proc {
  pid: number;
  /** resolves when it has exited and its output is read */
  exited: Promise<Exit>;
  /** the output so far */
  stdout(): string;
  kill(signal?: Deno.Signal): void;
}

/** Every process spawned here and not yet exited: `killAll` ends them (interrupt, failed step). */
const live = new Set<Proc>();

export interface SpawnOptions {
  env?: Record<string, string>;
  stdin?: string;
  /** shell words run before the worker is exec'd, in its process (spawnWorker only) */
  shellPrefix?: string;
}

/** Starts `queuectl <args>` against `home`. */
export function spawnCli(home: string, args: string[], options: SpawnOptions = {}): Proc {
  return spawn(DENO, ["run", ...CLI_FLAGS, MAIN, ...args], home, options);
}

function spawn(command: string, args: string[], home: string, options: SpawnOptions): Proc {
  const child = new Deno.Command(command, {
    args,
    env: { QUEUECTL_HOME: home, NO_COLOR: "1", ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    w.write(new TextEncoder().encode(options.stdin)).then(() => w.close()).catch(() => {});
  }
  let out = "";
  let err = "";
  const pump = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
  };
  const pumps = Promise.all([pump(child.stdout, (s) => out += s), pump(child.stderr, (s) => err += s)]);
  const proc: Proc = {
    pid: child.pid,
    exited: child.status.then(async (s) => {
      await pumps.catch(() => {});
      live.delete(proc);
      return { code: s.code, signal: s.signal, stdout: out, stderr: err };
    }),
    stdout: () => out,
    kill: (signal = "SIGKILL") => {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
    },
  };
  live.add(proc);
  return proc;
}

/**
 * Starts `queuectl worker start <args>` whose environment holds its own pid in
 * $TORTURE_WORKER_PID (a shell exports `$$` and execs the CLI, which keeps that pid), so every
 * ledger line of its jobs names it (lib/ledger.ts). The returned pid is the worker's.
 */
export function spawnWorker(home: string, args: string[], options: SpawnOptions = {}): Proc {
  return spawn(
    "/bin/sh",
    [
      "-c",
      `${WORKER_ENV}=$$; export ${WORKER_ENV}; ${options.shellPrefix ?? ""} exec "$@"`,
      "sh",
      DENO,
      "run",
      ...CLI_FLAGS,
      MAIN,
      "worker",
      "start",
      ...args,
    ],
    home,
    options,
  );
}

/** Waits at most `ms` for `proc`; kills it (SIGKILL) and throws when it takes longer. */
export async function within(proc: Proc, ms: number, what: string): Promise<Exit> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
  try {
    const exit = await Promise.race([proc.exited, late]);
    if (exit) return exit;
  } finally {
    clearTimeout(timer);
  }
  proc.kill("SIGKILL");
  const exit = await proc.exited;
  throw new Error(
    `${what} did not exit within ${ms / 1000} s (killed); its output:\n${exit.stdout}${exit.stderr}`,
  );
}

/** Runs `queuectl <args>` to its end (at most `ms`). */
export function runCli(home: string, args: string[], options: SpawnOptions = {}, ms = 60_000): Promise<Exit> {
  return within(spawnCli(home, args, options), ms, `queuectl ${args.join(" ")}`);
}

/** Runs `queuectl <args> --json`; throws unless it exits 0 with JSON on stdout. */
export async function cliJson<T>(home: string, args: string[], options: SpawnOptions = {}): Promise<T> {
  const r = await runCli(home, [...args, "--json"], options);
  if (r.code !== 0) throw new Error(`queuectl ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as T;
}

/** SIGKILLs every process spawned here that is still running. */
export function killAll(): void {
  for (const proc of live) proc.kill("SIGKILL");
}

/**
 * Polls `status` every `everyMs` until no job of `home` is pending, processing or failed; throws
 * naming the counts after `ms`. Returns the last counts.
 */
export async function untilNoLiveJob(
  home: string,
  ms: number,
  everyMs = 500,
): Promise<Record<string, number>> {
  for (const deadline = Date.now() + ms;;) {
    const { counts } = await cliJson<{ counts: Record<string, number> }>(home, ["status"]);
    if (counts.pending + counts.processing + counts.failed === 0) return counts;
    if (Date.now() > deadline) {
      throw new Error(`jobs still live after ${ms / 1000} s: ${JSON.stringify(counts)}`);
    }
    await new Promise((res) => setTimeout(res, everyMs));
  }
}
