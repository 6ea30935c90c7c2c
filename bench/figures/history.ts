/** `enqueue` into a home with a long history, against `enqueue` into an empty home. */
import { type Bench, scratch } from "../context.ts";
import { paired } from "../paired.ts";
import type { PopulatedHome } from "../populated.ts";
import { queuectl, timed } from "../process.ts";
import { type Result, result } from "../report.ts";
import { enqueueIntoEmptyHome } from "./startup.ts";

export async function historyEnqueue(bench: Bench, history: PopulatedHome): Promise<Result> {
  const runs = bench.sizes.historyRuns;
  const size = history.jobs.toLocaleString("en-US");
  bench.progress(`enqueue with ${size} jobs of history: ${runs} runs, each paired with an empty home`);
  const s = scratch(bench, "history-baseline");
  try {
    const pair = await paired(
      runs,
      async () => (await timed(bench, queuectl(bench, history.home, "enqueue", "true"))).ms,
      enqueueIntoEmptyHome(bench, s.dir),
      { warmup: false, onRound: (i) => bench.tick(`  round ${i} of ${runs}`) },
    );
    return result({
      figure: `enqueue, ${size} jobs of history`,
      unit: "ms",
      value: pair.subject,
      baseline: pair.baseline,
      goal: { on: "ratio", op: "<=", target: 1.3 },
    });
  } finally {
    s.remove();
  }
}
