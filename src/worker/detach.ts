/**
 * `worker start --detach`: runs a worker in a session of its own, with no terminal, its output
 * appended to a log file in the home, and reports it once it is registered.
 *
 * The protocol between the starting process and the worker:
 *   1. the starter creates `workers/starting-<token>.log` (0600) and spawns the same program it
 *      is (`selfCommand`) as `worker start --home <absolute home> --count N`, with that file's
 *      path in DETACHED_LOG_ENV, through `setsid(1)` where there is one (else a detached spawn,
 *      which calls setsid() itself), and `/bin/sh`, which sends stdin from /dev/null and stdout
 *      and stderr to the log, then execs the worker: the pid the starter got is the worker's pid;
 *      the worker removes the variable from its environment at once (its jobs must not see it);
 *   2. the worker registers (its heartbeat file names its id and pid), then renames its log to
 *      `workers/<id>.log`: a worker that fails before leaves its log where the starter looks;
 *   3. the starter waits until a live worker whose heartbeat file names that pid has renamed its
 *      log (`waitRegistered`), or for the worker's exit, which it reports with the end of the log.
 */
import { CLI_FLAGS } from "../cli/run_flags.ts";
import { ensureDir, exists, FILE_MODE } from "../durable.ts";
import type { HomePaths } from "../store/paths.ts";
import { findSetsid } from "./proc.ts";
import { listWorkers, type WorkerEntry } from "./registry.ts";

/** The environment variable that tells a detached worker the log to rename (see above). */
export const DETACHED_LOG_ENV = "QUEUECTL_DETACHED_LOG";
/** Lines of the log shown when a detached worker dies before it registered. */
export const TAIL_LINES = 20;
const TAIL_BYTES = 64 * 1024;
/** How long the starter waits for the worker's heartbeat before it gives up reporting. */
export const REGISTER_TIMEOUT_MS = 60_000;

/** sh: `$1` is the log; the rest is the command, which replaces the shell (same pid). */
const REDIRECT = 'log=$1; shift; exec "$@" </dev/null >>"$log" 2>&1';

/**
 * The command line that runs this same program with `args` instead of its own: the compiled
 * binary, or `deno` with every option it was started with (permissions, --config, the main
 * module), as /proc/<pid>/cmdline says. `cmdline` is that file's text, or null where there is none.
 */
export function selfCommandFrom(
  cmdline: string | null,
  ownArgs: readonly string[],
  args: readonly string[],
  runtime: { execPath: string; standalone: boolean; mainModule: string },
): string[] {
  if (runtime.standalone) return [runtime.execPath, ...args];
  const argv = cmdline === null ? [] : cmdline.split("\0");
  if (argv.at(-1) === "") argv.pop();
  const prefix = argv.length - ownArgs.length;
  const tailMatches = prefix >= 2 && ownArgs.every((a, i) => argv[prefix + i] === a);
  if (tailMatches) return [runtime.execPath, ...argv.slice(1, prefix), ...args];
  // no /proc: run the main module with the permissions the CLI is installed with
  const config = runtime.mainModule.startsWith("file:")
    ? new URL("deno.json", runtime.mainModule).pathname
    : null;
  const configArgs = config !== null && exists(config) ? ["--config", config] : [];
  return [runtime.execPath, "run", ...CLI_FLAGS, ...configArgs, runtime.mainModule, ...args];
}

/** `selfCommandFrom` for this process. */
export function selfCommand(args: readonly string[]): string[] {
  return selfCommandFrom(readCmdline(Deno.pid), Deno.args, args, {
    execPath: Deno.execPath(),
    standalone: Deno.build.standalone,
    mainModule: Deno.mainModule,
  });
}

/** /proc/<pid>/cmdline, read by cat (see proc_status.ts for why not by Deno), or null. */
function readCmdline(pid: number): string | null {
  if (Deno.build.os !== "linux") return null;
  try {
    const out = new Deno.Command("/bin/sh", {
      args: ["-c", 'exec cat "/proc/$1/cmdline"', "queuectl", String(pid)],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout) : null;
  } catch {
    return null;
  }
}

export interface Detached {
  pid: number;
  /** the log while the worker has not renamed it */
  startLog: string;
  /** resolves with the exit status once the worker has exited */
  exited: Promise<Deno.CommandStatus>;
  /** lets this process exit while the worker runs on */
  unref(): void;
}

/** Spawns `argv` detached, with its output appended to `startLog` (created here, 0600). */
export function spawnDetached(paths: HomePaths, startLog: string, argv: string[]): Detached {
  ensureDir(paths.workersDir);
  Deno.openSync(startLog, { write: true, create: true, append: true, mode: FILE_MODE }).close();
  const setsid = findSetsid();
  const child = new Deno.Command(setsid ?? "/bin/sh", {
    args: [...(setsid ? ["/bin/sh"] : []), "-c", REDIRECT, "queuectl-detach", startLog, ...argv],
    env: { [DETACHED_LOG_ENV]: startLog },
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: setsid === null,
  }).spawn();
  return { pid: child.pid, startLog, exited: child.status, unref: () => child.unref() };
}

export type Registration =
  | { kind: "registered"; worker: WorkerEntry }
  | { kind: "exited"; status: Deno.CommandStatus; log: string | null }
  | { kind: "timeout"; log: string };

/**
 * Waits until the detached worker is registered (a live worker whose heartbeat file names its
 * pid, and its log renamed), has exited, or `timeoutMs` has passed.
 */
export async function waitRegistered(
  paths: HomePaths,
  detached: Detached,
  timeoutMs = REGISTER_TIMEOUT_MS,
): Promise<Registration> {
  const ended: { status: Deno.CommandStatus | null } = { status: null };
  detached.exited.then((s) => ended.status = s);
  const end = Date.now() + timeoutMs;
  for (;;) {
    const worker = listWorkers(paths).find((w) => w.pid === detached.pid);
    const status = ended.status;
    if (worker?.alive && status === null && !exists(detached.startLog)) return { kind: "registered", worker };
    if (status !== null) return { kind: "exited", status, log: logOf(paths, detached, worker) };
    if (Date.now() > end) {
      return { kind: "timeout", log: logOf(paths, detached, worker) ?? detached.startLog };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Where the worker's output is now: its start log, or the one named after its id. */
function logOf(paths: HomePaths, detached: Detached, worker: WorkerEntry | undefined): string | null {
  if (exists(detached.startLog)) return detached.startLog;
  return worker !== undefined && exists(paths.workerLog(worker.id)) ? paths.workerLog(worker.id) : null;
}

/** The last `count` lines of the file at `path` (at most its last 64 KiB), or [] when unreadable. */
export function lastLines(path: string, count = TAIL_LINES): string[] {
  try {
    const file = Deno.openSync(path, { read: true });
    try {
      const size = file.statSync().size;
      const start = Math.max(0, size - TAIL_BYTES);
      file.seekSync(start, Deno.SeekMode.Start);
      const buf = new Uint8Array(size - start);
      let got = 0;
      while (got < buf.length) {
        const n = file.readSync(buf.subarray(got));
        if (n === null || n === 0) break;
        got += n;
      }
      const lines = new TextDecoder().decode(buf.subarray(0, got)).split("\n");
      if (lines.at(-1) === "") lines.pop();
      if (start > 0) lines.shift(); // cut mid-line
      return lines.slice(-count);
    } finally {
      file.close();
    }
  } catch {
    return [];
  }
}
