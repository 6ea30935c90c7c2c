/**
 * A worker process: N slots, each running one job at a time as a child process group.
 * `runOnce()` is one pass (stop check, rescue, lease renewal, heartbeat, claim); `run()` loops
 * it, sleeping until a file-system event on the log, a finished job, a due retry, a signal or
 * the poll interval, whichever comes first.
 */
import type { Config } from "../config.ts";
import { CorruptionError } from "../errors.ts";
import { newId } from "../ids.ts";
import type { Job } from "../job.ts";
import type { Clock } from "../store/log.ts";
import type { Store } from "../store/mod.ts";
import type { HomePaths } from "../store/paths.ts";
import { ensureDir, exists } from "../store/durable.ts";
import { type RunningAttempt, spawnAttempt } from "./execute.ts";
import { killOrphanGroup } from "./proc.ts";
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
}

const HEARTBEAT_SECONDS = 5;
const FINISH_TRIES = 5;
const RESCUE_SECONDS = 1;

interface Slot {
  job: Job;
  attempt: RunningAttempt | null;
}

export class Worker {
  readonly id: string;
  readonly #deps: WorkerDeps;
  readonly #options: WorkerOptions;
  #config: Config;
  readonly #running = new Map<string, Slot>();
  readonly #tasks = new Set<Promise<void>>();
  #registration: WorkerRegistration | null = null;
  #startedAt = "";
  #startSeq = 0;
  #stopping = false;
  #killing = false;
  /** performance.now() of the last renewal, rescue and heartbeat */
  #lastRenew = -Infinity;
  #lastRescue = -Infinity;
  #lastBeat = -Infinity;
  #wakeUp: () => void = () => {};
  #woken = false;

  constructor(deps: WorkerDeps, options: WorkerOptions, config: Config) {
    this.#deps = deps;
    this.#options = options;
    this.#config = config;
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
    this.#heartbeat(true);
    this.#say(
      `started with ${this.#options.slots} slot(s), pid ${Deno.pid}, home ${this.#deps.paths.home}`,
    );
  }

  /** Runs until stopped (or drained): returns once every job this worker claimed has ended. */
  async run(): Promise<void> {
    const watcher = this.#watch();
    try {
      for (;;) {
        try {
          await this.runOnce();
        } catch (e) {
          if (e instanceof CorruptionError) {
            this.#say(`error: ${e.message}`);
            this.stop("the store is damaged");
            if (this.#running.size === 0) throw e;
          } else {
            // a full disk or a vanished file: keep running jobs alive and try again shortly
            this.#say(`error: ${(e as Error).message}; trying again in ${this.#config.poll_interval}s`);
          }
        }
        if (this.#running.size === 0) {
          if (this.#stopping) break;
          if (this.#options.drain && !(await this.#deps.store.hasWork())) {
            this.#say("drained: no runnable job left");
            break;
          }
        }
        await this.#sleep(await this.#sleepSeconds());
      }
      await Promise.all(this.#tasks);
    } finally {
      watcher?.close();
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
    if (!this.#stopping && !exists(this.#deps.paths.home)) {
      this.stop("its home directory was removed");
    }
    if (!this.#stopping && (await store.stopSeq()) > this.#startSeq) {
      this.stop("worker stop was requested");
    }
    if (now - this.#lastRescue >= RESCUE_SECONDS * 1000) {
      this.#lastRescue = now;
      await this.#rescue();
    }
    if (
      this.#running.size > 0 &&
      now - this.#lastRenew >= (this.#config.lease_timeout * 1000) / 3
    ) {
      this.#lastRenew = now;
      await store.renew(this.id, this.#config.lease_timeout, [...this.#running.keys()]);
    }
    this.#heartbeat(false);
    if (this.#stopping) return 0;
    const free = this.#options.slots - this.#running.size;
    if (free <= 0) return 0;
    // a signal that arrives while the claim waits for the store lock still stops it
    const claimed = await store.claim(this.id, free, this.#config.lease_timeout, () => !this.#stopping);
    if (claimed.length > 0) this.#lastRenew = now;
    for (const job of claimed) this.#launch(job);
    if (claimed.length > 0) this.#heartbeat(true);
    return claimed.length;
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
        this.wake();
      });
    this.#tasks.add(task);
  }

  async #execute(slot: Slot): Promise<void> {
    const { store, paths, clock } = this.#deps;
    const job = slot.job;
    const total = job.max_retries + 1;
    this.#say(
      `claimed ${job.id} (attempt ${job.attempts} of ${total}): ${oneLine(job.command)}`,
    );
    const timeout = job.timeout ?? this.#config.job_timeout;
    const spawned = await spawnAttempt(job, {
      logPath: paths.jobLog(job.id),
      timeout,
      attempt: job.attempts,
      worker: this.id,
      now: () => clock.now(),
    });
    let outcome;
    let tail: string | null = null;
    if ("error" in spawned) {
      outcome = { kind: "spawn_failed" as const, message: spawned.error };
    } else {
      slot.attempt = spawned;
      const ok = await store.started(
        this.id,
        job.id,
        job.attempts,
        spawned.pid,
        spawned.pidStart,
      );
      if (!ok) {
        spawned.kill("SIGKILL"); // taken back before it ran: it never starts
        await spawned.done;
        this.#say(
          `lost ${job.id} before it started (its lease was taken back)`,
        );
        return;
      }
      if (this.#killing) spawned.kill("SIGKILL");
      else await spawned.go();
      const result = await spawned.done;
      outcome = result.outcome;
      tail = result.tail;
    }
    const after = await this.#record(() =>
      store.finish({
        worker: this.id,
        id: job.id,
        attempt: job.attempts,
        outcome,
        tail,
        config: this.#config,
      })
    );
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

  #heartbeat(force: boolean): void {
    const now = this.#deps.clock.now();
    const tick = performance.now();
    if (
      !this.#registration ||
      (!force && tick - this.#lastBeat < HEARTBEAT_SECONDS * 1000)
    ) return;
    this.#lastBeat = tick;
    try {
      this.#registration.update({
        id: this.id,
        pid: Deno.pid,
        slots: this.#options.slots,
        started_at: this.#startedAt,
        heartbeat_at: now.toISOString(),
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

  /** Wakes on appends by other processes and reloads config.jsonc when it changes. */
  #watch(): Deno.FsWatcher | null {
    let watcher: Deno.FsWatcher;
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
    (async () => {
      try {
        for await (const event of watcher) {
          // reads (access events) change nothing: waking on them would let readers spin us
          if (event.kind === "access" || event.kind === "any" || event.kind === "other") continue;
          if (event.paths.some((p) => p.endsWith(".jsonl"))) this.wake();
          if (event.paths.some((p) => p === this.#deps.paths.config)) {
            await this.#reloadConfig();
          }
        }
      } catch { /* closed */ }
    })();
    return watcher;
  }

  async #reloadConfig(): Promise<void> {
    try {
      const next = await this.#deps.loadConfig();
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

function oneLine(command: string): string {
  const flat = command.replace(/\s+/g, " ").trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
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
