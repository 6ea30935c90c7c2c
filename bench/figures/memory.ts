/** Peak resident memory of `status` and of a worker on a long history (see rss.ts for how). */
import { type Bench, scratch } from "../context.ts";
import type { PopulatedHome } from "../populated.ts";
import { queuectl, timed } from "../process.ts";
import { type Result, result } from "../report.ts";
import { summarize } from "../stats.ts";

const MB = 1024 * 1024;
/** jobs the measured worker runs: it opens the store, claims, runs and records them, then drains */
const WORKER_JOBS = 100;

async function peakOf(bench: Bench, args: string[]): Promise<number> {
  return (await timed(bench, args, { rss: true })).rss! / MB;
}

export async function memory(bench: Bench, history: PopulatedHome): Promise<Result[]> {
  const runs = bench.sizes.memoryRuns;
  const size = history.jobs.toLocaleString("en-US");
  bench.progress(`peak RSS of status with ${size} jobs: ${runs} run(s)`);
  const status: number[] = [];
  for (let i = 0; i < runs; i++) status.push(await peakOf(bench, queuectl(bench, history.home, "status")));

  bench.progress(
    `peak RSS of a worker draining ${WORKER_JOBS} jobs with ${size} jobs of history: ${runs} run(s)`,
  );
  const s = scratch(bench, "memory");
  const worker: number[] = [];
  try {
    const file = `${s.dir}/jobs.jsonl`;
    Deno.writeTextFileSync(file, `${JSON.stringify({ command: "true" })}\n`.repeat(WORKER_JOBS));
    for (let i = 0; i < runs; i++) {
      await timed(bench, queuectl(bench, history.home, "enqueue", "--file", file), { stdout: "null" });
      worker.push(
        await peakOf(bench, queuectl(bench, history.home, "worker", "start", "--count", "4", "--drain")),
      );
    }
  } finally {
    s.remove();
  }
  return [
    result({
      figure: `peak RSS of status, ${size} jobs`,
      unit: "MB",
      value: summarize(status),
      goal: { on: "value", op: "<=", target: 100 },
    }),
    result({
      figure: `peak RSS of a worker, ${size} jobs`,
      unit: "MB",
      value: summarize(worker),
      note: `\`worker start --count 4 --drain\` running ${WORKER_JOBS} jobs of \`true\``,
    }),
  ];
}
