/**
 * Draining a queue: `worker start --count N --drain` on a home holding only the jobs to run,
 * against bench/spawner.ts running the same commands with the same parallelism and no queue;
 * and sleeping jobs against the ideal time.
 */
import { type Bench, scratch } from "../context.ts";
import { paired } from "../paired.ts";
import { helper, queuectl, timed } from "../process.ts";
import { type Result, result } from "../report.ts";
import { summarize } from "../stats.ts";

/** Enqueues `jobs` copies of `command` (one --file call, not timed), then times a draining worker. */
async function drainOnce(bench: Bench, jobs: number, count: number, command: string): Promise<number> {
  const s = scratch(bench, "drain");
  try {
    const home = `${s.dir}/home`;
    const file = `${s.dir}/jobs.jsonl`;
    Deno.writeTextFileSync(file, `${JSON.stringify({ command })}\n`.repeat(jobs));
    await timed(bench, queuectl(bench, home, "enqueue", "--file", file));
    const run = await timed(
      bench,
      queuectl(bench, home, "worker", "start", "--count", String(count), "--drain"),
    );
    const left = await timed(bench, queuectl(bench, home, "status", "--json"), { stdout: "piped" });
    const counts = JSON.parse(left.stdout).counts;
    if (counts.completed !== jobs) {
      const last = run.stdout.trim().split("\n").slice(-2).join(" / ");
      throw new Error(
        `Cannot measure the drain: ${counts.completed} of ${jobs} jobs completed; the worker ended: ${last}`,
      );
    }
    return jobs / (run.ms / 1000);
  } finally {
    s.remove();
  }
}

export async function drainTrue(bench: Bench, count: number): Promise<Result> {
  const { drainJobs: jobs, drainRuns: runs } = bench.sizes;
  bench.progress(
    `drain ${jobs} jobs of \`true\` with --count ${count}: ${runs} run(s), each paired with spawner.ts`,
  );
  const spawner = helper(bench, "spawner.ts", String(jobs), String(count), "true");
  const pair = await paired(
    runs,
    () => drainOnce(bench, jobs, count, "true"),
    async () => jobs / ((await timed(bench, spawner)).ms / 1000),
    { warmup: false, onRound: (i) => bench.tick(`  round ${i} of ${runs}`) },
  );
  return result({
    figure: `drain ${jobs.toLocaleString("en-US")} × true, --count ${count}`,
    unit: "jobs/s",
    value: pair.subject,
    baseline: pair.baseline,
    goal: { on: "ratio", op: ">=", target: 0.8 },
  });
}

const SLEEP = 0.05;
const SLOTS = 8;

export async function drainSleep(bench: Bench): Promise<Result> {
  const { sleepJobs: jobs, sleepRuns: runs } = bench.sizes;
  const ideal = (jobs * SLEEP) / SLOTS;
  bench.progress(
    `drain ${jobs} jobs of \`sleep ${SLEEP}\` with --count ${SLOTS}: ${runs} run(s) of at least ${ideal}s`,
  );
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await drainOnce(bench, jobs, SLOTS, `sleep ${SLEEP}`));
  return result({
    figure: `drain ${jobs.toLocaleString("en-US")} × sleep ${SLEEP}, --count ${SLOTS}`,
    unit: "jobs/s",
    value: summarize(samples),
    baseline: SLOTS / SLEEP,
    goal: { on: "ratio", op: ">=", target: 0.8 },
    note: `baseline: the ideal, ${jobs} × ${SLEEP} s / ${SLOTS} slots = ${ideal} s`,
  });
}
