/**
 * Running child processes for the bench: how the CLI under test and the bench's own helper
 * scripts are started, and wall-clock timing of one run.
 */
import type { Bench } from "./context.ts";
import { peakRss } from "./rss.ts";
import { childrenCpuMs } from "./rusage.ts";
import { CLI_FLAGS } from "../src/cli/run_flags.ts";

/**
 * deno arguments that run `module` with `args` and the CLI's own flags (src/cli/run_flags.ts):
 * the CLI, the bench's helper scripts and the baselines alike.
 */
export function denoRun(module: string, ...args: string[]): string[] {
  return ["run", ...CLI_FLAGS, module, ...args];
}

/** deno arguments of `queuectl --home HOME <args>`: the CLI under test (the bundle, bench.main). */
export function queuectl(bench: Bench, home: string, ...args: string[]): string[] {
  return denoRun(bench.main, "--home", home, ...args);
}

/** The same from the sources (bench.source). */
export function queuectlSource(bench: Bench, home: string, ...args: string[]): string[] {
  return denoRun(bench.source, "--home", home, ...args);
}

/** deno arguments of one of the bench's helper scripts (bench/<name>), run with the CLI's flags. */
export function helper(bench: Bench, name: string, ...args: string[]): string[] {
  return denoRun(`${bench.repo}/bench/${name}`, ...args);
}

export interface SpawnOptions {
  env?: Record<string, string>;
  stdout?: "null" | "piped";
  stderr?: "null" | "piped";
}

/** Starts `deno <args>` in the repository (so every run reads the same deno.json); tracked until it exits. */
export function spawnDeno(bench: Bench, args: string[], options: SpawnOptions = {}): Deno.ChildProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: bench.repo,
    env: options.env,
    stdin: "null",
    stdout: options.stdout ?? "null",
    stderr: options.stderr ?? "piped",
  }).spawn();
  bench.children.add(child);
  child.status.finally(() => bench.children.delete(child));
  return child;
}

/** No single run of the bench may take longer than this (a hung CLI must not hang CI). */
const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

export interface Timed {
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
  /** peak resident memory in bytes, when asked for (`rss: true`) */
  rss: number | null;
  /** CPU time (user + system) of the child and the descendants it waited for, in ms; null where unknown */
  cpuMs: number | null;
}

/**
 * Runs `deno <args>` to its end and returns its wall time, from just before the spawn to the
 * moment its exit is seen, and its CPU time (rusage.ts; with `rss`, also its peak resident
 * memory: rss.ts). Fails on an exit code outside `ok` (default: 0 only), showing stderr.
 */
export async function timed(
  bench: Bench,
  args: string[],
  options: SpawnOptions & { ok?: number[]; rss?: boolean; timeoutMs?: number } = {},
): Promise<Timed> {
  const cpu0 = childrenCpuMs();
  const t0 = performance.now();
  const child = spawnDeno(bench, args, options);
  const limit = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* it has just exited */ }
  }, limit);
  const [status, stdout, stderr, rss] = await Promise.all([
    child.status,
    options.stdout === "piped" ? new Response(child.stdout).text() : "",
    (options.stderr ?? "piped") === "piped" ? new Response(child.stderr).text() : "",
    options.rss ? peakRss(child) : null,
  ]);
  clearTimeout(timer);
  const ms = performance.now() - t0;
  const cpu1 = childrenCpuMs();
  const cpuMs = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
  const result = { ms, code: status.code, stdout, stderr, rss, cpuMs };
  if (timedOut) {
    throw new Error(`Cannot measure \`deno ${shown(args)}\`: it ran longer than ${limit / 1000} s`);
  }
  check(args, result, options.ok ?? [0]);
  return result;
}

/** Throws, naming the command and its stderr, when a run ended with an unexpected exit code. */
export function check(args: string[], result: { code: number; stderr: string }, ok: number[]): void {
  if (!ok.includes(result.code)) {
    throw new Error(
      `Cannot measure \`deno ${shown(args)}\`: it exited with code ${result.code}: ${
        result.stderr.trim().slice(0, 500)
      }`,
    );
  }
}

/** A command line for messages: the permission flags left out. */
function shown(args: string[]): string {
  return args.filter((a) => !a.startsWith("--allow-")).join(" ");
}

/** Reads a child's stdout line by line, calling `onLine` for each. Resolves at EOF. */
export async function eachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    let nl;
    while ((nl = rest.indexOf("\n")) >= 0) {
      onLine(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
    }
  }
  if (rest) onLine(rest);
}
