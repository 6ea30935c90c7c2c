/**
 * `enqueue` into a home with a long history, against `enqueue` into a home with a short one, like
 * with like: both homes are written once, before any timing, by the same code (populate.ts, which
 * ends with a compaction), and every round enqueues one job into each. So the two differ only in
 * the history the measured command has to open, not in set-up (a new home's directory, lock file
 * and first log, which the measured command never pays).
 */
import type { Bench } from "../context.ts";
import { paired } from "../paired.ts";
import { populated, type PopulatedHome } from "../populated.ts";
import { queuectl, timed } from "../process.ts";
import { type Result, result } from "../report.ts";

/** Jobs of the baseline's history: the fewest with one job of each kind populate.ts writes. */
export const BASELINE_JOBS = 200;

export async function historyEnqueue(bench: Bench, history: PopulatedHome): Promise<Result> {
  const runs = bench.sizes.historyRuns;
  const size = history.jobs.toLocaleString("en-US");
  const small = await populated(bench, BASELINE_JOBS);
  try {
    bench.progress(
      `enqueue with ${size} jobs of history: ${runs} runs, each paired with one into ${BASELINE_JOBS} jobs of history`,
    );
    const enqueue = (home: string) => async () =>
      (await timed(bench, queuectl(bench, home, "enqueue", "true"))).ms;
    const pair = await paired(runs, enqueue(history.home), enqueue(small.home), {
      onRound: (i) => bench.tick(`  round ${i} of ${runs}`),
    });
    return result({
      figure: `enqueue, ${size} jobs of history`,
      unit: "ms",
      value: pair.subject,
      baseline: pair.baseline,
      goal: { on: "ratio", op: "<=", target: 1.3 },
      note:
        `baseline: the same enqueue into ${BASELINE_JOBS} jobs of history written the same way; both homes written before timing`,
    });
  } finally {
    small.remove();
  }
}
