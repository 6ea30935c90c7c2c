/**
 * A worker process: N slots, each running one job at a time as a child process group.
 *
 * Claims: a slot whose process has ended claims its next job at once, in the same store commit
 * (one append, one fdatasync) as the finish of the job it ran; `runOnce()` claims for every
 * slot still free, in one record. A slot counts as taken from the moment a claim asks for it
 * until its process has ended, so claims in flight never overshoot N.
 *
 * Before such a claim the worker checks for a stop request if the log changed since its last
 * check (the check is queued in the store ahead of the claim).
 *
 * Wrappers: when a job has started, the worker starts a spare wrapper shell (execute.ts) for a
 * job to come, so a slot's next job does not wait for a shell to start. Spares exist only while
 * `run()` runs, at most one per slot plus EXTRA_SPARES; an idle worker keeps IDLE_SPARES of them,
 * and a stopping one none (they read EOF and exit without running anything).
 *
 * `runOnce()` is one pass (stop check, rescue, lease renewal, heartbeat, claim); `run()` loops
 * it, sleeping until a file-system event on the log, a worker that fell idle, a due retry, a
 * signal or the poll interval, whichever comes first. While every slot is busy nothing can be
 * claimed and most log events are the worker's own appends: they wake the loop (for its stop
 * check) at most once per EVENT_COALESCE_MS.
 */
import type { Config } from "../config.ts";
import { ConfigWatch } from "../config_watch.ts";
import { CorruptionError } from "../errors.ts";
import { newId } from "../ids.ts";
import type { Job, Outcome } from "../job.ts";
import type { Clock } from "../clock.ts";
import type { Store } from "../store/mod.ts";
import type { HomePaths } from "../store/paths.ts";
import { ensureDir, exists } from "../durable.ts";
import { findSetsid, probeUmask, type RunningAttempt, spawnAttempt, Wrapper } from "./execute.ts";
import { killOrphanGroup } from "./proc.ts";
import { shorten } from "../printable.ts";
import { isWorkerAlive, pruneDeadWorkers, WorkerRegistration } from "./registry.ts";

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
  /** wake on file-system notifications (default true); false polls only, as where there are none */
  fsEvents?: boolean;
}

const HEARTBEAT_SECONDS = 5;
/**
 * Least time between two heartbeat files written because the running jobs changed: `worker
 * list` is advisory, and rewriting the file for every job would cost a file creation each.
 */
const HEARTBEAT_MIN_MS = 200;
/** Least time between two passes woken by log events while every slot is busy. */
const EVENT_COALESCE_MS = 50;
const FINISH_TRIES = 5;
/**
 * Spare wrappers kept beyond one per slot. Taken oldest first, a spare was started that many jobs
 * earlier: with exactly one per slot, slots running very short jobs often found theirs not ready.
 */
const EXTRA_SPARES = 2;
/** Spare wrappers an idle worker keeps, so that the first job it claims starts at once. */
const IDLE_SPARES = 1;
const RESCUE_SECONDS = 1;

interface Slot {
  job: Job;
  attempt: RunningAttempt | null;
}

export class Worker {
  readonly id: string;
  readonly #deps: WorkerDeps;
  readonly #options: WorkerOptions;
  readonly #setsid = findSetsid();
  /** this process's umask, which jobs run with (their wrapper creates their log 0600) */
  #umask: string | null = null;
  #config: Config;
  /** tells whether config.jsonc changed since it was last read */
  readonly #configWatch: ConfigWatch;
  #reloading: Promise<void> = Promise.resolve();
  /** jobs this worker holds: claimed, and their finish not yet recorded */
  readonly #running = new Map<string, Slot>();
  /** slots taken: asked for by a claim in flight, or running a process that has not ended */
  #busy = 0;
  /** claims in flight */
  #claims = 0;
  /** wrappers started ahead of their jobs (see the top of this file) */
  readonly #spares: Wrapper[] = [];
  /** run() is running: spares may be started */
  #looping = false;
  readonly #tasks = new Set<Promise<void>>();
  #registration: WorkerRegistration | null = null;
  #startedAt = "";
  #startSeq = 0;
  #stopping = false;
  #killing = false;
  /** an error of a claim made outside the loop, for the loop to handle */
  #failure: unknown = null;
  /** performance.now() of the last renewal, rescue and heartbeat */
  #lastRenew = -Infinity;
  #lastRescue = -Infinity;
  #lastBeat = -Infinity;
  /** performance.now() of the last heartbeat written because the running jobs changed */
  #lastJobsBeat = -Infinity;
  #beatTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  #eventTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  #wakeUp: () => void = () => {};
  #woken = false;
  /** file-system events are delivered */
  #watching = false;
  /** the log changed since the last stop check (someone may have asked us to stop) */
  #logChanged = true;

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
      this.#say(
        `stopping (${reason}): no new claims; waiting for ${this.#running.size} running job(s)`,
      );
      this.#heartbeat(true);
      this.#endSpares();
    } else if (!this.#killing) {
      // armed even with nothing running: a claim still in flight is killed as it launches
      this.#killing = true;
      this.#say(`interrupted again: killing ${this.#running.size} running job(s)`);
      for (const slot of this.#running.values()) slot.attempt?.kill("SIGKILL");
    }
    this.wake();
  }

  wake(): void {
    this.#woken = true;
    this.#wakeUp();
  }

  async start(): Promise<void> {
    ensureDir(this.#deps.paths.home);
    ensureDir(this.#deps.paths.logsDir);
    for (const id of pruneDeadWorkers(this.#deps.paths)) {
      this.#say(`removed the files of dead worker ${id}`);
    }
    this.#registration = new WorkerRegistration(this.#deps.paths, this.id);
    this.#startedAt = this.#deps.clock.now().toISOString();
    this.#startSeq = await this.#deps.store.head();
    this.#umask = probeUmask(`${this.#deps.paths.workersDir}/${this.id}.umask`);
    this.#heartbeat(true, false);
    this.#say(
      `started with ${this.#options.slots} slot(s), pid ${Deno.pid}, home ${this.#deps.paths.home}`,
    );
  }

  /** Runs until stopped (or drained): returns once every job this worker claimed has ended. */
  async run(): Promise<void> {
    const watcher = this.#watch();
    this.#looping = true;
    this.#addSpares(IDLE_SPARES);
    try {
      for (;;) {
        try {
          if (this.#failure !== null) {
            const e = this.#failure;
            this.#failure = null;
            throw e;
          }
          await this.runOnce();
        } catch (e) {
          if (e instanceof CorruptionError) {
            this.#say(`error: ${e.message}`);
            this.stop("the store is damaged");
            if (this.#idle()) throw e;
          } else {
            // a full disk or a vanished file: keep running jobs alive and try again shortly
            this.#say(`error: ${(e as Error).message}; trying again in ${this.#config.poll_interval}s`);
            // a failed append truncates the log, a log event that would end the sleep below at
            // once: without this pause the worker retries in a busy loop while the disk stays full
            await new Promise((r) => setTimeout(r, this.#config.poll_interval * 1000));
          }
        }
        if (this.#idle()) {
          if (this.#stopping) break;
          if (this.#options.drain && !(await this.#deps.store.hasWork())) {
            // a claim made meanwhile by a slot that was ending holds nothing, or we go on
            if (this.#idle()) {
              this.#say("drained: no runnable job left");
              break;
            }
          }
        }
        await this.#sleep(await this.#sleepSeconds());
      }
    } finally {
      this.#looping = false;
      await this.#endSpares();
      while (this.#tasks.size > 0) await Promise.all(this.#tasks);
      this.#watching = false;
      watcher?.close();
      clearTimeout(this.#beatTimer);
      clearTimeout(this.#eventTimer);
      this.#registration?.release();
      this.#registration = null;
      this.#say("stopped");
    }
  }

  /** One pass. Returns the number of jobs claimed. */
  async runOnce(): Promise<number> {
    const { store } = this.#deps;
    // intervals are paced by a monotonic clock: a wall clock stepped back must not stall them
    const now = performance.now();
    await this.#pollConfig();
    await this.#checkStop();
    if (now - this.#lastRescue >= RESCUE_SECONDS * 1000) {
      this.#lastRescue = now;
      await this.#rescue();
    }
    // a claim does not count as a renewal: the jobs claimed earlier still need theirs
    if (
      this.#running.size > 0 &&
      now - this.#lastRenew >= (this.#config.lease_timeout * 1000) / 3
    ) {
      this.#lastRenew = now;
      await store.renew(this.id, this.#config.lease_timeout, [...this.#running.keys()]);
    }
    this.#heartbeat(false);
    return await this.#claim(true);
  }

  /** Stops when the home was removed or `worker stop` was asked for since we started. */
  async #checkStop(): Promise<void> {
    this.#logChanged = false;
    if (!this.#stopping && !exists(this.#deps.paths.home)) {
      this.stop("its home directory was removed");
    }
    if (!this.#stopping && (await this.#deps.store.stopSeq()) > this.#startSeq) {
      this.stop("worker stop was requested");
    }
  }

  /** No job held and no claim in flight. */
  #idle(): boolean {
    return this.#running.size === 0 && this.#claims === 0;
  }

  /**
   * Claims a job for every free slot, in one record, and launches what it got. Its write joins
   * any write queued in the same turn (the finish of the job whose slot just ended) in one commit.
   */
  async #claim(byLoop: boolean): Promise<number> {
    const free = this.#options.slots - this.#busy;
    if (this.#stopping || free <= 0) return 0;
    this.#busy += free;
    this.#claims++;
    let claimed: Job[] = [];
    try {
      // a signal that arrives while the claim waits for the store lock still stops it
      claimed = await this.#deps.store.claim(
        this.id,
        free,
        this.#config.lease_timeout,
        () => !this.#stopping,
      );
    } finally {
      this.#busy -= free - claimed.length;
      this.#claims--;
    }
    for (const job of claimed) this.#launch(job);
    if (claimed.length > 0) this.#heartbeat(true);
    else if (this.#idle()) {
      this.#endSpares(IDLE_SPARES);
      // the loop decides whether to stop or drain (it knows when it claimed nothing itself)
      if (!byLoop) this.wake();
    }
    return claimed.length;
  }

  /**
   * A slot's process has ended: the slot claims its next job at once, outside the loop. When the
   * log changed since the last stop check, `stopChecked` is that check, queued in the store
   * before this claim, so a `worker stop` already in the log stops the claim.
   */
  #release(stopChecked: Promise<void> | null): void {
    this.#busy--;
    if (this.#stopping) return;
    const failed = (e: unknown) => {
      this.#failure = e;
      this.wake();
    };
    stopChecked?.catch(failed);
    this.#claim(false).catch(failed);
  }

  /** The stop check a slot's next claim needs, queued now (before the finish and the claim). */
  #stopCheckForClaim(): Promise<void> | null {
    if (this.#stopping || (this.#watching && !this.#logChanged)) return null;
    return this.#checkStop();
  }

  /** A spare wrapper, or a new one. */
  readonly #wrapper = (): Wrapper => {
    for (let spare = this.#spares.shift(); spare; spare = this.#spares.shift()) {
      if (!spare.ended) return spare;
      this.#track(spare.dispose()); // killed while it waited
    }
    return new Wrapper(this.#setsid);
  };

  /** Starts spare wrappers for jobs to come, up to `target`. */
  #addSpares(target = this.#options.slots + EXTRA_SPARES): void {
    while (this.#looping && !this.#stopping && this.#spares.length < target) {
      let spare: Wrapper;
      try {
        spare = new Wrapper(this.#setsid);
      } catch {
        return; // the next job starts its own, and says why it cannot
      }
      this.#spares.push(spare);
      spare.ready.then((ready) => {
        const i = this.#spares.indexOf(spare);
        if (ready === null && i >= 0) {
          this.#spares.splice(i, 1);
          this.#track(spare.dispose());
        }
      });
    }
  }

  /** Ends the spare wrappers but the oldest `keep` (they exit without running anything). */
  #endSpares(keep = 0): Promise<void> {
    const ending = Promise.all(this.#spares.splice(keep).map((spare) => spare.dispose())).then(() => {});
    this.#track(ending);
    return ending;
  }

  /** Keeps `run()` from returning before `task` has settled. */
  #track(task: Promise<void>): void {
    const tracked = task.catch(() => {}).finally(() => this.#tasks.delete(tracked));
    this.#tasks.add(tracked);
  }

  #launch(job: Job): void {
    const slot: Slot = { job, attempt: null };
    this.#running.set(job.id, slot);
    const task = this.#execute(slot)
      .catch((e) => this.#say(`error while running ${job.id}: ${(e as Error).message}`))
      .finally(() => {
        // the same id may hold a newer slot: a retry of this job we claimed after it was taken back
        if (this.#running.get(job.id) === slot) this.#running.delete(job.id);
        this.#tasks.delete(task);
        this.#heartbeat(true);
        if (this.#idle() || this.#stopping) this.wake();
      });
    this.#tasks.add(task);
  }

  async #execute(slot: Slot): Promise<void> {
    let released = false;
    const release = (stopChecked?: Promise<void> | null) => {
      if (released) return;
      released = true;
      this.#release(stopChecked === undefined ? this.#stopCheckForClaim() : stopChecked);
    };
    try {
      await this.#attempt(slot, release);
    } finally {
      release();
    }
  }

  /** Runs one attempt; calls `release` once its process has ended. */
  async #attempt(slot: Slot, release: (stopChecked: Promise<void> | null) => void): Promise<void> {
    const { store, paths, clock } = this.#deps;
    const job = slot.job;
    const total = job.max_retries + 1;
    this.#say(
      `claimed ${job.id} (attempt ${job.attempts} of ${total}): ${shorten(job.command, 80)}`,
    );
    const timeout = job.timeout ?? this.#config.job_timeout;
    const spawned = await spawnAttempt(job, {
      logPath: paths.jobLog(job.id),
      wrapper: this.#wrapper,
      umask: this.#umask ??= probeUmask(`${paths.workersDir}/${this.id}.umask`),
      timeout,
      attempt: job.attempts,
      worker: this.id,
      now: () => clock.now(),
    });
    let outcome: Outcome;
    let tail: string | null = null;
    if ("error" in spawned) {
      outcome = { kind: "spawn_failed" as const, message: spawned.error };
    } else {
      slot.attempt = spawned;
      let ok: boolean;
      try {
        ok = await store.started(this.id, job.id, job.attempts, spawned.pid, spawned.pidStart);
      } catch (e) {
        spawned.kill("SIGKILL"); // its pid is not on record: it must never get "go"
        await spawned.done;
        throw e;
      }
      if (!ok) {
        spawned.kill("SIGKILL"); // taken back before it ran: it never starts
        await spawned.done;
        this.#say(
          `lost ${job.id} before it started (its lease was taken back)`,
        );
        return;
      }
      if (this.#killing) spawned.kill("SIGKILL");
      else {
        await spawned.go();
        this.#addSpares(); // while the job runs: ready (see EXTRA_SPARES) when a slot ends
      }
      const result = await spawned.done;
      outcome = result.outcome;
      tail = result.tail;
    }
    // the finish is queued before the slot's next claim, which then shares its commit
    const stopChecked = this.#stopCheckForClaim();
    const recorded = this.#record(() =>
      store.finish({
        worker: this.id,
        id: job.id,
        attempt: job.attempts,
        outcome,
        tail,
        config: this.#config,
      })
    );
    release(stopChecked);
    const after = await recorded;
    if (!after) {
      this.#say(
        `finished ${job.id}, but its lease had been taken back: the result was not recorded`,
      );
      return;
    }
    this.#say(describeFinish(after, total, clock.now()));
  }

  /** Retries a write that failed (a full disk, say) a few times before giving the job up. */
  async #record<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 1;; attempt++) {
      try {
        return await write();
      } catch (e) {
        if (attempt >= FINISH_TRIES || e instanceof CorruptionError) throw e;
        this.#say(`could not record a result (${(e as Error).message}); retrying in 1s`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  async #rescue(): Promise<void> {
    const { store, paths } = this.#deps;
    const cache = new Map<string, boolean>();
    const isDead = (worker: string) => {
      if (worker === this.id) return false;
      if (!cache.has(worker)) cache.set(worker, !isWorkerAlive(paths, worker));
      return cache.get(worker)!;
    };
    for (const job of await store.lost(isDead)) {
      // our own running job: we are alive and renew it; one we no longer run (its result could
      // not be recorded) is taken back like any other
      if (job.worker === this.id && this.#running.get(job.id)?.job.attempts === job.attempts) continue;
      // a job whose worker died keeps running in its own process group: end it before a retry
      if (job.pid !== null) await killOrphanGroup(job.pid, job.pid_start, "SIGKILL");
      const after = await store.takeBack(job, isDead, this.#config);
      if (after) {
        this.#say(
          `took back ${job.id} from lost worker ${job.worker}: ${
            describeFinish(after, job.max_retries + 1, this.#deps.clock.now())
          }`,
        );
      }
    }
  }

  /**
   * Rewrites the heartbeat file: every HEARTBEAT_SECONDS, and when `force`d (the running jobs or
   * the stop state changed). A change to the running jobs within HEARTBEAT_MIN_MS of the last
   * one is written once that time has passed, so a busy worker rewrites it a few times a second.
   */
  #heartbeat(force: boolean, jobsChanged = force && !this.#stopping): void {
    if (!this.#registration) return;
    const tick = performance.now();
    if (!force && tick - this.#lastBeat < HEARTBEAT_SECONDS * 1000) return;
    if (jobsChanged) {
      if (this.#beatTimer !== undefined) return; // already due
      const wait = this.#lastJobsBeat + HEARTBEAT_MIN_MS - tick;
      if (wait > 0) {
        this.#beatTimer = setTimeout(() => {
          this.#beatTimer = undefined;
          this.#heartbeat(true);
        }, wait);
        return;
      }
      this.#lastJobsBeat = tick;
    }
    this.#lastBeat = tick;
    try {
      this.#registration.update({
        id: this.id,
        pid: Deno.pid,
        slots: this.#options.slots,
        started_at: this.#startedAt,
        heartbeat_at: this.#deps.clock.now().toISOString(),
        jobs: [...this.#running.keys()],
        stopping: this.#stopping,
      });
    } catch (e) {
      this.#say(`could not write the heartbeat file: ${(e as Error).message}`);
    }
  }

  async #sleepSeconds(): Promise<number> {
    let seconds = this.#config.poll_interval;
    if (this.#running.size > 0) {
      seconds = Math.min(
        seconds,
        this.#config.lease_timeout / 3,
        HEARTBEAT_SECONDS,
      );
    }
    const due = await this.#deps.store.nextDue();
    if (due) {
      seconds = Math.min(
        seconds,
        (Date.parse(due) - this.#deps.clock.now().getTime()) / 1000,
      );
    }
    return Math.max(0, seconds);
  }

  #sleep(seconds: number): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined = undefined;
      const done = () => {
        clearTimeout(timer);
        // whichever ends the sleep, a later wake() must only mark #woken for the next one
        this.#wakeUp = () => {};
        resolve();
      };
      timer = setTimeout(done, Math.ceil(seconds * 1000));
      this.#wakeUp = () => {
        this.#woken = false;
        done();
      };
    });
  }

  /** Wakes on appends by other processes, and on changes to config.jsonc (see #pollConfig). */
  #watch(): Deno.FsWatcher | null {
    let watcher: Deno.FsWatcher;
    if (this.#options.fsEvents === false) {
      this.#say(`file-system notifications turned off; polling every ${this.#config.poll_interval}s`);
      return null;
    }
    try {
      watcher = Deno.watchFs(this.#deps.paths.home, { recursive: false });
    } catch (e) {
      this.#say(
        `file-system notifications unavailable (${
          (e as Error).message
        }); polling every ${this.#config.poll_interval}s`,
      );
      return null;
    }
    this.#watching = true;
    (async () => {
      try {
        for await (const event of watcher) {
          // reads (access events) change nothing: waking on them would let readers spin us
          if (event.kind === "access" || event.kind === "any" || event.kind === "other") continue;
          // with every slot taken nothing can be claimed: our own appends (claim, started,
          // finish) land here too, and the next pass comes when a slot ends anyway
          if (event.paths.some((p) => p.endsWith(".jsonl"))) this.#logEvent();
          if (this.#configWatch.concerns(event.paths)) await this.#reloadConfig();
        }
      } catch { /* closed */ }
    })();
    return watcher;
  }

  /**
   * The log changed. With a slot free there may be a job to claim: the loop runs now. With every
   * slot taken, the only news that matters is a stop request, and most events are our own
   * appends: the loop runs at most once per EVENT_COALESCE_MS for them.
   */
  #logEvent(): void {
    this.#logChanged = true;
    if (this.#busy < this.#options.slots) {
      this.wake();
    } else if (this.#eventTimer === undefined) {
      this.#eventTimer = setTimeout(() => {
        this.#eventTimer = undefined;
        if (this.#logChanged) this.wake();
      }, EVENT_COALESCE_MS);
    }
  }

  /** Reloads config.jsonc if it changed since last read: every pass, with or without events. */
  async #pollConfig(): Promise<void> {
    if (this.#configWatch.changed()) await this.#reloadConfig();
  }

  /** Reads config.jsonc again; one read at a time (an event and a pass may ask at once). */
  #reloadConfig(): Promise<void> {
    this.#reloading = this.#reloading.then(() => this.#reloadConfigNow());
    return this.#reloading;
  }

  async #reloadConfigNow(): Promise<void> {
    try {
      const next = await this.#configWatch.load(this.#deps.loadConfig);
      if (JSON.stringify(next) !== JSON.stringify(this.#config)) {
        this.#config = next;
        this.#say(`config reloaded: ${JSON.stringify(next)}`);
        this.wake();
      }
    } catch (e) {
      this.#say(
        `config.jsonc is invalid, keeping the previous settings: ${(e as Error).message}`,
      );
    }
  }

  #say(message: string): void {
    this.#deps.log(
      `${this.#deps.clock.now().toISOString()} ${this.id} ${message}`,
    );
  }
}

function describeFinish(job: Job, total: number, now: Date): string {
  switch (job.state) {
    case "completed":
      return `completed ${job.id}`;
    case "failed": {
      const wait = Math.max(
        0,
        Math.round((Date.parse(job.run_at) - now.getTime()) / 1000),
      );
      return `failed ${job.id} (${job.last_error}); retry ${job.attempts} of ${total - 1} in ${wait}s`;
    }
    case "dead":
      return `dead ${job.id} (${job.last_error}) after ${job.attempts} attempt(s): moved to the DLQ`;
    default:
      return `${job.state} ${job.id}`;
  }
}
