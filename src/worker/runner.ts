/**
 * A job runner: the long-lived `/bin/sh` of one worker slot, which runs the slot's jobs one
 * after another, each as a foreground subshell that execs the job's command (runner.sh; its
 * protocol, both ways, is written at its top and summed up here).
 *
 *   worker -> runner   per job: `run <attempt>`, then six values, one line each: id, output
 *                      file, directory, env words, argv words, command (spec.ts encodes them;
 *                      a value with newlines travels escaped and is decoded once, so reading
 *                      is linear in its size). End of input: the runner exits.
 *   runner -> worker   `ready <pid> <starttime>` once; per job `start`,
 *                      perhaps `nostart cwd|output ...`, then `exit <status>` once the job
 *                      and what it left behind are gone.
 *
 * Between jobs the runner has the next job's shell waiting, already moved into the slot's
 * cgroup (a move costs a kernel grace period, ~10 ms, kept off the path from a job's arrival
 * to its start); a runner whose waiting shell was killed ends, and a job sent to it then never
 * starts.
 *
 * The runner is started through setsid(1) where there is one (else Deno's `detached`), so it
 * leads a session of its own: its pid is the session id of everything its jobs start, Ctrl-C
 * and hang-ups of the worker's terminal never reach it, and a kill can find a job's processes
 * by session (session.ts) even when they left its process group. A worker that dies leaves
 * its runners reading EOF: each exits after its current job, which runs on until a rescuer
 * kills the session (`killSession`, with the runner's pid and start time recorded earlier). A
 * job given to a runner whose worker then died before the job's shell reported its start does
 * not run: that report meets a pipe nobody reads, and SIGPIPE ends the shell first.
 */
import body from "./runner.sh" with { type: "text" };
import { type OutputRange, sizeOf } from "./output.ts";
import { Lines } from "./lines.ts";
import { findSetsid } from "./proc.ts";
import { killSession, PROC, type SessionSignal, signalSession } from "./session.ts";
import { shellInvocation, withProcs } from "./shell.ts";
import { encodeSpec, type Ended, endedFromStatus, type JobSpec, parseMessage, specProblem } from "./spec.ts";

export type { Ended, JobSpec } from "./spec.ts";
export { killSession, type SessionKill } from "./session.ts";

const SCRIPT = withProcs(body);

/** Default time between the SIGTERM and the SIGKILL of a kill. */
export const KILL_GRACE_MS = 2000;

export interface RunningJob {
  /** true once the job's shell took it; false when it never did (see `ended`) */
  started: Promise<boolean>;
  /** once the job ended and what it left behind was killed (see runner.sh) */
  ended: Promise<Ended>;
  /** where its output is; resolves just before `ended` */
  output: Promise<OutputRange>;
  /**
   * SIGTERM to every process the job started, SIGKILL after `graceMs` (KILL_GRACE_MS) to those
   * still alive; resolves once the job has ended. Without /proc: signals the runner's process
   * group instead, and the SIGKILL takes the runner too (`ended` is then `runner_lost`).
   */
  kill(graceMs?: number): Promise<void>;
}

export interface RunnerOptions {
  /** setsid(1), or null to have Deno detach the runner; default `findSetsid()` */
  setsid?: string | null;
  /** the slot's cgroup directory, which each job joins; default none */
  cgroup?: string | null;
  /** where /proc is; another path plays a platform without it (tests); default "/proc" */
  proc?: string;
}

class Deferred<T> {
  resolve!: (value: T) => void;
  readonly promise = new Promise<T>((resolve) => this.resolve = resolve);
}

/** The attempt a runner is running. */
interface Current {
  spec: JobSpec;
  start: number;
  started: Deferred<boolean>;
  ended: Deferred<Ended>;
  output: Deferred<OutputRange>;
  /** why it did not start, once the runner said so */
  nostart: { reason: string; fault: "job" | "worker" } | null;
  /** the signal a kill got to: the job's shell gets it too if it reports its start later */
  killing: SessionSignal | null;
  /** the runner reported its start: from here on, losing the runner loses an attempt */
  begun: boolean;
  done: boolean;
}

/** A job its runner never started because the runner had ended: given back, never counted. */
const NEVER_STARTED: Ended = {
  kind: "not_started",
  reason: "its slot's runner shell ended before the job could start",
  fault: "worker",
};

const encoder = new TextEncoder();

export class Runner {
  /** the runner's pid: the session id of everything its jobs start */
  readonly pid: number;
  /** its start time (field 22 of /proc/<pid>/stat), null without /proc */
  readonly startTime: number | null;
  readonly cgroup: string | null;
  /** resolves once the runner has exited (or its pipe broke) */
  readonly lost: Promise<void>;
  readonly #proc: string;
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: Lines;
  #alive = true;
  #current: Current | null = null;
  /** signals on their way: the next job is sent only once they were delivered */
  #signalling: Promise<void> = Promise.resolve();

  private constructor(
    child: Deno.ChildProcess,
    lines: Lines,
    ready: { pid: number; startTime: number | null },
    cgroup: string | null,
    proc: string,
  ) {
    this.#child = child;
    this.#lines = lines;
    this.#writer = child.stdin.getWriter();
    this.pid = ready.pid;
    this.startTime = ready.startTime;
    this.cgroup = cgroup;
    this.#proc = proc;
    this.lost = this.#read();
    // killed from outside (a repair, a test): the shell it had waiting for its next job holds
    // the output pipe open, so its end would never be seen; that shell goes with its session
    child.status.then((status) => {
      if (status.signal !== null && this.#alive) {
        killSession(this.pid, this.startTime, this.cgroup, this.#proc).catch(() => {});
      }
    });
  }

  /** Starts a runner and waits until it is ready. Throws when it cannot. */
  static async start(options: RunnerOptions = {}): Promise<Runner> {
    const setsid = options.setsid === undefined ? findSetsid() : options.setsid;
    const cgroup = options.cgroup ?? null;
    const proc = options.proc ?? PROC;
    let child: Deno.ChildProcess;
    try {
      const shell = shellInvocation(SCRIPT, "queuectl-runner", [cgroup ?? "", proc]);
      child = new Deno.Command(setsid ?? "/bin/sh", {
        args: [...(setsid ? ["/bin/sh"] : []), ...shell.args],
        env: shell.env,
        stdin: "piped",
        stdout: "piped",
        stderr: "null",
        detached: setsid === null,
      }).spawn();
    } catch (e) {
      throw new Error(`Cannot start a job runner: ${(e as Error).message.split("\n")[0]}`);
    }
    const lines = new Lines(child.stdout);
    const first = await lines.next();
    const ready = first === null ? null : parseMessage(first);
    if (ready?.kind !== "ready") {
      await child.stdin.close().catch(() => {});
      await lines.close();
      const status = await child.status;
      throw new Error(
        `Cannot start a job runner: /bin/sh ended before it was ready (${
          status.signal ? `signal ${status.signal}` : `exit code ${status.code}`
        })`,
      );
    }
    return new Runner(
      child,
      lines,
      { pid: ready.pid ?? child.pid, startTime: ready.startTime },
      cgroup,
      proc,
    );
  }

  /** It has not exited: it can run a job. */
  get alive(): boolean {
    return this.#alive;
  }

  /** It is running a job. */
  get busy(): boolean {
    return this.#current !== null;
  }

  /**
   * Runs `spec` (one job at a time: throws when one is running). A spec the runner cannot take
   * ends `not_started` at once; a job whose runner exits before it starts it ends `not_started`
   * too (the worker's fault), and one whose runner exits while it runs ends `runner_lost`.
   * Its output range begins at `outputStart` (the offset its claim recorded) or, without one, at
   * the output file's size now.
   */
  run(spec: JobSpec, outputStart?: number): RunningJob {
    if (this.#current) {
      throw new Error(
        `Cannot run job ${spec.id} in runner ${this.pid}: job ${this.#current.spec.id} is running`,
      );
    }
    const job: Current = {
      spec,
      start: 0,
      started: new Deferred(),
      ended: new Deferred(),
      output: new Deferred(),
      nostart: null,
      killing: null,
      begun: false,
      done: false,
    };
    const running: RunningJob = {
      started: job.started.promise,
      ended: job.ended.promise,
      output: job.output.promise,
      kill: (graceMs) => this.#kill(job, graceMs),
    };
    // a spec no shell can carry is the job's fault (it can never run); an unreadable output file the worker's
    const problem = specProblem(spec);
    if (problem !== null) {
      this.#finish(job, { kind: "not_started", reason: problem, fault: "job" });
      return running;
    }
    try {
      job.start = outputStart ?? sizeOf(spec.output);
    } catch (e) {
      const reason = `cannot read its output file ${spec.output}: ${(e as Error).message.split("\n")[0]}`;
      this.#finish(job, { kind: "not_started", reason, fault: "worker" });
      return running;
    }
    if (!this.#alive) {
      this.#finish(job, NEVER_STARTED);
      return running;
    }
    this.#current = job;
    const text = encoder.encode(encodeSpec(spec));
    // a runner gone meanwhile breaks the write: its end of output reports the job lost
    this.#signalling.then(() => this.#writer.write(text)).catch(() => {});
    return running;
  }

  /** Ends its input: it exits once its current job has ended. Resolves when it has exited. */
  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
    await this.lost;
    await this.#child.status;
  }

  /** Reads the runner's messages until its end of output. */
  async #read(): Promise<void> {
    for (let line = await this.#lines.next(); line !== null; line = await this.#lines.next()) {
      const message = parseMessage(line);
      const job = this.#current;
      if (message === null || job === null) continue;
      switch (message.kind) {
        case "start":
          job.begun = true;
          job.started.resolve(true);
          // a kill that came before the shell took the job did not reach it (its signals were ignored)
          if (job.killing) this.#signal(job.killing);
          break;
        case "nostart":
          job.nostart = message.what === "cwd"
            ? { reason: `cannot enter ${job.spec.cwd}: ${message.reason}`, fault: "job" }
            : { reason: `cannot write its output file ${job.spec.output}`, fault: "worker" };
          break;
        case "exit":
          this.#finish(
            job,
            job.nostart !== null ? { kind: "not_started", ...job.nostart } : endedFromStatus(message.status),
          );
          break;
      }
    }
    this.#alive = false;
    await this.#lines.close();
    await this.#writer.abort().catch(() => {});
    // a job sent to a runner that was killed before it began (say by a repair) never ran
    if (this.#current) {
      this.#finish(this.#current, this.#current.begun ? { kind: "runner_lost" } : NEVER_STARTED);
    }
  }

  #finish(job: Current, ended: Ended): void {
    if (job.done) return;
    job.done = true;
    if (this.#current === job) this.#current = null;
    let end = job.start;
    try {
      end = Math.max(job.start, sizeOf(job.spec.output));
    } catch { /* unreadable now: an empty range */ }
    job.started.resolve(false);
    job.output.resolve({ path: job.spec.output, start: job.start, end });
    job.ended.resolve(ended);
  }

  async #kill(job: Current, graceMs = KILL_GRACE_MS): Promise<void> {
    if (job.done) return;
    if (job.killing === null) {
      job.killing = "SIGTERM";
      await this.#signal("SIGTERM");
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = await Promise.race([
      job.ended.promise.then(() => false),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), graceMs)),
    ]);
    clearTimeout(timer);
    if (graceOver && !job.done) {
      job.killing = "SIGKILL";
      await this.#signal("SIGKILL");
    }
    await job.ended.promise;
  }

  /**
   * Sends `signal` to the runner's session but the runner itself (and to its cgroup). Without
   * /proc to find the session: to the runner's process group, where the runner ignores a
   * SIGTERM but not a SIGKILL.
   */
  #signal(signal: SessionSignal): Promise<void> {
    const sent = (async () => {
      if (this.startTime !== null) {
        const found = await signalSession(this.pid, signal, this.cgroup, this.#proc).catch(() => null);
        if (found !== null) return;
      }
      try {
        Deno.kill(-this.pid, signal);
      } catch { /* no such group: nothing is left */ }
    })();
    this.#signalling = Promise.all([this.#signalling, sent]).then(() => {});
    return sent;
  }
}
