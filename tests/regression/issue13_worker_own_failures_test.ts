/**
 * Regression (issue 13 #6): the worker's own failures are not the job's. A missing `logs/`
 * directory was charged to the job as "could not start" (healthy jobs burnt their retries and
 * ended in the DLQ), and `--count 600` under a 1,024-descriptor limit sent hundreds of jobs there
 * when the worker ran out of descriptors. The worker now makes `logs/` anew (never the home), gives
 * a claim it could not start back without counting an attempt, and refuses a `--count` its
 * descriptor limit cannot carry, naming the limit, before it claims anything.
 */
import assert from "node:assert/strict";
import {
  background,
  cli,
  CLI_FLAGS,
  cliJson,
  cliOk,
  configure,
  DENO,
  exists,
  MAIN,
  spawnCli,
  stopBackground,
  untilOutput,
  untilState,
  withHome,
} from "../../testkit/mod.ts";

Deno.test("a job claimed after logs/ was removed runs at its first attempt, its output in a new logs/", () =>
  withHome(async (home) => {
    await configure(home, { poll_interval: 0.2, max_retries: 0 });
    const worker = spawnCli(home, ["worker", "start"]);
    try {
      await untilOutput(worker, /started with 1 slot/, 60_000);
      await cliOk(home, ["enqueue", "--id", "first", "echo one"]);
      await untilState(home, "first", "completed");
      Deno.removeSync(`${home}/logs`, { recursive: true });
      await cliOk(home, ["enqueue", "--id", "second", "echo two"]);
      await untilState(home, "second", "completed", 60_000);
      const job = await cliJson(home, ["show", "second"]);
      assert.equal(job.attempts, 1);
      assert.equal(job.last_error, null);
      assert.ok(exists(`${home}/logs`));
      assert.match(await cliOk(home, ["logs", "second"]), /two/);
    } finally {
      await stopBackground(worker);
    }
  }));

Deno.test("worker start --count beyond the descriptor limit is refused naming the limit, and claims nothing", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "j", "true"]);
    // `ulimit -n 100` leaves room for (100 - 64) / 2 = 18 slots
    const child = new Deno.Command("/bin/sh", {
      args: [
        "-c",
        'ulimit -n 100 && exec "$@"',
        "sh",
        DENO,
        "run",
        ...CLI_FLAGS,
        MAIN,
        "worker",
        "start",
        "--count",
        "600",
      ],
      env: { QUEUECTL_HOME: home, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const bg = background(child);
    const code = await bg.exited();
    assert.equal(code, 1, bg.output());
    assert.match(
      bg.output(),
      /^error: Cannot start 600 slot\(s\): the descriptor limit \(ulimit -n\) is 100, enough for 18 slot\(s\); raise it or start fewer$/m,
    );
    assert.equal((await cliJson(home, ["show", "j"])).state, "pending");
    // within the limit it starts and runs the job
    const ok = await cli(home, ["worker", "start", "--drain", "--count", "4"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((await cliJson(home, ["show", "j"])).state, "completed");
  }));
