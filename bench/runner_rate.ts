/**
 * Microbenchmark of the per-slot job runner (src/worker/runner.ts), not part of `deno task
 * bench` or of the tests:
 *
 * - drain: JOBS trivial jobs (`true`) through a pool of SLOTS runners, each slot taking its
 *   next job as soon as its last one ended, against `spawner.ts` (Deno spawning `sh -c true`
 *   per job, SLOTS at a time, no queue), in alternation (A B B A ...), ROUNDS rounds each;
 * - long command: one job whose command is 65,535 one-character lines (128 KiB less 2 bytes,
 *   the most exec(2) takes in one argument) through a runner. (The execution path before the
 *   runners, a wrapper shell that read such a value line by line, is gone, and so is its half
 *   of this comparison.)
 *
 *   deno run --allow-all bench/runner_rate.ts [JOBS=2000] [SLOTS=2] [ROUNDS=3]
 */
import { homePaths } from "../src/store/paths.ts";
import { RunnerPool } from "../src/worker/pool.ts";
import { Runner } from "../src/worker/runner.ts";
import { paired } from "./paired.ts";
import type { Summary } from "./stats.ts";
import { spawnAll } from "./spawner.ts";

const [jobs, slots, rounds] = [
  Number(Deno.args[0] ?? 2000),
  Number(Deno.args[1] ?? 2),
  Number(Deno.args[2] ?? 3),
];

/** Seconds to drain `jobs` jobs of `true` through `pool`. */
async function drain(pool: RunnerPool): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const lane = async (slot: number) => {
    while (next < jobs) {
      next++;
      const job = pool.run(await pool.prepare(slot), {
        id: `j${next}`,
        attempt: 1,
        command: "true",
        cwd: null,
        env: {},
      });
      const ended = await job.ended;
      if (ended.kind !== "exited" || ended.code !== 0) throw new Error(`job ended ${JSON.stringify(ended)}`);
    }
  };
  await Promise.all(Array.from({ length: slots }, (_, i) => lane(i + 1)));
  return (performance.now() - t0) / 1000;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await run();
  return (performance.now() - t0) / 1000;
}

const fmt = (rate: number) => Math.round(rate).toLocaleString("en");
/** jobs/s: median (min–max) of samples in seconds */
const rate = (s: Summary) => `${fmt(jobs / s.median)} jobs/s (${fmt(jobs / s.max)}–${fmt(jobs / s.min)})`;

const home = Deno.makeTempDirSync({ prefix: "qctl-runner-bench-" });
try {
  for (const cgroups of [true, false]) {
    const pool = await RunnerPool.start({
      workerId: `w-bench-${cgroups}`,
      slots,
      paths: homePaths(home),
      cgroups,
    });
    try {
      const sample = async (run: () => Promise<number>) => ({ value: await run(), cpu: null });
      const pair = await paired(
        rounds,
        () => sample(() => drain(pool)),
        () => sample(() => timed(() => spawnAll(jobs, slots, "true"))),
      );
      const cg = pool.cgroups.usable ? "in cgroups" : `without cgroups (${pool.cgroups.reason})`;
      console.log(
        `drain ${jobs} jobs, ${slots} slots, ${rounds} rounds: runner pool ${cg} ${
          rate(pair.subject.value)
        }; Deno spawner ${rate(pair.baseline.value)}`,
      );
    } finally {
      await pool.close();
    }
  }

  const command = ":\n".repeat(65_535);
  const runner = await Runner.start();
  try {
    const seconds = await timed(async () => {
      const ended = await runner.run({
        id: "long",
        attempt: 1,
        command,
        cwd: null,
        env: {},
        output: `${home}/long.out`,
      })
        .ended;
      if (ended.kind !== "exited" || ended.code !== 0) {
        throw new Error(`long job ended ${JSON.stringify(ended)}`);
      }
    });
    console.log(
      `long command (${command.length} bytes of 1-character lines): runner ${seconds.toFixed(3)} s`,
    );
  } finally {
    await runner.close();
  }
} finally {
  Deno.removeSync(home, { recursive: true });
}
