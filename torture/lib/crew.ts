/**
 * A crew of `worker start` processes sharing one home, for the steps that race workers: a
 * killer SIGKILLs one at random now and then and starts a replacement; at the end the survivors
 * stop gracefully and a draining worker finishes what is left. Every process is tracked by
 * lib/cli.ts, so an interrupted run still ends them.
 */
import { homePaths } from "../../src/store/paths.ts";
import { listWorkers } from "../../src/worker/registry.ts";
import { killGroup, waitFor } from "../../testkit/mod.ts";
import { type Proc, spawnWorker, within } from "./cli.ts";
import { processesNaming } from "./procs.ts";
import type { Rng } from "./prng.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Crew {
  readonly #workers = new Set<Proc>();
  kills = 0;
  #killing = false;

  constructor(readonly home: string, readonly slots: number, readonly violations: string[]) {}

  start(count: number): void {
    for (let i = 0; i < count; i++) {
      this.#workers.add(spawnWorker(this.home, ["--count", String(this.slots)]));
    }
  }

  /** Waits until every worker has said it started (its signal handlers are installed then). */
  async started(): Promise<void> {
    await Promise.all(
      [...this.#workers].map((proc) =>
        Promise.race([
          proc.exited,
          waitFor(() => / started with /.test(proc.stdout()), "a worker to start", 60_000, 20),
        ])
          .catch(() => {})
      ),
    );
  }

  /**
   * SIGKILLs a worker every `gapMs` (a range) until `stop()`, starting a replacement each time:
   * one that runs jobs (its heartbeat says so) when there is one, so that kills cut runs short.
   */
  async killer(r: Rng, gapMs: [number, number]): Promise<void> {
    this.#killing = true;
    while (this.#killing) {
      await sleep(r.int(...gapMs));
      if (!this.#killing || this.#workers.size === 0) continue;
      const busy = new Set(
        listWorkers(homePaths(this.home)).filter((w) => w.jobs.length > 0).map((w) => w.pid),
      );
      const workers = [...this.#workers];
      const victim = r.pick(
        workers.some((w) => busy.has(w.pid)) ? workers.filter((w) => busy.has(w.pid)) : workers,
      );
      this.#workers.delete(victim);
      victim.kill("SIGKILL");
      await victim.exited;
      this.kills++;
      this.start(1);
    }
  }

  stopKilling(): void {
    this.#killing = false;
  }

  /** Stops the workers gracefully (SIGTERM); one that does not exit in time is a violation. */
  async stop(): Promise<void> {
    this.#killing = false;
    await this.started();
    const workers = [...this.#workers];
    this.#workers.clear();
    for (const proc of workers) proc.kill("SIGTERM");
    for (const proc of workers) {
      try {
        const exit = await within(proc, 60_000, "a stopping worker");
        if (exit.code !== 0) {
          this.violations.push(`a worker exited ${exit.code} on SIGTERM: ${exit.stderr.trim()}`);
        }
      } catch (e) {
        this.violations.push((e as Error).message);
      }
    }
  }

  /** Runs `worker start --drain` to finish what the killed workers left (their jobs are taken back). */
  async drain(): Promise<void> {
    const drained = await within(
      spawnWorker(this.home, ["--drain", "--count", String(this.slots)]),
      300_000,
      "the drain",
    );
    if (drained.code !== 0) {
      this.violations.push(`the drain exited ${drained.code}: ${drained.stderr.trim()}`);
    }
  }

  /**
   * Ends a run under a killer: stops it and waits for its last kill, stops the workers, drains what
   * the killed ones left, and looks for job processes of `marker` still running.
   */
  async windDown(killer: Promise<void>, marker: string): Promise<void> {
    this.stopKilling();
    await killer;
    await this.stop();
    await this.drain();
    this.leftovers(marker);
  }

  /** Job processes of `marker` (the step's directory) still running: a violation, and killed. */
  leftovers(marker: string): void {
    const orphans = processesNaming(marker);
    if (orphans.length > 0) {
      this.violations.push(`job processes ${orphans.join(", ")} still run after the drain`);
    }
    for (const pid of orphans) killGroup(pid);
  }

  dispose(marker: string): void {
    this.#killing = false;
    for (const proc of this.#workers) proc.kill("SIGKILL");
    for (const pid of processesNaming(marker)) killGroup(pid);
  }
}
