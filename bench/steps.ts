/**
 * The plan of a run: which steps run in which order, on which homes (the histories are written
 * once and shared by the steps that need them), and the table's order of the results.
 */
import type { Bench } from "./context.ts";
import { batchEnqueue } from "./figures/batch.ts";
import { compaction } from "./figures/compaction.ts";
import { dashboardEvents } from "./figures/dashboard.ts";
import { drainSleep, drainTrue } from "./figures/drain.ts";
import { historyEnqueue } from "./figures/history.ts";
import { idleWorker } from "./figures/idle.ts";
import { memory } from "./figures/memory.ts";
import { reads } from "./figures/reads.ts";
import { recovery } from "./figures/recovery.ts";
import { startup } from "./figures/startup.ts";
import type { Options, Step } from "./options.ts";
import { populated, type PopulatedHome } from "./populated.ts";
import type { Result } from "./report.ts";

/** The table's order: the issue's. */
export const ORDER: Step[] = [
  "startup",
  "history",
  "reads",
  "batch",
  "drain",
  "sleep",
  "idle",
  "recovery",
  "compaction",
  "memory",
  "dashboard",
];

/** The steps on the largest history, in the order they may change it (recovery leaves it unusable). */
const ON_LARGEST: Step[] = ["reads", "memory", "compaction", "recovery"];

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
  if (want("startup")) await run("startup", () => startup(bench));

  const sizes = bench.sizes.histories;
  for (const [i, size] of sizes.entries()) {
    const largest = i === sizes.length - 1;
    const steps = largest ? ON_LARGEST.filter(want) : [];
    if (!want("history") && steps.length === 0) continue;
    let history: PopulatedHome;
    try {
      history = await populated(bench, size);
    } catch (e) {
      for (const step of want("history") ? ["history" as const, ...steps] : steps) {
        await run(step, () => Promise.reject(e));
      }
      continue;
    }
    try {
      if (want("history")) {
        await run("history", async () => {
          const r = await historyEnqueue(bench, history);
          r.note = `history written by bench/populate.ts in ${history.seconds.toFixed(1)} s; ${r.note}`;
          return [r];
        });
      }
      for (const step of steps) {
        if (step === "reads") await run(step, () => reads(bench, history));
        if (step === "memory") await run(step, () => memory(bench, history));
        if (step === "compaction") await run(step, () => compaction(bench, history));
        if (step === "recovery") await run(step, () => recovery(bench, history));
      }
    } finally {
      history.remove();
    }
  }

  if (want("batch")) await run("batch", async () => [await batchEnqueue(bench)]);
  if (want("drain")) {
    for (const count of [2, 4]) await run("drain", async () => [await drainTrue(bench, count)]);
  }
  if (want("sleep")) await run("sleep", async () => [await drainSleep(bench)]);
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
