/**
 * Step "kill": kill -9 anywhere. Runs `trials` independent trials (kill_trial.ts), two at a time
 * (a trial mostly waits on processes; two keep both cores busy), each seeded from the run's
 * seed and its index, and adds up their figures. Any broken guarantee is a violation naming the
 * seed and trial.
 */
import type { Step, StepResult } from "./step.ts";
import { runTrial, type TrialOutcome } from "./kill_trial.ts";

/** Trials of the short (CI) run. */
export const QUICK_TRIALS = 32;
const PARALLEL = 2;
const PROGRESS_EVERY_MS = 15_000;

export const killStep: Step = async (options): Promise<StepResult> => {
  const t0 = performance.now();
  const trials = options.quick ? QUICK_TRIALS : options.trials;
  const sum = {
    worker: 0,
    enqueue: 0,
    job: 0,
    midCompaction: 0,
    writer: 0,
    enqueuesAcked: 0,
    jobsAcked: 0,
    unackedPresent: 0,
    runs: 0,
    reruns: 0,
    compactEveryWrite: 0,
  };
  const violations: string[] = [];
  let next = 0;
  let done = 0;
  let lastProgress = performance.now();
  const add = (o: TrialOutcome) => {
    sum.worker += o.kills.worker;
    sum.enqueue += o.kills.enqueue;
    sum.job += o.kills.job;
    sum.midCompaction += o.killsMidCompaction;
    sum.writer += o.killsOfWriter;
    sum.enqueuesAcked += o.enqueuesAcked;
    sum.jobsAcked += o.jobsAcked;
    sum.unackedPresent += o.unackedPresent;
    sum.runs += o.runs;
    sum.reruns += o.rerunsAfterWorkerKill;
    if (o.plan.compactAfter === 1) sum.compactEveryWrite++;
    violations.push(...o.violations);
    for (const v of o.violations) options.progress(`kill: violation: ${v}`);
  };
  const lane = async () => {
    while (next < trials) {
      const index = next++;
      try {
        add(await runTrial(options.seed, index, options.quick));
      } catch (e) {
        const v = `seed ${options.seed} trial ${index}: the trial failed: ${(e as Error).message}`;
        violations.push(v);
        options.progress(`kill: violation: ${v}`);
      }
      done++;
      if (performance.now() - lastProgress >= PROGRESS_EVERY_MS || done === trials) {
        lastProgress = performance.now();
        const kills = sum.worker + sum.enqueue + sum.job;
        options.progress(
          `kill: ${done}/${trials} trials, ${kills} kills, ${sum.jobsAcked} jobs acknowledged, ${violations.length} violation(s), ${
            ((performance.now() - t0) / 1000).toFixed(0)
          } s`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, trials) }, lane));
  return {
    name: "kill",
    figures: [
      { label: "trials", value: trials },
      { label: "trials compacting after every write", value: sum.compactEveryWrite },
      { label: "workers killed", value: sum.worker },
      { label: "enqueuers killed", value: sum.enqueue },
      { label: "job process groups killed", value: sum.job },
      { label: "kills of the process holding the store lock", value: sum.writer },
      { label: "kills that cut a compaction short", value: sum.midCompaction },
      { label: "enqueues acknowledged", value: sum.enqueuesAcked },
      { label: "jobs acknowledged", value: sum.jobsAcked },
      { label: "jobs stored though their enqueue was killed", value: sum.unackedPresent },
      { label: "job runs (ledger)", value: sum.runs },
      { label: "re-runs after a worker kill", value: sum.reruns },
      { label: "violations", value: violations.length },
    ],
    violations,
    seconds: (performance.now() - t0) / 1000,
  };
};
