/**
 * Fault: a job that starts a background process (a "daemon") and exits at once.
 *
 * Documented behaviour (docs/reliability.md): the job completes as soon as its shell exits; a
 * child it left behind is not hunted down and keeps running, as after `sh -c` anywhere else; it
 * holds only the job's log file (the wrapper's pipes are not passed to the command), so the
 * worker does not wait for it and `worker start --drain` exits. A job that is killed (timeout,
 * second interrupt) takes its whole process group with it, daemons in the group included; only a
 * child that left the group (`setsid`) survives that.
 */
import { cliJson, cliOk, processAlive, spawnCli, stopBackground } from "../../testkit/mod.ts";
import {
  checkConsistent,
  type FaultOptions,
  type FaultReport,
  Findings,
  killWith,
  waitOr,
  withTempDir,
} from "./common.ts";
import { processesNaming } from "../lib/procs.ts";

/** How long the daemons live unless killed: far longer than the test waits for anything. */
const DAEMON_SECONDS = 120;

export async function daemonJob(options: FaultOptions): Promise<FaultReport> {
  const f = new Findings("job leaving a daemon");
  // unique sleep lengths mark the daemons, so the test finds (and kills) exactly its own
  const mark = `${DAEMON_SECONDS}.${Math.floor(Math.random() * 1e6)}`;
  const inGroup = `sleep ${mark}1`;
  const ownSession = `sleep ${mark}2`;
  const killedWithGroup = `sleep ${mark}3`;
  try {
    await withTempDir("daemon", async (dir) => {
      const home = `${dir}/home`;
      const ids = [
        await cliOk(home, ["enqueue", "--id", "subshell", `(${inGroup}; echo late) & echo started`]),
        await cliOk(home, ["enqueue", "--id", "setsid", `setsid ${ownSession} & echo started`]),
        await cliOk(home, [
          "enqueue",
          "--id",
          "timed-out",
          "--timeout",
          "1",
          "--max-retries",
          "0",
          `(${killedWithGroup}) & sleep 30`,
        ]),
      ].map((s) => s.trim());
      options.progress("daemon: jobs that leave a background process");
      const started = performance.now();
      const worker = spawnCli(home, ["worker", "start", "--drain", "--count", "3"]);
      try {
        const drained = await waitOr(
          f,
          () => !processAlive(worker.pid),
          "the draining worker to exit",
          60_000,
          worker.output,
        );
        const seconds = (performance.now() - started) / 1000;
        f.figure("worker --drain exit time with live daemons (s)", seconds.toFixed(1));
        if (drained) f.expect((await worker.exited()) === 0, `the worker exited ${await worker.exited()}`);
        // that it did not wait for a daemon is shown below, without a clock: the daemons it left
        // (which run DAEMON_SECONDS) are still alive after it exited
      } finally {
        await stopBackground(worker);
      }
      const jobs = await cliJson<Array<{ id: string; state: string; last_error: string | null }>>(home, [
        "list",
      ]);
      const state = (id: string) => jobs.find((j) => j.id === id);
      f.expect(
        state("subshell")?.state === "completed",
        `subshell ended ${JSON.stringify(state("subshell"))}`,
      );
      f.expect(state("setsid")?.state === "completed", `setsid ended ${JSON.stringify(state("setsid"))}`);
      f.expect(
        state("timed-out")?.state === "dead" && state("timed-out")?.last_error === "timed out after 1s",
        `timed-out ended ${JSON.stringify(state("timed-out"))}`,
      );
      // documented: a daemon of a job that exited by itself survives it, in or out of its group
      const alive = (marker: string) => processesNaming(marker).length > 0;
      f.expect(
        alive(inGroup),
        "the subshell's daemon was killed although its job exited normally (undocumented)",
      );
      f.expect(alive(ownSession), "the setsid daemon was killed (undocumented)");
      f.figure("daemons alive after their job completed", [inGroup, ownSession].filter(alive).length);
      await waitOr(
        f,
        () => !alive(killedWithGroup),
        "the timed-out job's daemon to die with its group",
        10_000,
      );
      f.figure("daemon of the timed-out job killed with its group", alive(killedWithGroup) ? "no" : "yes");
      await checkConsistent(f, home, ids, "after the daemon jobs");
    });
  } finally {
    for (const m of [inGroup, ownSession, killedWithGroup]) killWith(m);
  }
  return f.report();
}
