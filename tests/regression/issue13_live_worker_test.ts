/**
 * Regression (issue 13 #2): a live worker's jobs are never taken from it. Leases were wall-clock
 * times and a lapsed one won even over a worker holding its lock: a wall-clock step of an hour
 * forward made healthy workers kill and re-run each other's jobs, and deleting `workers/` made
 * every live worker look dead for good. A worker is now judged by its lock, then its pid and start
 * time (src/worker/liveness.ts), and re-creates its lock file when it is gone. End to end: two
 * real workers, the second one's rescuer looking at the first one's job.
 */
import assert from "node:assert/strict";
import {
  type Background,
  cliJson,
  cliOk,
  configure,
  exists,
  spawnCli,
  stopBackground,
  untilOutput,
  untilState,
  waitFor,
  withHome,
  workerIdOf,
} from "../../testkit/mod.ts";
import { steppedClock } from "../../testkit/faketime.ts";

interface Shown {
  state: string;
  attempts: number;
  worker: string | null;
  runs: Array<{ attempt: number; worker: string; result: string }>;
}

async function startWorker(home: string, env: Record<string, string> = {}): Promise<Background> {
  const w = spawnCli(home, ["worker", "start"], { env });
  await untilOutput(w, /started with 1 slot/, 60_000);
  return w;
}

/**
 * Runs `long` (8 s, lease-timeout 2 s) on a first worker, starts a second (its environment
 * `env`), then `strike()`.
 */
async function longJobBesideSecondWorker(
  home: string,
  env: Record<string, string>,
  strike: (first: Background) => Promise<void>,
): Promise<Shown> {
  await configure(home, { lease_timeout: 2, poll_interval: 0.2 });
  const first = await startWorker(home);
  let second: Background | null = null;
  try {
    await cliOk(home, ["enqueue", "--id", "long", "--max-retries", "3", "sleep 8"]);
    await untilState(home, "long", "processing", 30_000);
    second = await startWorker(home, env);
    await strike(first);
    await untilState(home, "long", "completed", 60_000);
    return await cliJson<Shown>(home, ["show", "long"]);
  } finally {
    if (second) await stopBackground(second);
    await stopBackground(first);
  }
}

Deno.test("a wall-clock step of an hour forward takes no job from a live worker", async () => {
  // only the second worker's clock steps: the moment between a step and the holder's next
  // renewal, made to last, in which every lease looks an hour old to the rescuer
  const clock = await steppedClock();
  try {
    await withHome(async (home) => {
      const job = await longJobBesideSecondWorker(home, clock.env, async () => {
        clock.step(3600);
        // several rescue passes of the second worker (one a second), each seeing a lapsed lease
        await new Promise((r) => setTimeout(r, 4000));
      });
      assert.equal(job.attempts, 1, `the job ran ${job.attempts} times: ${JSON.stringify(job.runs)}`);
      assert.deepEqual(job.runs.map((r) => r.result), ["exit code 0"]);
    });
  } finally {
    clock.dispose();
  }
});

Deno.test("deleting workers/ takes no job from a live worker, which makes its lock file anew", () =>
  withHome(async (home) => {
    let lock = "";
    const job = await longJobBesideSecondWorker(home, {}, async (first) => {
      const id = workerIdOf(first)!;
      lock = `${home}/workers/${id}.lock`;
      assert.ok(exists(lock));
      Deno.removeSync(`${home}/workers`, { recursive: true });
      await waitFor(() => exists(lock), "the first worker to make its lock file anew", 30_000);
    });
    assert.equal(job.attempts, 1, `the job ran ${job.attempts} times: ${JSON.stringify(job.runs)}`);
    assert.deepEqual(job.runs.map((r) => r.result), ["exit code 0"]);
  }));
