/**
 * One kill -9 trial in a fresh home: enqueuers and workers run while a killer SIGKILLs random
 * ones (and random jobs' process groups); killed workers are replaced; then the survivors stop
 * gracefully, a `worker start --drain` finishes the queue, and every guarantee is checked
 * (lib/invariants.ts) against the store, the ledger and `doctor`.
 */
import { killGroup, waitFor } from "../testkit/mod.ts";
import { cliJson, type Proc, spawnCli, spawnWorker, within } from "./lib/cli.ts";
import {
  compactionLeftovers,
  makeScratch,
  readText,
  removeScratch,
  type Scratch,
  writeConfig,
} from "./lib/home.ts";
import { belowFloors } from "./lib/floors.ts";
import { checkTrial, type Expectation, type FinalJob } from "./lib/invariants.ts";
import { jobCommand, parseLedger, runsOf } from "./lib/ledger.ts";
import { deriveSeed, type Rng, rng } from "./lib/prng.ts";
import { exclusiveHolders, processesNaming, runsWith } from "./lib/procs.ts";
import { type KillKind, pickKill, planJob, planTrial, type TrialPlan } from "./kill_plan.ts";
import { INTERRUPTED } from "../src/handoff/protocol.ts";

export interface TrialOutcome {
  plan: TrialPlan;
  violations: string[];
  kills: Record<KillKind, number>;
  /** kills of a process holding the store's lock, and those of them that cut a compaction short */
  killsOfWriter: number;
  killsMidCompaction: number;
  enqueuesAcked: number;
  /** enqueues a worker ran for its caller (src/handoff) and was killed running: their caller cannot tell */
  enqueuesLostWithWorker: number;
  jobsAcked: number;
  unackedPresent: number;
  runs: number;
  rerunsAfterWorkerKill: number;
  /** the chaos phase ran past its planned length to reach the floor of kills */
  chaosExtended: boolean;
}

/**
 * The least a trial must do (lib/floors.ts): kills of any kind, and job runs in the ledger (the 8
 * jobs enqueued before the workers start must each run at least once). The chaos phase goes on past
 * its planned length (at most EXTRA_CHAOS_MS) until the kills reach their floor, so only a trial
 * that could not kill (nothing to kill, a killer that failed) falls below it.
 */
export const TRIAL_FLOORS = { kills: 2, "job runs (ledger)": 8 } as const;
const EXTRA_CHAOS_MS = 30_000;

/** Config of every trial: a short lease and near-immediate retries, so the drain is quick. */
const CONFIG = { lease_timeout: 2, backoff_base: 1, backoff_max: 0.05, poll_interval: 0.2 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Trial {
  readonly s: Scratch;
  readonly env: Record<string, string>;
  readonly attempted = new Map<string, Expectation>();
  readonly acked = new Set<string>();
  readonly workers = new Map<number, { proc: Proc; slots: number }>();
  readonly everyWorker = new Set<number>();
  readonly killedWorkers = new Set<number>();
  readonly killedJobs = new Set<number>();
  readonly enqueues = new Set<Proc>();
  readonly violations: string[] = [];
  readonly kills: Record<KillKind, number> = { worker: 0, enqueue: 0, job: 0 };
  enqueuesAcked = 0;
  enqueuesLostWithWorker = 0;
  killsMidCompaction = 0;
  killsOfWriter = 0;
  over = false;

  constructor(readonly index: number, readonly plan: TrialPlan) {
    this.s = makeScratch(`torture-kill-${index}-`);
    this.env = plan.compactAfter === null ? {} : { QUEUECTL_COMPACT_AFTER_BYTES: String(plan.compactAfter) };
  }

  startWorker(slots: number): void {
    const proc = spawnWorker(this.s.home, ["--count", String(slots)], { env: this.env });
    this.workers.set(proc.pid, { proc, slots });
    this.everyWorker.add(proc.pid);
  }

  /** One loop of enqueue processes: single jobs, and batches through --file. */
  async enqueuer(k: number, r: Rng): Promise<void> {
    for (let n = 0; !this.over; n++) await this.enqueue(k, n, r.chance(0.4) ? r.int(2, 10) : 1, r);
  }

  /** One enqueue process of `size` jobs (a batch through --file when more than one). */
  async enqueue(k: number, n: number, size: number, r: Rng): Promise<void> {
    const specs = Array.from({ length: size }, (_, i) => {
      const id = `e${k}-${n}-${i}`;
      const job = planJob(r);
      this.attempted.set(id, job.expect);
      return {
        id,
        command: jobCommand(this.s.ledger, id, job.behaviour),
        max_retries: job.expect.maxRetries,
      };
    });
    let args: string[];
    if (size === 1) args = ["enqueue", JSON.stringify(specs[0])];
    else {
      const file = `${this.s.dir}/batch-${k}-${n}.jsonl`;
      Deno.writeTextFileSync(file, specs.map((spec) => JSON.stringify(spec)).join("\n") + "\n");
      args = ["enqueue", "--file", file];
    }
    const workerKills = this.kills.worker;
    const proc = spawnCli(this.s.home, args, { env: this.env });
    this.enqueues.add(proc);
    const exit = await within(proc, 60_000, `trial ${this.index}: enqueue`).finally(() =>
      this.enqueues.delete(proc)
    );
    if (exit.code === 0) {
      const printed = exit.stdout.split("\n").filter((l) => l !== "");
      const ids = specs.map((spec) => spec.id);
      if (printed.join(",") !== ids.join(",")) {
        this.violations.push(`enqueue of ${ids.join(",")} printed ${JSON.stringify(exit.stdout)}`);
      }
      for (const id of printed) this.acked.add(id);
      this.enqueuesAcked++;
    } else if (
      exit.code === 1 && exit.stderr === `error: ${INTERRUPTED}\n` && this.kills.worker > workerKills
    ) {
      // a worker took the call and was killed running it: to its caller, as if it had been killed
      this.enqueuesLostWithWorker++;
    } else if (exit.signal !== "SIGKILL") {
      this.violations.push(`enqueue of ${specs[0].id}.. exited ${exit.code}: ${exit.stderr.trim()}`);
    }
  }

  async killer(r: Rng): Promise<void> {
    while (!this.over) {
      await sleep(r.int(...this.plan.killGapMs));
      if (this.over) return;
      const open = this.openRuns().filter((token) => runsWith(token, this.s.dir));
      const available: KillKind[] = [];
      if (this.workers.size > 0) available.push("worker");
      if (this.enqueues.size > 0) available.push("enqueue");
      if (open.length > 0) available.push("job");
      const kind = pickKill(r, available);
      if (kind === "job") {
        const token = r.pick(open);
        this.killedJobs.add(token);
        killGroup(token);
        this.kills.job++;
        continue;
      }
      await this.killProcess(r, kind === "worker" ? "worker" : "enqueue");
    }
  }

  /**
   * SIGKILLs a worker or an enqueuer while every other process of the trial is stopped
   * (SIGSTOP, for a few milliseconds), so the home can be read as the victim left it. Some kills
   * pick whichever of them holds the store's lock at that instant (mid-append, mid-claim,
   * mid-compaction); the kill cut a compaction short when the victim held the lock and the home
   * shows a compaction under way. A killed worker is replaced.
   */
  async killProcess(r: Rng, kind: "worker" | "enqueue"): Promise<void> {
    const workers = [...this.workers.values()].map((w) => w.proc);
    const everyone = [...workers, ...this.enqueues];
    const signal = (procs: Proc[], sig: Deno.Signal) => {
      for (const p of procs) {
        try {
          Deno.kill(p.pid, sig);
        } catch { /* it exited */ }
      }
    };
    signal(everyone, "SIGSTOP");
    let victim: Proc | undefined;
    try {
      const holders = exclusiveHolders(this.s.paths.lock);
      victim = r.chance(0.4) ? everyone.find((p) => holders.includes(p.pid)) : undefined;
      victim ??= r.pick(kind === "worker" ? workers : [...this.enqueues]);
      if (holders.includes(victim.pid)) {
        this.killsOfWriter++;
        if (compactionLeftovers(this.s) !== "") this.killsMidCompaction++;
      }
      victim.kill("SIGKILL");
      await victim.exited;
    } finally {
      signal(everyone.filter((p) => p !== victim), "SIGCONT");
    }
    const worker = this.workers.get(victim.pid);
    if (worker) {
      this.workers.delete(victim.pid);
      this.killedWorkers.add(victim.pid);
      this.kills.worker++;
      this.startWorker(worker.slots);
    } else this.kills.enqueue++;
  }

  /** Process groups of runs that started and have not ended yet (or were killed). */
  openRuns(): number[] {
    const { events } = parseLedger(readText(this.s.ledger));
    const open: number[] = [];
    for (const list of runsOf(events).runs.values()) {
      for (const run of list) if (run.end === null) open.push(run.token);
    }
    return open;
  }

  /** Waits until every worker has said it started (its signal handlers are installed then). */
  async workersStarted(): Promise<void> {
    await Promise.all([...this.workers.values()].map(({ proc }) =>
      Promise.race([
        proc.exited,
        waitFor(() => / started with /.test(proc.stdout()), "a worker to start", 30_000, 20),
      ]).catch(() => {})
    ));
  }

  /** Stops the surviving workers gracefully; one that will not stop is killed (and counted so). */
  async stopWorkers(): Promise<void> {
    // a worker SIGTERMed before it has installed its handlers dies of it
    await this.workersStarted();
    const workers = [...this.workers.values()];
    this.workers.clear();
    for (const { proc } of workers) proc.kill("SIGTERM");
    for (const { proc } of workers) {
      try {
        const exit = await within(proc, 30_000, `trial ${this.index}: a stopping worker`);
        if (exit.code !== 0) {
          this.violations.push(`a worker exited ${exit.code} on SIGTERM: ${exit.stderr.trim()}`);
        }
      } catch (e) {
        this.killedWorkers.add(proc.pid);
        this.violations.push((e as Error).message);
      }
    }
  }

  async drainAndCheck(): Promise<{ runs: number; reruns: number; unackedPresent: number }> {
    const drain = spawnWorker(this.s.home, ["--drain", "--count", "4"], { env: this.env });
    this.everyWorker.add(drain.pid);
    const drained = await within(drain, 120_000, `trial ${this.index}: the drain`);
    if (drained.code !== 0) {
      this.violations.push(`the drain exited ${drained.code}: ${drained.stderr.trim()}`);
    }
    const jobs = await cliJson<FinalJob[]>(this.s.home, ["list", "--limit", "0"]);
    const doctor = await cliJson<{ ok: boolean; problems: string[] }>(this.s.home, ["doctor"]);
    if (!doctor.ok) this.violations.push(`doctor: ${doctor.problems.join("; ")}`);
    const { events, bad } = parseLedger(readText(this.s.ledger));
    const check = checkTrial({
      attempted: this.attempted,
      acked: this.acked,
      jobs,
      events,
      badLines: bad,
      workers: this.everyWorker,
      killedWorkers: this.killedWorkers,
      killedJobs: this.killedJobs,
    });
    this.violations.push(...check.violations);
    const orphans = processesNaming(this.s.dir);
    if (orphans.length > 0) {
      this.violations.push(`job processes ${orphans.join(", ")} still run after the drain`);
      for (const pid of orphans) killGroup(pid);
    }
    return { runs: check.runs, reruns: check.rerunsAfterWorkerKill, unackedPresent: check.unackedPresent };
  }

  /** Kills whatever is left (after a failure) and removes the scratch directory. */
  dispose(): void {
    for (const { proc } of this.workers.values()) proc.kill("SIGKILL");
    for (const proc of this.enqueues) proc.kill("SIGKILL");
    for (const pid of processesNaming(this.s.dir)) killGroup(pid);
    removeScratch(this.s);
  }
}

export async function runTrial(seed: number, index: number, quick: boolean): Promise<TrialOutcome> {
  const plan = planTrial(rng(deriveSeed(seed, index, 0)), quick);
  const t = new Trial(index, plan);
  try {
    writeConfig(t.s, CONFIG);
    // work for the workers from their first instant, and kills only once they run: else most
    // kills hit workers still starting up, and the jobs run during the drain
    await t.enqueue(9, 0, 8, rng(deriveSeed(seed, index, 2)));
    for (const slots of plan.workers) t.startWorker(slots);
    await t.workersStarted();
    const loops = Array.from(
      { length: plan.enqueuers },
      (_, k) => t.enqueuer(k, rng(deriveSeed(seed, index, k + 10))),
    );
    const killer = t.killer(rng(deriveSeed(seed, index, 1)));
    await sleep(plan.chaosMs);
    const kills = () => t.kills.worker + t.kills.enqueue + t.kills.job;
    const chaosExtended = kills() < TRIAL_FLOORS.kills;
    await waitFor(() => kills() >= TRIAL_FLOORS.kills, "the floor of kills", EXTRA_CHAOS_MS, 20).catch(
      () => {},
    );
    t.over = true;
    await Promise.all([...loops, killer]);
    await t.stopWorkers();
    const checked = await t.drainAndCheck();
    t.violations.push(...belowFloors([
      { label: "kills", value: kills() },
      { label: "job runs (ledger)", value: checked.runs },
    ], TRIAL_FLOORS));
    return {
      plan,
      violations: t.violations.map((v) => `seed ${seed} trial ${index}: ${v}`),
      kills: t.kills,
      killsOfWriter: t.killsOfWriter,
      killsMidCompaction: t.killsMidCompaction,
      enqueuesAcked: t.enqueuesAcked,
      enqueuesLostWithWorker: t.enqueuesLostWithWorker,
      jobsAcked: t.acked.size,
      unackedPresent: checked.unackedPresent,
      runs: checked.runs,
      rerunsAfterWorkerKill: checked.reruns,
      chaosExtended,
    };
  } finally {
    t.over = true; // loops still running after a failure stop at their next turn
    t.dispose();
  }
}
