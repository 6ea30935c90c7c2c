/**
 * End-to-end: `worker stop --wait` against a worker that is stopped (SIGSTOP, Ctrl-Z) says so,
 * and how to resume it, instead of waiting silently for jobs that worker cannot finish; it says so
 * before its stop request, which waits for the store's lock (a stopped worker may hold it); once
 * the worker is resumed it stops as usual.
 */
import assert from "node:assert/strict";
import {
  type Background,
  cliJson,
  cliOk,
  dirOfHome,
  killGroup,
  readLines,
  spawnCli,
  stopBackground,
  untilOutput,
  waitFor,
  withHome,
  workerIdOf,
} from "../../testkit/mod.ts";

function state(pid: number): string {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
}

Deno.test("worker stop --wait names a stopped (SIGSTOP) worker and how to resume it, and returns once it ran on and exited", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    const started: Background[] = [];
    let worker: Background | null = null;
    let lock: Deno.FsFile | null = null;
    try {
      await cliOk(home, [
        "enqueue",
        "--id",
        "held",
        `echo $$ >> ${dir}/marker; while [ ! -f ${dir}/release ]; do sleep 0.1; done`,
      ]);
      worker = spawnCli(home, ["worker", "start"]);
      started.push(worker);
      await waitFor(() => readLines(`${dir}/marker`).length === 1, "the job to start");
      const id = workerIdOf(worker)!;
      // A stopped worker may hold the store's lock, which the stop request needs: the test holds
      // it here instead (the worker cannot have it then), so the request must wait for it.
      lock = Deno.openSync(`${home}/store.lock`, { read: true, write: true });
      await lock.lock(true);
      worker.signal("SIGSTOP");
      await waitFor(() => state(worker!.pid) === "T", "the worker to be stopped");

      const stopper = spawnCli(home, ["worker", "stop", "--wait"]);
      started.push(stopper);
      const pid = worker.pid;
      await untilOutput(
        stopper,
        new RegExp(
          `worker ${id} \\(pid ${pid}\\) is stopped \\(SIGSTOP\\); it will stop when it is resumed \\(kill -CONT ${pid}\\)`,
        ),
      );
      assert.doesNotMatch(
        stopper.output(),
        /asked/,
        "said before the stop request, which waits for the lock",
      );
      lock.unlock();
      lock.close();
      lock = null;
      await untilOutput(stopper, /asked 1 worker\(s\) to stop/);
      assert.doesNotMatch(stopper.output(), /have stopped/);

      worker.signal("SIGCONT");
      await untilOutput(
        stopper,
        new RegExp(`waiting for worker ${id} \\(pid ${pid}\\) to finish its running job\\(s\\): held`),
      );
      Deno.writeTextFileSync(`${dir}/release`, "");
      assert.equal(await stopper.exited(), 0, stopper.output());
      assert.match(stopper.output(), /all 1 worker\(s\) have stopped/);
      assert.equal(await worker.exited(), 0, worker.output());
      assert.equal((await cliJson(home, ["show", "held"])).state, "completed");
    } finally {
      lock?.close();
      worker?.signal("SIGCONT");
      Deno.writeTextFileSync(`${dir}/release`, "");
      for (const b of started) await stopBackground(b);
      for (const pid of readLines(`${dir}/marker`)) killGroup(Number(pid));
    }
  }));
