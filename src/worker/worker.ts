/**
 * A worker process: its slots (slots.ts), each running one job at a time in a runner of its own
 * (pool.ts), the rescuer of other workers' lost jobs (rescuer.ts), the scheduler that fires cron
 * schedules (scheduler.ts), its heartbeat (heartbeat.ts), and the loop that ties them together.
 *
 * `runOnce()` is one pass: config reload (if the file changed), stop check, home check, rescue,
 * lease renewal, kill requests, heartbeat, the ticks of cron schedules (scheduler.ts), and a claim
 * for every free slot. `run()` loops it, sleeping until the store changes (store/changes.ts), a
 * retry falls due, a schedule's next tick comes, a signal, or the poll interval, whichever comes
 * first. A slot whose job ended claims its next one itself, in the same commit as that job's
 * finish, without waiting for the loop; while every slot is busy, the store's changes (most of
 * them this worker's own) wake the loop at most every BUSY_GAP_MS, for a stop or kill request.
 *
 * Stop: a first `stop()` ends claiming and lets running jobs finish; a second kills them. A
 * worker whose home was removed or replaced stops too, and never creates a home.
 */
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import { ConfigWatch } from "../config_watch.ts";
import { CorruptionError, OperationError } from "../errors.ts";
import { newId } from "../ids.ts";
import { HomeChanges } from "../store/changes.ts";
import type { Store } from "../store/mod.ts";
import type { HomePaths } from "../store/paths.ts";
import { Heartbeat } from "./heartbeat.ts";
import { descriptorLimit, slotsProblem } from "./limits.ts";
import { livenessDeps, type WorkerProcess } from "./liveness.ts";
import { RunnerPool } from "./pool.ts";
import { processStartTime } from "./proc.ts";
import { deadWorkers, forgetWorker, WorkerRegistration } from "./registry.ts";
import { Rescuer } from "./rescuer.ts";
import { Scheduler } from "./scheduler.ts";
import { Slots } from "./slots.ts";
import { removeCgroups, removeWorkerCgroups } from "./cgroup.ts";

export interface WorkerDeps {
  store: Store;
  paths: HomePaths;
  clock: Clock;
  /** reads config.jsonc again (running workers pick up changes) */
  loadConfig: () => Promise<Config>;
  /** one line per event */
  log: (line: string) => void;
}

export interface WorkerOptions {
  slots: number;
  /** exit once no job is runnable now or waiting for a retry */
  drain: boolean;
  /** claim only from these queues (default: all) */
  queues?: string[];
  /** wake on file-system notifications (default true); false polls only, as where there are none */
  fsEvents?: boolean;
  /** run jobs in cgroups where cgroup v2 allows (default true) */
  cgroups?: boolean;
}

/** Least time between two passes woken by store changes while every slot is busy. */
const BUSY_GAP_MS = 50;

/** Why the loop's sleep is cut short. */
const WOKEN = "woken";

export class Worker {
  readonly id: string;
  readonly #deps: WorkerDeps;
  readonly #options: WorkerOptions;
  #config: Config;
  readonly #configWatch: ConfigWatch;
  #registration: WorkerRegistration | null = null;
  #heartbeat: Heartbeat | null = null;
  #pool: RunnerPool | null = null;
  #slots: Slots | null = null;
  #rescuer: Rescuer | null = null;
  #scheduler: Scheduler | null = null;
  #changes: HomeChanges | null = null;
  #process: WorkerProcess = [Deno.pid, null];
  #home: { dev: number; ino: number | null } | null = null;
  #startedAt = "";
  #startSeq = 0;
  #stopping = false;
  #killing = false;
  #failure: unknown = null;
  #lastRenew = -Infinity;
  #lastBusyWake = -Infinity;
  /** a change came within the busy gap: a wake-up is due when the gap is over */
  #busyWakePending = false;
  /** aborted when `run()` ends: ends the timers it left */
  readonly #ended = new AbortController();
  #wake = new AbortController();
  /** a pass of the loop is under way: it looks at the slots itself when it ends */
  #inPass = false;

  constructor(deps: WorkerDeps, options: WorkerOptions, config: Config) {
    this.#deps = deps;
    this.#options = options;
    this.#config = config;
    // never read through it yet: the first pass reads the file again, in case it changed since
    this.#configWatch = new ConfigWatch(deps.paths.config);
    this.id = `w-${newId(deps.clock.now().getTime())}`;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** First call: stop claiming and let running jobs finish. Second: kill them. */
  stop(reason: string): void {
    if (!this.#stopping) {
      this.#stopping = true;
      this.#slots?.stop();
      this.#say(
        `stopping (${reason}): no new claims; waiting for ${this.#slots?.jobs.length ?? 0} running job(s)`,
      );
      this.#heartbeat?.changed();
    } else if (!this.#killing) {
      this.#killing = true;
      this.#say(`interrupted again: killing ${this.#slots?.jobs.length ?? 0} running job(s)`);
      this.#slots?.interrupt(reason);
    }
    this.wake();
  }

  wake(): void {
    // a reason of our own: without one, abort() builds a DOMException (and its stack) each time
    this.#wake.abort(WOKEN);
  }

  /**
   * Registers the worker and starts its runners. Throws OperationError when the home does not
   * exist (a worker never creates one) or the descriptor limit cannot carry the slots.
   */
  async start(): Promise<void> {
    const { paths, store, clock } = this.#deps;
    let home: Deno.FileInfo;
    try {
      home = Deno.statSync(paths.home);
    } catch {
      throw new OperationError(`Cannot start a worker: its home directory ${paths.home} does not exist`);
    }
    this.#home = { dev: home.dev, ino: home.ino };
    // three independent looks, two of them helper shells: side by side, not one after another
    const [limit, startTime, startSeq] = await Promise.all([
      descriptorLimit(),
      processStartTime(Deno.pid),
      store.head(),
    ]);
    const problem = slotsProblem(this.#options.slots, limit);
    if (problem) throw new OperationError(`Cannot start ${this.#options.slots} slot(s): ${problem}`);
    this.#process = [Deno.pid, startTime];
    this.#registration = new WorkerRegistration(paths, this.id);
    this.#startedAt = clock.now().toISOString();
    this.#startSeq = startSeq;
    // the file exists before any cgroup of ours does: a worker killed while it starts leaves a
    // file by which the next one finds its cgroups (below), where it would have left them for good
    this.#heartbeat = new Heartbeat(this.#registration, clock, () => this.#info(), (m) => this.#say(m));
    this.#heartbeat.beat();
    this.#pool = await RunnerPool.start({
      workerId: this.id,
      slots: this.#options.slots,
      paths,
      cgroups: this.#options.cgroups ?? true,
      // a repair that cannot read a claim finds the job's runner here: listed before a claim names it
      // (the pool's first runners are listed by the beat after it starts: before, the file has no pool to show)
      onRunnerStarted: () => {
        if (this.#pool !== null) this.#heartbeat?.beat();
      },
    });
    this.#slots = new Slots({
      store,
      pool: this.#pool,
      clock,
      config: () => this.#config,
      workerId: this.id,
      process: this.#process,
      startSeq: this.#startSeq,
      ...(this.#options.queues ? { queues: this.#options.queues } : {}),
      say: (m) => this.#say(m),
      changed: () => this.#heartbeat?.changed(),
      // a pass's own claim that got nothing must not wake the loop: it would never sleep again
      idle: () => {
        if (!this.#inPass) this.wake();
      },
      failed: (e) => {
        this.#failure = e;
        this.wake();
      },
    }, this.#options.slots);
    this.#rescuer = new Rescuer({
      store,
      paths,
      clock,
      config: () => this.#config,
      liveness: livenessDeps(paths),
      self: this.id,
      runs: (job) => this.#slots!.runs(job),
      say: (m) => this.#say(m),
    });
    this.#scheduler = new Scheduler({
      store,
      clock,
      maxRetries: () => this.#config.max_retries,
      say: (m) => this.#say(m),
    });
    this.#heartbeat.beat();
    const cgroups = this.#pool.cgroups;
    this.#say(
      `started with ${this.#options.slots} slot(s), pid ${Deno.pid}, home ${paths.home}` +
        (this.#options.queues ? `, queues ${this.#options.queues.join(",")}` : "") +
        (cgroups.usable ? `, jobs in cgroups under ${cgroups.dir}` : `, no cgroups (${cgroups.reason})`),
    );
    // the dead workers' jobs first (their runners named in their files), then their cgroups, then
    // their files: a file stays while its cgroups could not be removed (a process not yet gone, a
    // directory its killed worker's helper was still making), so that the next start tries again
    await this.#rescuer.pass(true);
    for (const dead of deadWorkers(paths)) {
      // a file without a cgroup is a worker killed while it started (or one without cgroups):
      // its directory, if it made one, is found by its id under this process's cgroup
      const busy = await (dead.cgroup ? removeCgroups(dead.cgroup) : removeWorkerCgroups(dead.id))
        .catch((e: Error) => e.message);
      if (busy !== null) {
        this.#say(
          `kept the files of dead worker ${dead.id} until its cgroups go (${busy}): the next start tries again`,
        );
        continue;
      }
      forgetWorker(paths, dead.id);
      this.#say(`removed the files of dead worker ${dead.id}`);
    }
  }

  #info() {
    const jobs = this.#slots?.jobs ?? [];
    const cgroups = this.#pool?.cgroups;
    return {
      id: this.id,
      pid: Deno.pid,
      pid_start: this.#process[1],
      slots: this.#options.slots,
      ...(this.#options.queues ? { queues: this.#options.queues } : {}),
      cgroup: cgroups?.usable ? cgroups.dir : null,
      runners: this.#pool?.sessions() ?? [],
      started_at: this.#startedAt,
      jobs: jobs.map((j) => j.id),
      stopping: this.#stopping,
    };
  }

  /** Runs until stopped (or drained): returns once every job this worker claimed has ended. */
  async run(): Promise<void> {
    const slots = this.#slots!;
    this.#changes = new HomeChanges({
      head: () => this.#deps.store.head(),
      dir: this.#deps.paths.home,
      clock: this.#deps.clock,
      pollMs: this.#config.poll_interval * 1000,
      minGapMs: 0,
      notify: this.#options.fsEvents ?? true,
      onEvent: (names) => {
        if (this.#configWatch.concerns(names)) this.wake();
      },
    });
    const unsubscribe = this.#changes.subscribe(() => this.#storeChanged());
    if (this.#options.fsEvents === false) {
      this.#say(`file-system notifications turned off; polling every ${this.#config.poll_interval}s`);
    }
    try {
      for (;;) {
        try {
          if (this.#failure !== null) {
            const e = this.#failure;
            this.#failure = null;
            throw e;
          }
          this.#inPass = true;
          await this.runOnce();
        } catch (e) {
          if (e instanceof CorruptionError) {
            this.#say(`error: ${e.message}`);
            this.stop("the store is damaged");
            if (slots.idle) throw e;
          } else {
            // a full disk or a vanished file: keep running jobs alive and try again shortly
            this.#say(`error: ${(e as Error).message}; trying again in ${this.#config.poll_interval}s`);
            await this.#deps.clock.sleep(this.#config.poll_interval * 1000);
          }
        } finally {
          // from here on a slot that falls idle wakes the sleep below (or finds it woken)
          this.#inPass = false;
        }
        if (slots.idle) {
          if (this.#stopping) break;
          if (this.#options.drain && !(await this.#deps.store.hasWork(this.#options.queues))) {
            // a claim made meanwhile by a slot that was ending holds nothing, or we go on
            if (slots.idle) {
              this.#say("drained: no runnable job left");
              break;
            }
          }
        }
        await this.#sleep(await this.#sleepMs());
      }
    } finally {
      unsubscribe();
      this.#ended.abort();
      this.#changes.close();
      await slots.settled();
      const busy = await this.#pool?.close();
      if (busy) this.#say(`could not remove its cgroups: ${busy}`);
      this.#heartbeat?.close();
      this.#registration?.release();
      this.#registration = null;
      this.#say("stopped");
    }
  }

  /** The store changed: with a slot free there may be a job to claim; with none, a stop or kill request. */
  #storeChanged(): void {
    this.#scheduler?.changed();
    if (!this.#slots?.full) return this.wake();
    const now = this.#deps.clock.monotonic();
    if (now - this.#lastBusyWake >= BUSY_GAP_MS) {
      this.#lastBusyWake = now;
      this.wake();
      return;
    }
    // too soon after the last: the change (a kill request, say) wakes the loop once the gap is over
    if (this.#busyWakePending) return;
    this.#busyWakePending = true;
    this.#deps.clock.sleep(this.#lastBusyWake + BUSY_GAP_MS - now, this.#ended.signal).then(() => {
      this.#busyWakePending = false;
      if (!this.#ended.signal.aborted) this.#storeChanged();
    });
  }

  /** One pass. Returns the number of jobs claimed. */
  async runOnce(): Promise<number> {
    const { store, clock } = this.#deps;
    const slots = this.#slots!;
    if (this.#configWatch.changed()) await this.#reloadConfig();
    this.#checkHome();
    if (!this.#stopping && (await store.stopSeq()) > this.#startSeq) this.stop("worker stop was requested");
    await this.#rescuer!.pass();
    // intervals are paced by the monotonic clock: a wall clock stepped back must not stall them
    if (
      slots.jobs.length > 0 && clock.monotonic() - this.#lastRenew >= (this.#config.lease_timeout * 1000) / 3
    ) {
      this.#lastRenew = clock.monotonic();
      await store.renew(this.id, this.#config.lease_timeout, slots.holds());
    }
    if (slots.jobs.length > 0) slots.killRequested(await store.killRequests(this.id));
    this.#heartbeat!.tick();
    // a tick's job is claimed in this same pass when a slot is free
    if (!this.#stopping) await this.#scheduler!.pass();
    return await slots.claim();
  }

  /** Stops when the home was removed, or replaced by another directory. */
  #checkHome(): void {
    if (this.#stopping) return;
    let now: Deno.FileInfo | null = null;
    try {
      now = Deno.statSync(this.#deps.paths.home);
    } catch { /* gone */ }
    if (!now) this.stop("its home directory was removed");
    else if (now.dev !== this.#home!.dev || now.ino !== this.#home!.ino) {
      this.stop("its home directory was replaced by another");
    }
  }

  async #reloadConfig(): Promise<void> {
    try {
      const next = await this.#configWatch.load(() => this.#deps.loadConfig());
      if (JSON.stringify(next) !== JSON.stringify(this.#config)) {
        this.#config = next;
        this.#say(`config reloaded: ${JSON.stringify(next)}`);
      }
    } catch (e) {
      this.#say(`config.jsonc is invalid, keeping the previous settings: ${(e as Error).message}`);
    }
  }

  async #sleepMs(): Promise<number> {
    let ms = this.#config.poll_interval * 1000;
    if ((this.#slots?.jobs.length ?? 0) > 0) ms = Math.min(ms, (this.#config.lease_timeout * 1000) / 3, 5000);
    const due = await this.#deps.store.nextDue();
    if (due) ms = Math.min(ms, Date.parse(due) - this.#deps.clock.now().getTime());
    if (this.#scheduler) ms = Math.min(ms, this.#scheduler.wakeIn());
    return Math.max(0, ms);
  }

  async #sleep(ms: number): Promise<void> {
    if (!this.#wake.signal.aborted) await this.#deps.clock.sleep(ms, this.#wake.signal);
    this.#wake = new AbortController();
  }

  #say(message: string): void {
    this.#deps.log(`${this.#deps.clock.now().toISOString()} ${this.id} ${message}`);
  }
}
