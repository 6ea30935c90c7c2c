/**
 * Step "kill": kill -9 anywhere. Runs `trials` independent trials (kill_trial.ts), two at a time
 * (a trial mostly waits on processes; two keep both cores busy), each seeded from the run's
 * seed and its index, and adds up their figures. Any broken guarantee is a violation naming the
 * seed and trial.
 */
import { belowFloors, type Floors, scaled } from "./lib/floors.ts";
import type { Figure, Step, StepResult } from "./step.ts";
import { runTrial, type TrialOutcome } from "./kill_trial.ts";

/** Trials of the short (CI) run. */
export const QUICK_TRIALS = 32;
/**
 * The least the 32 quick trials must do together (scaled for more trials), about a third of what
 * two quick runs did (seeds 1 and 2: workers killed 62 / 54, enqueuers 31 / 32, job groups 9 / 13,
 * lock holders 20 / 23, runs 800 / 751, re-runs after a worker kill 30 / 21). Each trial has floors
 * of its own (kill_trial.ts TRIAL_FLOORS). Kills that cut a compaction short (2 in each run) are too
 * rare at this size for a floor.
 */
export const STEP_FLOORS: Floors = {
  "workers killed": 16,
  "enqueuers killed": 8,
  "job process groups killed": 3,
  "kills of the process holding the store lock": 5,
  "job runs (ledger)": 256,
  "re-runs after a worker kill": 5,
};
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
    enqueuesLostWithWorker: 0,
    jobsAcked: 0,
    unackedPresent: 0,
    runs: 0,
    reruns: 0,
    compactEveryWrite: 0,
    fewestKills: Infinity,
    fewestRuns: Infinity,
    chaosExtended: 0,
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
    sum.enqueuesLostWithWorker += o.enqueuesLostWithWorker;
    sum.jobsAcked += o.jobsAcked;
    sum.unackedPresent += o.unackedPresent;
    sum.runs += o.runs;
    sum.reruns += o.rerunsAfterWorkerKill;
    if (o.plan.compactAfter === 1) sum.compactEveryWrite++;
    sum.fewestKills = Math.min(sum.fewestKills, o.kills.worker + o.kills.enqueue + o.kills.job);
    sum.fewestRuns = Math.min(sum.fewestRuns, o.runs);
    if (o.chaosExtended) sum.chaosExtended++;
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
  const figures: Figure[] = [
    { label: "trials", value: trials },
    { label: "trials compacting after every write", value: sum.compactEveryWrite },
    { label: "workers killed", value: sum.worker },
    { label: "enqueuers killed", value: sum.enqueue },
    { label: "job process groups killed", value: sum.job },
    { label: "kills of the process holding the store lock", value: sum.writer },
    { label: "kills that cut a compaction short", value: sum.midCompaction },
    { label: "enqueues acknowledged", value: sum.enqueuesAcked },
    {
      label: "enqueues whose worker was killed running them (src/handoff)",
      value: sum.enqueuesLostWithWorker,
    },
    { label: "jobs acknowledged", value: sum.jobsAcked },
    { label: "jobs stored though their enqueue was killed", value: sum.unackedPresent },
    { label: "job runs (ledger)", value: sum.runs },
    { label: "re-runs after a worker kill", value: sum.reruns },
    { label: "fewest kills in one trial", value: sum.fewestKills },
    { label: "fewest job runs in one trial", value: sum.fewestRuns },
    { label: "trials whose chaos ran on to reach the floor of kills", value: sum.chaosExtended },
  ];
  violations.push(...belowFloors(figures, scaled(STEP_FLOORS, trials / QUICK_TRIALS)));
  figures.push({ label: "violations", value: violations.length });
  return { name: "kill", figures, violations, seconds: (performance.now() - t0) / 1000 };
};
