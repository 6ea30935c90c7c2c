/**
 * Runs one attempt of a job as a child process in its own process group.
 *
 * The child is a small shell wrapper (`Wrapper`), usually started before its job is known. It
 * reports its start time; reads the job (log file, directory, header line, command); writes the
 * header to the log (creating it 0600) and enters the directory, and says whether it could;
 * waits for one more line ("go"); then sends its own stdout and stderr to the log (one
 * descriptor, so interleaving is kept) and execs `sh -c <command>`, or for an `argv` job the
 * program itself with its arguments verbatim (`exec "$@"`: no shell parses them). The job gets
 * the worker's environment plus QUEUECTL_JOB_ID and QUEUECTL_JOB_ATTEMPT (1 for the first).
 * The worker writes "go" only after the `started` record (pid and start time) is in the log,
 * so a worker that dies before leaves a wrapper that reads EOF and exits without running
 * anything: no unrecorded orphan can ever run.
 *
 * The wrapper gets its own session (so its own process group, which a timeout kills whole)
 * from setsid(1) where there is one, before it reports its start time; see `Wrapper`. It, not
 * the worker, creates the log: creating a file is the slowest step of a short job on some file
 * systems, and the wrapper does it while the worker records the start.
 */
import type { Job, Outcome } from "../job.ts";
import { attemptHeader, closingLine, notStartedLine } from "../joblog.js";
import { readAt } from "../store/durable.ts";
import { killGroup, parseStartTime } from "./proc.ts";

// A value is sent as its number of lines, then the lines, so it may hold newlines. `mask` is
// the worker's umask, empty when unknown (the log is then created with it).
const WRAPPER = [
  'read -r s < "/proc/$$/stat" 2>/dev/null; echo "${s##*) }"',
  "field() {",
  "  IFS= read -r n || exit 125",
  "  v= i=0",
  '  while [ "$i" -lt "$n" ]; do',
  "    IFS= read -r l || exit 125",
  '    if [ "$i" -eq 0 ]; then v=$l; else v="$v',
  '$l"; fi',
  "    i=$((i + 1))",
  "  done",
  "}",
  "field; log=$v",
  "field; dir=$v",
  "field; hdr=$v",
  "field; cmd=$v",
  "field; QUEUECTL_JOB_ID=$v",
  "IFS= read -r QUEUECTL_JOB_ATTEMPT || exit 125",
  "export QUEUECTL_JOB_ID QUEUECTL_JOB_ATTEMPT",
  "IFS= read -r argc || exit 125",
  'while [ "$argc" -gt 0 ]; do field; set -- "$@" "$v"; argc=$((argc - 1)); done',
  "IFS= read -r mask || exit 125",
  '[ -z "$mask" ] || umask 077',
  '{ printf "%s\\n" "$hdr" >>"$log"; } 2>/dev/null || { echo log; exit 125; }',
  '[ -z "$dir" ] || CDPATH= cd "$dir" 2>/dev/null || { echo dir; exit 125; }',
  "echo ok",
  "IFS= read -r _ || exit 125",
  '[ -z "$mask" ] || umask "$mask"',
  'exec >>"$log" 2>&1 </dev/null',
  '[ "$#" -eq 0 ] || exec "$@"',
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
  /** a wrapper for the attempt: a spare one started earlier, or a new one */
  wrapper: () => Wrapper;
  /** the worker's umask as octal digits (`probeUmask()`), or "" when unknown */
  umask: string;
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

/**
 * The last TAIL_BYTES of the log written after this attempt's `header` line, or null. The
 * header is searched for in the last TAIL_BYTES + its length: when it is not there, this
 * attempt wrote more than TAIL_BYTES, all of the tail.
 */
function readTail(path: string, header: string): string | null {
  try {
    const file = Deno.openSync(path, { read: true });
    try {
      const needle = encoder.encode(header);
      const size = file.statSync().size;
      const start = Math.max(0, size - TAIL_BYTES - needle.length);
      const buf = new Uint8Array(size - start);
      const got = readAt(file, start, buf);
      const at = lastIndexOf(buf.subarray(0, got), needle);
      const from = at >= 0 ? at + needle.length : Math.max(0, got - TAIL_BYTES);
      const text = new TextDecoder().decode(buf.subarray(from, got));
      return text.length ? text : null;
    } finally {
      file.close();
    }
  } catch {
    return null;
  }
}

function lastIndexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = haystack.length - needle.length; i >= 0; i--) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

/**
 * The umask of this process as octal digits, learnt from the directory `probe`, created with
 * mode 0777 and removed (Deno tells the umask only with --allow-sys); "" when that fails.
 */
export function probeUmask(probe: string): string {
  try {
    Deno.mkdirSync(probe, { mode: 0o777 });
    try {
      const mode = Deno.statSync(probe).mode;
      return mode === null ? "" : (~mode & 0o777).toString(8).padStart(4, "0");
    } finally {
      Deno.removeSync(probe);
    }
  } catch {
    return "";
  }
}

/**
 * setsid(1), when this platform has it (util-linux on Linux). See `spawnAttempt`: with it a job
 * starts without copying the worker's memory.
 */
export function findSetsid(): string | null {
  if (Deno.build.os !== "linux") return null;
  for (const path of ["/usr/bin/setsid", "/bin/setsid"]) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch { /* not here */ }
  }
  return null;
}

/**
 * A wrapper shell, started ahead of its job: `ready` is its start time once it reported it, or
 * null when it ended before (it never ran anything then).
 *
 * With setsid(1) the worker spawns it without forking itself (posix_spawn: no copy of the
 * worker's page tables, which costs more the more memory the worker holds); setsid(1) calls
 * setsid() and becomes the wrapper, which then reports ready. Elsewhere Deno forks and calls
 * setsid() itself (`detached`).
 */
export class Wrapper {
  readonly pid: number;
  readonly ready: Promise<{ pidStart: number | null } | null>;
  /** it has exited */
  ended = false;
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #stdout: Lines;

  /** Throws when the wrapper cannot be spawned. */
  constructor(setsid: string | null) {
    this.#child = new Deno.Command(setsid ?? "/bin/sh", {
      args: [...(setsid ? ["/bin/sh"] : []), "-c", WRAPPER, "queuectl-job"],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      detached: setsid === null,
    }).spawn();
    this.pid = this.#child.pid;
    this.#child.status.then(() => this.ended = true);
    this.#stdin = this.#child.stdin.getWriter();
    this.#stdout = new Lines(this.#child.stdout);
    this.ready = this.#stdout.next().then((line) =>
      line === null ? null : { pidStart: parseStartTime(line) }
    );
  }

  /** Its next line: after the job was sent, "ok", or what it could not open ("log", "dir"). */
  next(): Promise<string | null> {
    return this.#stdout.next();
  }

  get status(): Promise<Deno.CommandStatus> {
    return this.#child.status;
  }

  /** Rejects when the wrapper is gone. */
  send(text: string): Promise<void> {
    return this.#stdin.write(encoder.encode(text));
  }

  /** Ends its stdin: a wrapper still waiting for its job or "go" exits (125) without running it. */
  async close(): Promise<void> {
    await this.#stdin.close().catch(() => this.#stdin.abort().catch(() => {}));
    await this.#stdout.close();
  }

  /** Closes its stdin and waits for it to end. */
  async dispose(): Promise<void> {
    await this.close();
    await this.#child.status;
  }
}

/** Wrappers tried for one attempt when they end before they are ready (see `Wrapper`). */
const SPAWN_TRIES = 3;

/** A value as the wrapper's `field` reads it. */
function field(value: string): string {
  const lines = value.split("\n");
  return `${lines.length}\n${lines.join("\n")}\n`;
}

/** Why the job cannot start in `dir`, or null. */
async function directoryProblem(dir: string): Promise<string | null> {
  try {
    const info = await Deno.stat(dir);
    return info.isDirectory ? null : `cannot enter ${dir}: not a directory`;
  } catch (e) {
    return `cannot enter ${dir}: ${(e as Error).message.split("\n")[0]}`;
  }
}

export async function spawnAttempt(
  job: Job,
  options: AttemptOptions,
): Promise<RunningAttempt | { error: string }> {
  const started = options.now();
  const header = attemptHeader(options.attempt, job.max_retries + 1, started, options.worker);
  const cannotStart = (message: string) => {
    noteInLog(options.logPath, `${header}\n${notStartedLine(message)}`);
    return { error: message };
  };
  let wrapper: Wrapper | null = null;
  let pidStart: number | null = null;
  let notReady = "";
  for (let tries = 1; wrapper === null && tries <= SPAWN_TRIES; tries++) {
    let candidate: Wrapper;
    try {
      candidate = options.wrapper();
    } catch (e) {
      return cannotStart((e as Error).message.split("\n")[0]);
    }
    const ready = await candidate.ready;
    if (ready !== null) {
      wrapper = candidate;
      pidStart = ready.pidStart;
      break;
    }
    // It ended before it was ready, so before it could run anything: with setsid(1) it is in
    // the worker's process group until then, where a Ctrl-C meant for the worker reaches it.
    const status = await candidate.status;
    await candidate.close();
    notReady = `the job's shell ended before it was ready (${
      status.signal ? `signal ${status.signal}` : `exit code ${status.code}`
    })`;
  }
  if (wrapper === null) return cannotStart(notReady);
  const running = wrapper;
  // The job goes ahead of "go": the wrapper creates the log and enters the directory while the
  // worker records the start, and says whether it could.
  running.send(
    field(options.logPath) + field(job.cwd ?? "") + field(header) + field(job.command) +
      field(job.id) +
      `${options.attempt}\n${job.argv?.length ?? 0}\n${
        (job.argv ?? []).map(field).join("")
      }${options.umask}\n`,
  ).catch(() => {}); // a wrapper gone meanwhile says nothing: "go" is not sent then
  const answer = running.next();
  /** why the command cannot start, or null once it can */
  const opened: Promise<string | null> = answer.then(async (said) => {
    if (said === "ok") return null;
    if (said === "log") return "cannot write its log file";
    if (said === "dir") return await directoryProblem(job.cwd ?? ".") ?? `cannot enter ${job.cwd}`;
    return "the job's shell ended before it could start it";
  });
  /** the wrapper wrote the header (it says "dir" only after that) */
  const headed = answer.then((said) => said === "ok" || said === "dir");
  const pid = running.pid;
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
  let wentAhead = false;
  const done = running.status.then(async (status): Promise<AttemptResult> => {
    clearTimeout(timer);
    clearTimeout(graceTimer);
    // a timed-out or killed job's leftovers (a sleeping grandchild) go with it
    if (timedOut || killedBy) killGroup(pid, "SIGKILL");
    // a wrapper that could not open the log or enter the directory said so, and ended
    const notStarted = timedOut || killedBy || wentAhead ? null : await opened;
    const lead = wentAhead || (await headed) ? "" : `${header}\n`;
    await running.close(); // never let go: its pipe is closed here
    const seconds = (options.now().getTime() - started.getTime()) / 1000;
    if (notStarted !== null) {
      noteInLog(options.logPath, `${lead}${notStartedLine(notStarted)}`);
      return { outcome: { kind: "spawn_failed", message: notStarted }, tail: null, seconds };
    }
    let outcome: Outcome;
    if (timedOut) outcome = { kind: "timeout", after: options.timeout };
    else if (killedBy) outcome = { kind: "killed", signal: killedBy };
    else if (status.code === 125 && !wentAhead) outcome = { kind: "lost" };
    else outcome = { kind: "exited", code: status.code };
    // without "go" the command wrote no output
    const tail = wentAhead ? readTail(options.logPath, `${header}\n`) : null;
    // the closing line starts a line of its own, after output that did not end one
    const cut = tail !== null && !tail.endsWith("\n") ? "\n" : "";
    noteInLog(options.logPath, `${lead}${cut}${closingLine(outcome, seconds)}`);
    return { outcome, tail, seconds };
  });
  return {
    pid,
    pidStart,
    done,
    async go() {
      if ((await opened) === null) {
        try {
          await running.send("go\n");
          wentAhead = true;
        } catch {
          // the wrapper died before reading (killed meanwhile): `done` reports how it ended
        }
      }
      await running.close(); // without "go" it exits (125) without running anything
    },
    kill(signal) {
      killedBy = signal;
      killGroup(pid, signal);
    },
  };
}

/** Appends `lines` to the job's log, if it can be written at all. */
function noteInLog(path: string, lines: string): void {
  try {
    appendLog(path, `${lines}\n`);
  } catch { /* the outcome is recorded anyway */ }
}

/** Lines of a wrapper's stdout, which ends when it becomes the job (or exits). */
class Lines {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #text = "";
  #closed = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** The next line, or null at the end. */
  async next(): Promise<string | null> {
    try {
      while (!this.#closed && !this.#text.includes("\n")) {
        const { value, done } = await this.#reader.read();
        if (done) break;
        this.#text += this.#decoder.decode(value, { stream: true });
      }
    } catch {
      // the pipe failed: no more lines
    }
    const at = this.#text.indexOf("\n");
    if (at < 0) return null;
    const line = this.#text.slice(0, at);
    this.#text = this.#text.slice(at + 1);
    return line;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#reader.cancel().catch(() => {});
  }
}
