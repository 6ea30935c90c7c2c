/**
 * Fault: a job that ignores SIGTERM (`trap "" TERM`, inherited by its `sleep`).
 *
 * With a timeout: the worker sends SIGTERM to the job's process group, then SIGKILL 2 s later
 * (runner.ts KILL_GRACE_MS); the attempt is recorded "timed out after Ns" and nothing of
 * the group is left. Without one, a graceful stop (`worker stop`) waits for it, as documented;
 * the second interrupt SIGKILLs the group at once and records "killed by SIGKILL when the worker
 * was interrupted".
 */
import {
  cli,
  cliJson,
  cliOk,
  jobState,
  processAlive,
  spawnCli,
  stopBackground,
  untilOutput,
} from "../../testkit/mod.ts";
import {
  checkConsistent,
  describe,
  type FaultOptions,
  type FaultReport,
  Findings,
  killWith,
  waitOr,
  withTempDir,
} from "./common.ts";
import { processesNaming } from "../lib/procs.ts";

const GRACE_SECONDS = 2;

interface JobView {
  id: string;
  state: string;
  last_error: string | null;
  started_at: string;
  finished_at: string;
}

async function withTimeout(f: Findings, home: string, marker: string): Promise<void> {
  await cliOk(home, [
    "enqueue",
    "--id",
    "stubborn",
    "--timeout",
    "1",
    "--max-retries",
    "0",
    `trap "" TERM; ${marker}`,
  ]);
  const worker = spawnCli(home, ["worker", "start", "--drain"]);
  try {
    await waitOr(f, () => !processAlive(worker.pid), "the worker to drain", 60_000, worker.output);
  } finally {
    await stopBackground(worker);
  }
  const job = await cliJson<JobView>(home, ["show", "stubborn"]);
  const took = (Date.parse(job.finished_at) - Date.parse(job.started_at)) / 1000;
  f.figure("timeout 1 s, SIGTERM ignored: attempt lasted (s)", took.toFixed(2));
  f.expect(
    job.state === "dead" && job.last_error === "timed out after 1s",
    `stubborn ended ${JSON.stringify(job)}`,
  );
  f.expect(
    took >= 1 + GRACE_SECONDS - 0.2 && took < 1 + GRACE_SECONDS + 5,
    `the attempt lasted ${took} s, not timeout + grace`,
  );
  f.expect(
    processesNaming(marker).length === 0,
    "the job that ignored SIGTERM is still running after its timeout",
  );
  const logs = await cli(home, ["logs", "stubborn"]);
  f.expect(
    /=== timed out after 1s · [\d.]+s ===/.test(logs.stdout),
    `its log has no timeout line (${describe(logs)})`,
  );
}

async function onStop(f: Findings, home: string, marker: string): Promise<void> {
  await cliOk(home, ["enqueue", "--id", "stubborn-2", "--max-retries", "0", `trap "" TERM; ${marker}`]);
  const worker = spawnCli(home, ["worker", "start"]);
  try {
    await untilOutput(worker, /claimed stubborn-2/);
    await waitOr(f, () => processesNaming(marker).length > 0, "the job to start", 30_000);
    const stop = await cli(home, ["worker", "stop"]);
    f.expect(stop.code === 0, `worker stop failed (${describe(stop)})`);
    await untilOutput(worker, /stopping \(worker stop was requested\)/);
    // graceful: the job is let finish, so the worker is still there (and the job's end below,
    // "killed ... when the worker was interrupted", shows it was there for the second interrupt)
    f.expect(processAlive(worker.pid), "the worker exited on `worker stop` while its job was still running");
    const before = performance.now();
    worker.signal("SIGTERM"); // the second interrupt
    const exited = await waitOr(
      f,
      () => !processAlive(worker.pid),
      "the worker to exit on the second interrupt",
      20_000,
    );
    f.figure("second interrupt: worker gone after (ms)", Math.round(performance.now() - before));
    if (exited) f.expect((await worker.exited()) === 0, `the worker exited ${await worker.exited()}`);
  } finally {
    await stopBackground(worker);
  }
  const job = await cliJson<JobView>(home, ["show", "stubborn-2"]);
  f.expect(
    job.state === "dead" && job.last_error === "killed by SIGKILL when the worker was interrupted",
    `stubborn-2 ended ${JSON.stringify({ state: job.state, last_error: job.last_error })}`,
  );
  f.expect(
    processesNaming(marker).length === 0,
    "the job that ignored SIGTERM outlived its worker's second interrupt",
  );
  f.expect((await jobState(home, "stubborn-2")) !== "processing", "stubborn-2 was left processing");
}

export async function sigtermIgnored(options: FaultOptions): Promise<FaultReport> {
  const f = new Findings("job ignoring SIGTERM");
  const mark = `${Math.floor(Math.random() * 1e6)}`;
  const first = `sleep 60.${mark}1`;
  const second = `sleep 60.${mark}2`;
  try {
    await withTempDir("sigterm", async (dir) => {
      const home = `${dir}/home`;
      options.progress("SIGTERM ignored: timeout");
      await withTimeout(f, home, first);
      options.progress("SIGTERM ignored: worker stop, then a second interrupt");
      await onStop(f, home, second);
      await checkConsistent(f, home, ["stubborn", "stubborn-2"], "after the stubborn jobs");
    });
  } finally {
    killWith(first);
    killWith(second);
  }
  return f.report();
}
