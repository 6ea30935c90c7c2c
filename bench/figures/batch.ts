/** `enqueue --file` with a large batch: jobs per second of wall time, one CLI call, empty home. */
import { type Bench, scratch } from "../context.ts";
import { queuectl, timed } from "../process.ts";
import { type Result, result } from "../report.ts";
import { summarize } from "../stats.ts";

export async function batchEnqueue(bench: Bench): Promise<Result> {
  const { batchJobs: jobs, batchRuns: runs } = bench.sizes;
  bench.progress(`batch enqueue of ${jobs} jobs: ${runs} run(s)`);
  const s = scratch(bench, "batch");
  try {
    const file = `${s.dir}/jobs.jsonl`;
    const lines = Array.from({ length: jobs }, (_, i) => JSON.stringify({ command: `echo batch job ${i}` }));
    Deno.writeTextFileSync(file, lines.join("\n") + "\n");
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      bench.tick(`  run ${i + 1} of ${runs}`);
      const run = await timed(bench, queuectl(bench, `${s.dir}/home-${i}`, "enqueue", "--file", file));
      samples.push(jobs / (run.ms / 1000));
    }
    return result({
      figure: `batch enqueue, --file with ${jobs.toLocaleString("en-US")} jobs`,
      unit: "jobs/s",
      value: summarize(samples),
      goal: { on: "value", op: ">=", target: 100_000 },
    });
  } finally {
    s.remove();
  }
}
