/**
 * End-to-end: which job runs when. Priority and enqueue order, run_at and --delay, several
 * workers sharing one home, and settings a running worker picks up without a restart.
 */
import assert from "node:assert/strict";
import {
  cli,
  cliJson,
  cliOk,
  configure,
  dirOfHome,
  readLines,
  spawnCli,
  stopBackground,
  untilOutput,
  untilState,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";

Deno.test("one slot runs higher priority first, and equal priorities in enqueue order", () =>
  withHome(async (home) => {
    const ledger = `${dirOfHome(home)}/ledger`;
    const job = (id: string, priority: number) =>
      JSON.stringify({ id, priority, command: `echo ${id} >> ${ledger}` });
    // one batch: every job has the same run_at, so ties fall to enqueue order alone
    const batch = [job("a0", 0), job("b5", 5), job("c0", 0), job("d10", 10), job("e5", 5), job("f-1", -1)];
    await cliOk(home, ["enqueue", "--file", "-"], { stdin: batch.join("\n") + "\n" });
    // and one enqueued on its own afterwards, between the others in priority
    await cliOk(home, ["enqueue", "--id", "g5", "--priority", "5", `echo g5 >> ${ledger}`]);
    const run = await cli(home, ["worker", "start", "--drain", "--count", "1"]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.deepEqual(readLines(ledger), ["d10", "b5", "e5", "g5", "a0", "c0", "f-1"]);
  }));

Deno.test("worker start --drain exits 0 without starting a job whose run_at is still ahead", () =>
  withHome(async (home) => {
    const marker = `${dirOfHome(home)}/ran`;
    await cliOk(home, ["enqueue", "--id", "later", "--delay", "1h", `touch ${marker}`]);
    const run = await cli(home, ["worker", "start", "--drain"]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.doesNotMatch(run.stdout, /claimed later/);
    const job = await cliJson(home, ["show", "later"]);
    assert.equal(job.state, "pending");
    assert.equal(job.attempts, 0);
    assert.equal(readLines(marker).length, 0);
    assert.throws(() => Deno.statSync(marker), Deno.errors.NotFound);
  }));

Deno.test("jobs given --delay or --run-at do not start before their run_at, then run", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    const delayed = await cliJson(home, [
      "enqueue",
      "--id",
      "delayed",
      "--delay",
      "2s",
      `date +%s%3N > ${dir}/delayed`,
    ]);
    const at = new Date(Date.now() + 2000).toISOString();
    const scheduled = await cliJson(home, [
      "enqueue",
      "--id",
      "scheduled",
      "--run-at",
      at,
      `date +%s%3N > ${dir}/scheduled`,
    ]);
    assert.equal(scheduled.run_at, at);
    await cliOk(home, ["enqueue", "--id", "now", `date +%s%3N > ${dir}/now`]);
    const worker = spawnCli(home, ["worker", "start", "--count", "2"]);
    try {
      await untilState(home, "delayed", "completed");
      await untilState(home, "scheduled", "completed");
      assert.equal((await cliJson(home, ["show", "now"])).state, "completed");
      for (const job of [delayed, scheduled]) {
        const startedMs = Number(readLines(`${dir}/${job.id}`)[0]);
        assert.ok(
          startedMs >= Date.parse(job.run_at),
          `${job.id} started at ${startedMs}, before its run_at ${job.run_at}`,
        );
        const shown = await cliJson(home, ["show", job.id]);
        assert.ok(Date.parse(shown.started_at) >= Date.parse(job.run_at));
        assert.equal(shown.attempts, 1);
      }
    } finally {
      assert.equal(await stopBackground(worker), 0, worker.output());
    }
  }));

Deno.test("two workers with two slots each share one home: 30 jobs each run exactly once", () =>
  withHome(async (home) => {
    const ledger = `${dirOfHome(home)}/ledger`;
    const ids = Array.from({ length: 30 }, (_, i) => `job-${String(i).padStart(2, "0")}`);
    await cliOk(home, ["config", "set", "poll-interval", "0.5"]);
    const workers = [
      spawnCli(home, ["worker", "start", "--count", "2"]),
      spawnCli(home, ["worker", "start", "--count", "2"]),
    ];
    try {
      for (const w of workers) await untilOutput(w, /started with 2 slot/);
      // enqueue while both workers run, a few enqueuers at a time
      for (let i = 0; i < ids.length; i += 5) {
        await Promise.all(
          ids.slice(i, i + 5).map((id) => cliOk(home, ["enqueue", "--id", id, `echo ${id} >> ${ledger}`])),
        );
      }
      await waitFor(
        async () => (await cliJson(home, ["status"])).counts.completed === ids.length,
        "all 30 jobs to complete",
        60_000,
        200,
      );
      const status = await cliJson(home, ["status"]);
      assert.deepEqual(status.counts, { pending: 0, processing: 0, completed: 30, failed: 0, dead: 0 });
      assert.equal(status.workers.length, 2);
    } finally {
      for (const w of workers) assert.equal(await stopBackground(w), 0, w.output());
    }
    const ran = readLines(ledger);
    assert.equal(ran.length, ids.length, `ledger has ${ran.length} lines: ${ran.join(" ")}`);
    assert.deepEqual([...ran].sort(), ids, "every job ran exactly once");
    const jobs = await cliJson(home, ["list"]);
    assert.ok(jobs.every((j: any) => j.state === "completed" && j.attempts === 1));
  }));

Deno.test("a running worker applies a config change without a restart (job-timeout)", () =>
  withHome(async (home) => {
    await configure(home, { "backoff-base": 1 });
    const worker = spawnCli(home, ["worker", "start"]);
    try {
      await untilOutput(worker, /started with 1 slot/);
      await cliOk(home, ["config", "set", "job-timeout", "1"]);
      await untilOutput(worker, /config reloaded/);
      await cliOk(home, ["enqueue", "--id", "sleepy", "--max-retries", "0", "sleep 5"]);
      await untilState(home, "sleepy", "dead");
      const job = await cliJson(home, ["show", "sleepy"]);
      assert.equal(job.last_error, "timed out after 1s");
      assert.equal(job.attempts, 1);
    } finally {
      assert.equal(await stopBackground(worker), 0, worker.output());
    }
  }));
