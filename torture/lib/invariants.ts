/**
 * The guarantees a kill -9 trial and an exactly-once run must keep, checked from what the
 * harness saw (acknowledged ids, kills) against the store's final state and the ledger. Pure:
 * the tests feed it hand-made violating ledgers to prove it can fail.
 */
import { type LedgerEvent, type Run, runsOf } from "./ledger.ts";

/** What the harness asked of a job: succeed, or fail every run (and end dead). */
export interface Expectation {
  kind: "ok" | "fail";
  maxRetries: number;
}

/** A job as `list --json` shows it at the end, reduced to what the checks read. */
export interface FinalJob {
  id: string;
  state: string;
  attempts: number;
  last_error: string | null;
}

export interface TrialFacts {
  /** every id an enqueue was tried for, acknowledged or not */
  attempted: Map<string, Expectation>;
  /** ids an enqueue printed before exiting 0 */
  acked: Set<string>;
  jobs: FinalJob[];
  events: LedgerEvent[];
  /** ledger lines that did not parse */
  badLines: number[];
  /** pids of every `worker start` process of the trial (each run's ledger lines name one) */
  workers: Set<number>;
  /** pids of the workers the harness killed with SIGKILL */
  killedWorkers: Set<number>;
  /** process groups of job runs the harness killed */
  killedJobs: Set<number>;
}

export interface TrialCheck {
  violations: string[];
  runs: number;
  /** runs that repeated a job because a worker holding it was killed */
  rerunsAfterWorkerKill: number;
  /** jobs present though their enqueue was killed before it printed the id */
  unackedPresent: number;
}

const FINAL_STATES = new Set(["completed", "dead"]);

export function checkTrial(f: TrialFacts): TrialCheck {
  const violations: string[] = [];
  const byId = new Map<string, FinalJob>();
  for (const job of f.jobs) {
    if (byId.has(job.id)) violations.push(`job ${job.id} is listed twice`);
    byId.set(job.id, job);
    if (!f.attempted.has(job.id)) violations.push(`job ${job.id} is in the store but was never enqueued`);
    if (!FINAL_STATES.has(job.state)) violations.push(`job ${job.id} is still ${job.state} after the drain`);
  }
  for (const id of f.acked) {
    if (!byId.has(id)) violations.push(`job ${id} was acknowledged but is missing from the store`);
  }
  for (const line of f.badLines) violations.push(`ledger line ${line} is not a ledger line`);

  const { runs, orphanEnds } = runsOf(f.events);
  for (const line of orphanEnds) violations.push(`ledger line ${line} ends a run that never started`);
  // a run is excused from ending (or from being repeated) when the harness killed it or its worker;
  // a run must name a worker of the trial: one that does not is never taken for a killed one
  const workerKilled = (r: Run) => f.killedWorkers.has(r.worker);
  const excused = (r: Run) => workerKilled(r) || f.killedJobs.has(r.token);
  let total = 0;
  let reruns = 0;
  for (const [id, list] of runs) {
    total += list.length;
    const job = byId.get(id);
    if (!job) {
      violations.push(`job ${id} ran (ledger line ${list[0].start}) but is not in the store`);
      continue;
    }
    if (list.length > job.attempts) {
      violations.push(`job ${id} ran ${list.length} times but the store counts ${job.attempts} attempt(s)`);
    }
    const expected = f.attempted.get(id);
    if (expected && list.length > expected.maxRetries + 1) {
      violations.push(
        `job ${id} ran ${list.length} times, more than its ${expected.maxRetries + 1} attempt(s)`,
      );
    }
    for (const a of list) {
      if (!f.workers.has(a.worker)) {
        violations.push(
          `job ${id}: the run by pid ${a.token} (ledger line ${a.start}) names worker pid ${a.worker}, which is no worker of the trial`,
        );
      }
      if (a.end === null) {
        if (!excused(a)) {
          violations.push(
            `job ${id}: the run by pid ${a.token} (worker pid ${a.worker}) stopped without its end line, and neither it nor its worker was killed`,
          );
        }
        continue;
      }
      const overlapping = list.find((b) => b !== a && b.start > a.start && b.start < a.end!);
      if (overlapping) {
        violations.push(
          `job ${id}: run by pid ${overlapping.token} started at ledger line ${overlapping.start} while the run by pid ${a.token} was still running (it ended at line ${a.end})`,
        );
      }
    }
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1];
      if (prev.code !== null && prev.code !== 0) continue; // a failed attempt is retried by design
      if (workerKilled(prev)) reruns++;
      else if (!excused(prev)) {
        violations.push(
          `job ${id} ran again (ledger line ${
            list[i].start
          }) after a run by pid ${prev.token} under worker pid ${prev.worker} that ${
            prev.code === 0 ? "succeeded" : "was not killed"
          }, and that worker was never killed`,
        );
      }
    }
  }

  for (const job of byId.values()) {
    const expected = f.attempted.get(job.id);
    const list = runs.get(job.id) ?? [];
    if (job.state === "completed") {
      if (expected?.kind === "fail") violations.push(`job ${job.id} is completed but every run of it fails`);
      else if (!list.some((r) => r.code === 0)) {
        violations.push(`job ${job.id} is completed but the ledger shows no successful run`);
      }
    }
    if (job.state === "dead" && expected?.kind === "ok") {
      const killed = list.some(excused) || job.last_error === "worker lost";
      if (!killed) {
        violations.push(`job ${job.id} is dead (${job.last_error}) though it succeeds and nothing killed it`);
      }
    }
  }
  const unackedPresent = [...byId.keys()].filter((id) => !f.acked.has(id)).length;
  return { violations, runs: total, rerunsAfterWorkerKill: reruns, unackedPresent };
}

/** Exactly-once: every id ran exactly once, to its end, and nothing else ran. */
export function checkExactlyOnce(
  ids: readonly string[],
  events: LedgerEvent[],
  badLines: number[],
): string[] {
  const violations = badLines.map((line) => `ledger line ${line} is not a ledger line`);
  const { runs, orphanEnds } = runsOf(events);
  for (const line of orphanEnds) violations.push(`ledger line ${line} ends a run that never started`);
  const known = new Set(ids);
  for (const [id, list] of runs) {
    if (!known.has(id)) violations.push(`job ${id} ran but was never enqueued`);
    else if (list.length > 1) violations.push(`job ${id} ran ${list.length} times`);
    else if (list[0].end === null) violations.push(`job ${id} started but never ended`);
  }
  for (const id of ids) {
    if (!runs.has(id)) violations.push(`job ${id} never ran`);
  }
  return violations;
}
