/**
 * The runners of a worker: one per slot (runner.ts), each with its output file (output.ts)
 * and, where cgroup v2 lets us, its cgroup (cgroup.ts). A runner that died (killed from
 * outside, or by a SIGKILL where there is no /proc) has what it left behind killed at once
 * and is replaced when its slot runs its next job.
 *
 * Slots are numbered from 1. Their output files are `paths.slotOutput(workerId, slot, part)`;
 * their cgroups `queuectl-<workerId>/slot-<n>` under the worker's own, removed by `close()`.
 */
import { ensureSubdir } from "../durable.ts";
import type { HomePaths } from "../store/paths.ts";
import { type CgroupSetup, makeCgroups, proveCgroups, removeCgroups } from "./cgroup.ts";
import { OUTPUT_LIMIT, sizeOf, SlotOutput } from "./output.ts";
import { type JobSpec, Runner, type RunningJob } from "./runner.ts";
import { killSession, PROC } from "./session.ts";

export interface PoolOptions {
  workerId: string;
  slots: number;
  paths: HomePaths;
  /** size past which a slot starts a new output file; default OUTPUT_LIMIT (64 MiB) */
  outputLimit?: number;
  /** use cgroup v2 where it is usable; default true */
  cgroups?: boolean;
  /** told (synchronously) when a runner has started, before any ticket names it */
  onRunnerStarted?: () => void;
  /** setsid(1), or null to have Deno detach runners; default `findSetsid()` */
  setsid?: string | null;
  /** where /proc is (tests play a platform without it); default "/proc" */
  proc?: string;
}

/** What a rescuer needs to kill an attempt whose worker died: `killSession(sessionId, ...)`. */
export interface RunnerIdentity {
  sessionId: number;
  startTime: number | null;
  cgroup: string | null;
}

/**
 * A slot, ready for its next job: its runner (the session a rescuer kills if this worker dies)
 * and where the job's output will start. A claim records it before the job is sent.
 */
export interface SlotTicket {
  slot: number;
  runner: RunnerIdentity;
  /** the slot's output file now */
  output: string;
  /** its size now: where the next job's output begins */
  start: number;
}

export interface SlotJob extends RunningJob {
  /** the runner that runs it; null when none could be started (`ended` says why) */
  runner: RunnerIdentity | null;
}

export class RunnerPool {
  readonly slots: number;
  /** whether jobs run in cgroups, and why not */
  readonly cgroups: CgroupSetup;
  readonly #options: PoolOptions;
  readonly #runners: (Runner | null)[];
  readonly #outputs: SlotOutput[];
  /** per slot: a job was given to it and has not ended */
  readonly #taken: boolean[];
  /** per slot: the killing of what a lost runner left behind */
  readonly #cleanups: Promise<unknown>[];
  #closing = false;

  private constructor(options: PoolOptions, cgroups: CgroupSetup, outputs: SlotOutput[]) {
    this.#options = options;
    this.slots = options.slots;
    this.cgroups = cgroups;
    this.#outputs = outputs;
    this.#runners = outputs.map(() => null);
    this.#cleanups = outputs.map(() => Promise.resolve());
    this.#taken = outputs.map(() => false);
  }

  /**
   * Sets up the cgroups (when usable) and output files of `slots` slots and starts their
   * runners. Throws (leaving no runner or cgroup behind) when one cannot start.
   */
  static async start(options: PoolOptions): Promise<RunnerPool> {
    const { workerId, slots, paths } = options;
    ensureSubdir(paths.logsDir);
    const outputs = Array.from(
      { length: slots },
      (_, i) =>
        new SlotOutput(
          (part) => paths.slotOutput(workerId, i + 1, part),
          options.outputLimit ?? OUTPUT_LIMIT,
        ),
    );
    const proc = options.proc ?? PROC;
    const cgroups: CgroupSetup = options.cgroups === false
      ? { usable: false, reason: "cgroups are turned off" }
      : await makeCgroups(workerId, slots, proc);
    const pool = new RunnerPool(options, cgroups, outputs);
    // the proof that processes can join the cgroups waits on the kernel (cgroup.sh): the runners
    // start meanwhile, and start again without cgroups in the rare case that they cannot be joined
    const unusable = await pool.#startRunners(cgroups.usable ? proveCgroups(cgroups.dir, proc) : null);
    if (unusable === null) return pool;
    // the proof removed the cgroups; none of the runners has run a job
    await pool.close();
    const plain = new RunnerPool(options, { usable: false, reason: unusable }, outputs);
    await plain.#startRunners(null);
    return plain;
  }

  /**
   * Starts every slot's runner while `proof` settles, and resolves to what it resolves to (null
   * without one). Throws, leaving no runner or cgroup behind, when a runner or the proof fails.
   */
  async #startRunners(proof: Promise<string | null> | null): Promise<string | null> {
    const [started, proved] = await Promise.all([
      Promise.allSettled(this.#outputs.map((_, i) => this.#startRunner(i))),
      Promise.allSettled([proof]),
    ]);
    const failed = [...started, ...proved].find((result) => result.status === "rejected");
    if (failed) {
      await this.close();
      throw failed.reason;
    }
    return (proved[0] as PromiseFulfilledResult<string | null>).value;
  }

  /** Each slot's runner session now, [pid, start time], null while it has none. */
  sessions(): Array<[number, number | null] | null> {
    return this.#runners.map((r) => (r?.alive ? [r.pid, r.startTime] : null));
  }

  /** The runner of `slot` now (null while it is being replaced). */
  runner(slot: number): Runner | null {
    return this.#runners[this.#index(slot)];
  }

  /**
   * What a claim for `slot` records before its job may start (see `SlotTicket`): the slot's
   * runner, started first when there is none or it died, and where its next job's output will
   * begin (the next file part when the current one is full). Synchronous when the runner is
   * alive, which is the common case: a slot that just ended a job claims its next one in the
   * same store commit as that job's finish. Throws when no runner or output file can be had.
   */
  prepare(slot: number): SlotTicket | Promise<SlotTicket> {
    const i = this.#index(slot);
    const output = this.#outputs[i].next();
    const runner = this.#runners[i];
    if (runner?.alive) return this.#ticket(slot, runner, output.path, output.size);
    // a runner to start first: the file's size is asked when the ticket is made, once it is up
    return this.#startRunner(i).then((started) =>
      this.#ticket(slot, started, output.path, sizeOf(output.path))
    );
  }

  #ticket(slot: number, runner: Runner, output: string, start: number): SlotTicket {
    return {
      slot,
      runner: { sessionId: runner.pid, startTime: runner.startTime, cgroup: runner.cgroup },
      output,
      start,
    };
  }

  /**
   * Runs `job` in the slot of `ticket` (from `prepare`, recorded by the job's claim), which must
   * not be running one (from this call until its `ended`); its output goes to the ticket's
   * file. When the slot's runner is no longer the ticket's (it died meanwhile), the job ends
   * `not_started` (the worker's fault): its claim named a session that is gone.
   */
  run(ticket: SlotTicket, job: Omit<JobSpec, "output">): SlotJob {
    const i = this.#index(ticket.slot);
    if (this.#taken[i]) {
      throw new Error(`Cannot run job ${job.id} in slot ${ticket.slot}: it is running a job`);
    }
    const runner = this.#runners[i];
    if (!runner?.alive || runner.pid !== ticket.runner.sessionId) {
      const end = sizeOrZero(ticket.output);
      return {
        runner: null,
        started: Promise.resolve(false),
        ended: Promise.resolve({
          kind: "not_started",
          reason: "its slot's runner shell ended before the job could start",
          fault: "worker",
        }),
        output: Promise.resolve({ path: ticket.output, start: end, end }),
        kill: () => Promise.resolve(),
      };
    }
    this.#taken[i] = true;
    // its output range (and the tail read from it at its end) begins where its claim recorded it
    const running = runner.run({ ...job, output: ticket.output }, ticket.start);
    const lost = runner.lost;
    return {
      ...running,
      // a lost runner's job may still run: the attempt ends once it was killed (see #startRunner)
      ended: running.ended.then(async (ended) => {
        if (ended.kind === "runner_lost") {
          await lost;
          await this.#cleanups[i];
        }
        this.#taken[i] = false;
        return ended;
      }),
      runner: ticket.runner,
    };
  }

  /**
   * Ends every runner (each exits once its current job has ended: kill those first to end
   * sooner), then removes the cgroups. Leftovers of successful jobs without a cgroup are left
   * running (see runner.sh). Resolves to null, or to why a cgroup could not be removed.
   */
  async close(): Promise<string | null> {
    this.#closing = true;
    await Promise.all(this.#runners.map((runner) => runner?.close()));
    await Promise.all(this.#cleanups);
    return this.cgroups.usable ? await removeCgroups(this.cgroups.dir, this.#options.proc ?? PROC) : null;
  }

  #index(slot: number): number {
    if (!Number.isInteger(slot) || slot < 1 || slot > this.slots) {
      throw new Error(`Cannot use slot ${slot}: the pool has slots 1 to ${this.slots}`);
    }
    return slot - 1;
  }

  /** Starts the runner of slot index `i`, once what its predecessor left behind is dead. */
  async #startRunner(i: number): Promise<Runner> {
    // a runner that has just died: its `lost` handler (below) queues the cleanup, which must
    // end before a new runner's job joins the same cgroup
    await this.#runners[i]?.lost;
    this.#runners[i] = null;
    await this.#cleanups[i];
    const runner = await Runner.start({
      setsid: this.#options.setsid,
      cgroup: this.cgroups.usable ? this.cgroups.slots[i] : null,
      proc: this.#options.proc,
    });
    if (this.#closing) {
      await runner.close(); // started while the pool closed: it must not outlive it
      throw new Error("Cannot run a job: the runner pool is closing");
    }
    this.#runners[i] = runner;
    this.#options.onRunnerStarted?.();
    runner.lost.then(() => {
      // a runner that ended without being closed left its job (and what that started) behind
      if (this.#closing || this.#runners[i] !== runner) return;
      this.#cleanups[i] = killSession(runner.pid, runner.startTime, runner.cgroup, this.#options.proc ?? PROC)
        .catch(() => {});
    });
    return runner;
  }
}

/** Size of `path`, 0 when it cannot be read. */
function sizeOrZero(path: string): number {
  try {
    return sizeOf(path);
  } catch {
    return 0;
  }
}
