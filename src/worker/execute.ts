/**
 * Runs one attempt of a job as a child process in its own process group.
 *
 * The child is a small shell wrapper that first waits for one line on its stdin ("go"), then
 * sends its own stdout and stderr to the job's log file (one descriptor, so interleaving is
 * kept) and execs `sh -c <command>`. The worker writes "go" only after the `started` record
 * (pid and start time) is in the log, so a worker that dies in between leaves a wrapper that
 * reads EOF and exits without running anything: no unrecorded orphan can ever run.
 */
import type { Job, Outcome } from "../job.ts";
import { killGroup, parseStartTime } from "./proc.ts";

// reports its own start time (see proc.ts), waits for "go", then becomes the job
const WRAPPER = [
  "log=$1 cmd=$2",
  'read -r s < "/proc/$$/stat" 2>/dev/null; echo "${s##*) }"',
  "IFS= read -r _ || exit 125",
  'exec >>"$log" 2>&1 </dev/null',
  'exec /bin/sh -c "$cmd"',
].join("\n");
const TAIL_BYTES = 1024;
/** seconds between SIGTERM and SIGKILL of a timed-out group */
const KILL_GRACE_SECONDS = 2;

export interface AttemptResult {
  outcome: Outcome;
  tail: string | null;
  seconds: number;
}

export interface RunningAttempt {
  pid: number;
  pidStart: number | null;
  /** lets the command run; call once its pid is recorded */
  go(): Promise<void>;
  /** kills the whole process group now */
  kill(signal: Deno.Signal): void;
  done: Promise<AttemptResult>;
}

export interface AttemptOptions {
  logPath: string;
  /** seconds, 0 for none */
  timeout: number;
  attempt: number;
  worker: string;
  now: () => Date;
}

const encoder = new TextEncoder();

function appendLog(path: string, text: string): number {
  const file = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
  try {
    file.writeSync(encoder.encode(text));
    return file.statSync().size;
  } finally {
    file.close();
  }
}

function readTail(path: string, from: number): string | null {
  try {
    const file = Deno.openSync(path, { read: true });
    try {
      const size = file.statSync().size;
      const start = Math.max(from, size - TAIL_BYTES);
      const buf = new Uint8Array(size - start);
      file.seekSync(start, Deno.SeekMode.Start);
      let got = 0;
      while (got < buf.length) {
        const n = file.readSync(buf.subarray(got));
        if (n === null) break;
        got += n;
      }
      const text = new TextDecoder().decode(buf.subarray(0, got));
      return text.length ? text : null;
    } finally {
      file.close();
    }
  } catch {
    return null;
  }
}

export async function spawnAttempt(
  job: Job,
  options: AttemptOptions,
): Promise<RunningAttempt | { error: string }> {
  const started = options.now();
  const from = appendLog(
    options.logPath,
    `=== attempt ${options.attempt} of ${
      job.max_retries + 1
    } · ${started.toISOString()} · worker ${options.worker} ===\n`,
  );
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("/bin/sh", {
      args: ["-c", WRAPPER, "queuectl-job", options.logPath, job.command],
      cwd: job.cwd ?? undefined,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      detached: true,
    }).spawn();
  } catch (e) {
    const message = (e as Error).message.split("\n")[0];
    appendLog(options.logPath, `=== could not start: ${message} ===\n`);
    return { error: message };
  }
  const pid = child.pid;
  const pidStart = await readFirstLine(child.stdout).then(parseStartTime, () => null);
  let timedOut = false;
  let killedBy: Deno.Signal | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  if (options.timeout > 0) {
    timer = setTimeout(() => {
      timedOut = true;
      killGroup(pid, "SIGTERM");
      graceTimer = setTimeout(
        () => killGroup(pid, "SIGKILL"),
        KILL_GRACE_SECONDS * 1000,
      );
    }, options.timeout * 1000);
  }
  const done = child.status.then((status): AttemptResult => {
    clearTimeout(timer);
    clearTimeout(graceTimer);
    // a timed-out or killed job's leftovers (a sleeping grandchild) go with it
    if (timedOut || killedBy) killGroup(pid, "SIGKILL");
    const seconds = (options.now().getTime() - started.getTime()) / 1000;
    let outcome: Outcome;
    if (timedOut) outcome = { kind: "timeout", after: options.timeout };
    else if (killedBy) outcome = { kind: "killed", signal: killedBy };
    else if (status.code === 125 && !wentAhead) outcome = { kind: "lost" };
    else outcome = { kind: "exited", code: status.code };
    const tail = readTail(options.logPath, from);
    const what = outcome.kind === "exited" ? `exit code ${status.code}` : outcome.kind;
    appendLog(options.logPath, `=== ${what} · ${seconds.toFixed(2)}s ===\n`);
    return { outcome, tail, seconds };
  });
  let wentAhead = false;
  return {
    pid,
    pidStart,
    done,
    async go() {
      const writer = child.stdin.getWriter();
      try {
        await writer.write(encoder.encode("go\n"));
        wentAhead = true;
        await writer.close();
      } catch {
        // the wrapper died before reading (killed meanwhile): `done` reports how it ended
      }
    },
    kill(signal) {
      killedBy = signal;
      killGroup(pid, signal);
    },
  };
}

/** The wrapper's first line (its start time); the pipe closes when it becomes the job. */
async function readFirstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    reader.releaseLock();
    await stream.cancel().catch(() => {});
  }
  return text.split("\n")[0];
}
