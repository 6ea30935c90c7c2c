/**
 * The slots of a worker: each runs one job at a time in its own runner (pool.ts).
 *
 * CLAIM: one claim asks for every free slot at once (one record). Before it, each slot's ticket
 * is taken (its runner's session and where its output will start) and the claim records them,
 * so that no job ever runs where a rescuer could not find it: the job is sent to its runner only
 * once its claim is in the log. A slot counts as taken from the moment a claim asks for it until
 * its job has ended and its end was handed to the store.
 *
 * A claim names the store's head at the worker's start (`stopsAfter`): once a `worker stop` was
 * recorded after it, the store claims nothing, in the claim's own transaction, even when the
 * claim is a slot's as its job ends and the worker has not read the request yet.
 *
 * TURN: when a slot's job ends, its finish and the slot's next claim are handed to the store in
 * the same turn of the event loop, so they share one commit (log.ts, group commit).
 *
 * FAULTS: a job that cannot start for a reason of the worker's own (its output file, its runner:
 * a full disk, too many open files) is given back uncounted (`unclaim`), and the slots claim
 * nothing for a poll interval; one that cannot start for its own reason (its directory) is a
 * failed attempt like any other.
 *
 * KILLS: a timeout, a `kill` asked for in the store, or the worker's second interrupt kill the
 * attempt's whole session (runner.ts: SIGTERM, then SIGKILL after the grace period).
 */
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import { CorruptionError } from "../errors.ts";
import type { Job, Outcome } from "../job.ts";
import { shorten } from "../printable.ts";
import type { Store } from "../store/mod.ts";
import { fileName } from "../store/paths.ts";
import type { WorkerProcess } from "./liveness.ts";
import { readTail } from "./output.ts";
import type { RunnerPool, SlotJob, SlotTicket } from "./pool.ts";
import type { Ended } from "./spec.ts";

/** Tries at recording an attempt's end (a full disk, say) before the job is left to a rescuer. */
const FINISH_TRIES = 5;

/** Why an attempt's timeout timer is cancelled. */
const ENDED = "the attempt ended";

export interface SlotsDeps {
  store: Store;
  pool: RunnerPool;
  clock: Clock;
  config: () => Config;
  workerId: string;
  process: WorkerProcess;
  /** the store's head when the worker started: a stop request recorded after it ends claiming */
  startSeq: number;
  /** claim only from these queues (default: all) */
  queues?: readonly string[];
  say: (message: string) => void;
  /** the running jobs changed (the heartbeat shows them) */
  changed: () => void;
  /** nothing runs and no claim is in flight: the loop decides what next */
  idle: () => void;
  /** a failure the loop must see (a damaged store) */
  failed: (error: unknown) => void;
}

interface Attempt {
  slot: number;
  job: Job;
  running: SlotJob;
  /** why it is being killed, if it is */
  why: { kind: "timeout"; after: number } | { kind: "kill" } | { kind: "interrupt"; signal: string } | null;
}

export class Slots {
  readonly #deps: SlotsDeps;
  readonly #free: number[];
  readonly #attempts = new Map<number, Attempt>();
  #claims = 0;
  #stopping = false;
  #interrupted: string | null = null;
  /** no claims before this (monotonic ms): the worker's own failure is being waited out */
  #pausedUntil = -Infinity;
  readonly #tasks = new Set<Promise<void>>();

  constructor(deps: SlotsDeps, count: number) {
    this.#deps = deps;
    this.#free = Array.from({ length: count }, (_, i) => i + 1);
  }

  /** Nothing runs and no claim is in flight. */
  get idle(): boolean {
    return this.#attempts.size === 0 && this.#claims === 0;
  }

  /** Every slot is taken (by a job or a claim in flight). */
  get full(): boolean {
    return this.#free.length === 0;
  }

  get jobs(): Job[] {
    return [...this.#attempts.values()].map((a) => a.job);
  }

  /** [id, claim] of every attempt running: what renewals name. */
  holds(): Array<[string, number]> {
    return this.jobs.filter((j) => j.claim !== null).map((j) => [j.id, j.claim!]);
  }

  /** This worker runs this attempt of the job now. */
  runs(job: Job): boolean {
    for (const a of this.#attempts.values()) {
      if (a.job.id === job.id && a.job.claim === job.claim) return true;
    }
    return false;
  }

  /** No more claims; running jobs finish. */
  stop(): void {
    this.#stopping = true;
  }

  /** Kills every running job (a second interrupt, `signal`); jobs launched from now on are killed at once. */
  interrupt(signal: string): void {
    this.#interrupted = signal;
    for (const a of this.#attempts.values()) this.#kill(a, { kind: "interrupt", signal });
  }

  /** Kills the attempts named by kill requests (`job.kill` set in the store). */
  killRequested(jobs: Job[]): void {
    for (const job of jobs) {
      for (const a of this.#attempts.values()) {
        if (a.job.id === job.id && a.job.claim === job.claim) this.#kill(a, { kind: "kill" });
      }
    }
  }

  /** Resolves once every launched attempt has been recorded. */
  async settled(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.all(this.#tasks);
  }

  #kill(a: Attempt, why: NonNullable<Attempt["why"]>): void {
    if (a.why !== null) return;
    a.why = why;
    const grace = why.kind === "interrupt" ? 0 : undefined;
    a.running.kill(grace).catch((e) => this.#deps.say(`could not kill ${a.job.id}: ${(e as Error).message}`));
  }

  /**
   * Claims a job for every free slot, in one record, and launches what it got. Called from a
   * slot's turn, it hands its write to the store in the same turn as the finish before it, and
   * tells the loop (`idle`) when it claimed nothing and nothing runs (the loop ignores what its own
   * pass says: see worker.ts).
   */
  async claim(): Promise<number> {
    const { store, clock, config } = this.#deps;
    if (this.#stopping || this.#free.length === 0 || clock.monotonic() < this.#pausedUntil) return 0;
    const slots = this.#free.splice(0);
    this.#claims++;
    let launched = 0;
    try {
      let tickets: SlotTicket[];
      try {
        const prepared = slots.map((slot) => this.#deps.pool.prepare(slot));
        // a live runner gives its ticket at once: no await, so the claim joins this turn's commit
        tickets = prepared.some((t) => t instanceof Promise)
          ? await Promise.all(prepared)
          : prepared as SlotTicket[];
      } catch (e) {
        this.#ownFailure(`could not prepare a slot (${(e as Error).message.split("\n")[0]})`);
        return 0;
      }
      const claimed = await store.claim({
        worker: this.#deps.workerId,
        process: this.#deps.process,
        slots: tickets.map((t) => ({
          sid: [t.runner.sessionId, t.runner.startTime],
          out: [fileName(t.output), t.start],
        })),
        leaseSeconds: config().lease_timeout,
        stopsAfter: this.#deps.startSeq,
        ...(this.#deps.queues ? { queues: this.#deps.queues } : {}),
      }, () => !this.#stopping);
      for (const [i, job] of claimed.entries()) {
        this.#launch(tickets[i], job);
        launched++;
      }
      return claimed.length;
    } finally {
      this.#free.push(...slots.slice(launched));
      this.#claims--;
      if (this.idle) this.#deps.idle();
    }
  }

  /** The worker itself failed (not the job): no claims for a poll interval. */
  #ownFailure(why: string): void {
    const wait = this.#deps.config().poll_interval;
    this.#pausedUntil = this.#deps.clock.monotonic() + wait * 1000;
    this.#deps.say(`${why}; claiming again in ${wait}s`);
  }

  #launch(ticket: SlotTicket, job: Job): void {
    const { say } = this.#deps;
    say(`claimed ${job.id} (attempt ${job.attempts} of ${job.max_retries + 1}): ${shorten(job.command, 80)}`);
    const running = this.#deps.pool.run(ticket, {
      id: job.id,
      attempt: job.attempts,
      command: job.command,
      ...(job.argv ? { argv: job.argv } : {}),
      cwd: job.cwd,
      env: job.env ?? {},
    });
    const attempt: Attempt = { slot: ticket.slot, job, running, why: null };
    this.#attempts.set(ticket.slot, attempt);
    this.#deps.changed();
    if (this.#interrupted !== null) this.#kill(attempt, { kind: "interrupt", signal: this.#interrupted });
    const task = this.#attempt(attempt)
      .catch((e) => {
        if (e instanceof CorruptionError) this.#deps.failed(e);
        else say(`error while running ${job.id}: ${(e as Error).message}`);
      })
      .finally(() => this.#tasks.delete(task));
    this.#tasks.add(task);
  }

  async #attempt(a: Attempt): Promise<void> {
    const { store, config, say } = this.#deps;
    const timeout = a.job.timeout ?? config().job_timeout;
    const timer = timeout > 0 ? new AbortController() : null;
    if (timer) {
      this.#deps.clock.sleep(timeout * 1000, timer.signal).then(() => {
        if (!timer.signal.aborted) this.#kill(a, { kind: "timeout", after: timeout });
      });
    }
    let ended: Ended;
    try {
      ended = await a.running.ended;
    } finally {
      // a reason of our own: without one, abort() builds a DOMException (and its stack) per job
      timer?.abort(ENDED);
    }
    const range = await a.running.output;
    if (ended.kind === "not_started" && ended.fault === "worker") {
      this.#release(a);
      this.#ownFailure(`could not start ${a.job.id} (${ended.reason})`);
      const back = await store.unclaim(this.#deps.workerId, a.job.id, a.job.claim!);
      if (back) say(`gave ${a.job.id} back without counting the attempt`);
      return;
    }
    const tail = range.end > range.start ? await readTail(range) : null;
    const outcome = outcomeOf(ended, a.why);
    // the finish is handed over first; the slot's next claim, in the same turn, shares its commit
    const recorded = this.#record(() =>
      store.finish({
        worker: this.#deps.workerId,
        id: a.job.id,
        claim: a.job.claim,
        outcome,
        tail,
        out_end: range.end,
        config: config(),
      })
    );
    this.#release(a);
    if (!this.#stopping) this.claim().catch((e) => this.#deps.failed(e));
    const after = await recorded;
    if (!after) {
      say(`finished ${a.job.id}, but it had been taken back: the result was not recorded`);
      return;
    }
    say(describeEnd(after, this.#deps.clock.now()));
  }

  #release(a: Attempt): void {
    this.#attempts.delete(a.slot);
    this.#free.push(a.slot);
    this.#deps.changed();
    if (this.idle) this.#deps.idle();
  }

  /** Retries a write that failed (a full disk, say) a few times before leaving the job to a rescuer. */
  async #record<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 1;; attempt++) {
      try {
        return await write();
      } catch (e) {
        if (attempt >= FINISH_TRIES || e instanceof CorruptionError) throw e;
        this.#deps.say(`could not record a result (${(e as Error).message}); retrying in 1s`);
        await this.#deps.clock.sleep(1000);
      }
    }
  }
}

/** How an attempt ended, as the job model counts it. */
export function outcomeOf(ended: Ended, why: Attempt["why"]): Outcome {
  if (ended.kind === "exited") return { kind: "exited", code: ended.code };
  if (ended.kind === "not_started") return { kind: "spawn_failed", message: ended.reason };
  if (why?.kind === "timeout") return { kind: "timeout", after: why.after };
  if (why?.kind === "kill") return { kind: "killed", signal: "SIGTERM" };
  // the worker's second interrupt kills without a grace period: SIGKILL ends the job, whichever
  // signal the worker got
  if (why?.kind === "interrupt") return { kind: "killed", signal: "SIGKILL" };
  if (ended.kind === "signaled") return { kind: "exited", code: ended.code };
  return { kind: "lost" };
}

/** One line for the worker's log about a recorded end. */
export function describeEnd(job: Job, now: Date): string {
  const total = job.max_retries + 1;
  switch (job.state) {
    case "completed":
      return `completed ${job.id}`;
    case "failed": {
      const wait = job.run_at === null
        ? 0
        : Math.max(0, Math.round((Date.parse(job.run_at) - now.getTime()) / 1000));
      return `failed ${job.id} (${job.last_error}); retry ${job.attempts} of ${total - 1} in ${wait}s`;
    }
    case "dead":
      return `dead ${job.id} (${job.last_error}) after ${job.attempts} attempt(s): moved to the DLQ`;
    default:
      return `${job.state} ${job.id}`;
  }
}
