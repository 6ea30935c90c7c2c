/**
 * The plan of a run: which steps run in which order, on which homes (the backlog and the history
 * are written once each and shared by the steps that need them), and the table's order of the
 * results.
 */
import type { Bench } from "./context.ts";
import { backlogCommands, backlogDrain } from "./figures/backlog.ts";
import { batchEnqueue } from "./figures/batch.ts";
import { compaction } from "./figures/compaction.ts";
import { dashboardEvents } from "./figures/dashboard.ts";
import { drainSleep, drainTrue } from "./figures/drain.ts";
import { idleWorker } from "./figures/idle.ts";
import { logReplay } from "./figures/log_replay.ts";
import { memory } from "./figures/memory.ts";
import { recovery } from "./figures/recovery.ts";
import { startup } from "./figures/startup.ts";
import type { Options, Step } from "./options.ts";
import { populated, type PopulatedHome } from "./populated.ts";
import type { Result } from "./report.ts";

/** The table's order: the (drain, short jobs, backlog, start-up, what to keep). */
export const ORDER: Step[] = [
  "drain",
  "sleep",
  "pending",
  "history",
  "startup",
  "log",
  "batch",
  "idle",
  "memory",
  "compaction",
  "recovery",
  "dashboard",
];

/** The steps on the history, in the order they may change it (recovery leaves it unusable). */
const ON_HISTORY: Step[] = ["history", "memory", "compaction", "recovery"];

/**
 * Runs the selected steps. A step that fails (a CLI error, a time-out) is shown as a failed row
 * and the others still run; `failed` lists them.
 */
export async function runSteps(bench: Bench, options: Options, failed: Step[]): Promise<Map<Step, Result[]>> {
  const out = new Map<Step, Result[]>();
  const want = (step: Step) => options.steps.has(step);
  const run = async (step: Step, fn: () => Promise<Result[]>) => {
    try {
      out.set(step, [...(out.get(step) ?? []), ...await fn()]);
    } catch (e) {
      const message = (e as Error).message;
      bench.progress(`${step}: FAILED: ${message}`);
      failed.push(step);
      out.set(step, [...(out.get(step) ?? []), failure(step, message)]);
    }
  };
  /** Runs `steps` on a home populate.ts writes first (failing them all when it cannot). */
  const onHome = async (
    backlog: boolean,
    steps: Step[],
    fn: (step: Step, home: PopulatedHome) => Promise<Result[]>,
  ) => {
    if (steps.length === 0) return;
    let home: PopulatedHome;
    try {
      home = await populated(bench, bench.sizes.backlogJobs, backlog);
    } catch (e) {
      for (const step of steps) await run(step, () => Promise.reject(e));
      return;
    }
    try {
      for (const step of steps) await run(step, () => fn(step, home));
    } finally {
      home.remove();
    }
  };

  if (want("startup")) await run("startup", () => startup(bench));
  if (want("log")) await run("log", () => logReplay(bench));
  if (want("drain")) await run("drain", () => drainTrue(bench));
  if (want("sleep")) await run("sleep", async () => [await drainSleep(bench)]);
  await onHome(true, want("pending") ? ["pending"] : [], async (_, home) => [
    ...await backlogCommands(bench, home),
    ...await backlogDrain(bench, home),
  ]);
  await onHome(false, ON_HISTORY.filter(want), (step, home) => {
    if (step === "history") return backlogCommands(bench, home);
    if (step === "memory") return memory(bench, home);
    if (step === "compaction") return compaction(bench, home);
    return recovery(bench, home);
  });
  if (want("batch")) await run("batch", async () => [await batchEnqueue(bench)]);
  if (want("idle")) await run("idle", () => idleWorker(bench));
  if (want("dashboard")) await run("dashboard", () => dashboardEvents(bench));
  return out;
}

/** The row of a step that could not be measured. */
function failure(step: Step, message: string): Result {
  return {
    figure: `${step}: not measured`,
    value: NaN,
    unit: "",
    baseline: null,
    ratio: null,
    goal: null,
    met: false,
    runs: 0,
    min: NaN,
    max: NaN,
    median: NaN,
    note: message,
  };
}
