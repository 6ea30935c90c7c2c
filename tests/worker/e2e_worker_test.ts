/**
 * End-to-end: `worker start --drain` runs jobs, captures their output, records exit codes and
 * errors, retries with backoff into the DLQ, and kills a timed-out job's whole process tree.
 */
import assert from "node:assert/strict";
import {
  cli,
  cliJson,
  cliOk,
  configure,
  dirOfHome,
  killGroup,
  processAlive,
  readLines,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";

Deno.test("worker start --drain runs the jobs, records exit codes and errors, and logs shows stdout and stderr", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    await cliOk(home, ["enqueue", "--id", "ok", "echo to-stdout; echo to-stderr >&2"]);
    await cliOk(home, ["enqueue", "--id", "seven", "--max-retries", "0", "echo about to fail; exit 7"]);
    await cliOk(home, ["enqueue", "--id", "missing", "--max-retries", "0", "no-such-command-qctl"]);
    await cliOk(home, ["enqueue", "--id", "here", "pwd > here.txt"], { cwd: dir });

    const run = await cli(home, ["worker", "start", "--drain"]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /claimed ok/);
    assert.match(run.stdout, /completed ok/);
    assert.match(run.stdout, /dead seven \(exit code 7\)/);
    assert.match(run.stdout, /drained/);

    const ok = await cliJson(home, ["show", "ok"]);
    assert.equal(ok.state, "completed");
    assert.equal(ok.attempts, 1);
    assert.equal(ok.exit_code, 0);
    assert.equal(ok.last_error, null);
    assert.equal(ok.worker, null);

    const logs = await cli(home, ["logs", "ok"]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /to-stdout\n/);
    assert.match(logs.stdout, /to-stderr\n/);
    assert.ok(
      logs.stdout.indexOf("to-stdout") < logs.stdout.indexOf("to-stderr"),
      "stdout and stderr keep the order they were written in",
    );
    assert.match(logs.stdout, /attempt 1/);

    const seven = await cliJson(home, ["show", "seven"]);
    assert.equal(seven.state, "dead");
    assert.equal(seven.exit_code, 7);
    assert.equal(seven.last_error, "exit code 7");
    assert.match(await cliOk(home, ["logs", "seven"]), /about to fail/);

    const missing = await cliJson(home, ["show", "missing"]);
    assert.equal(missing.state, "dead");
    assert.equal(missing.exit_code, 127);
    assert.equal(missing.last_error, "exit code 127");
    assert.match(await cliOk(home, ["logs", "missing"]), /no-such-command-qctl/);

    // the job runs in the directory it was enqueued from
    assert.equal(await jobStateOf(home, "here"), "completed");
    assert.equal(Deno.readTextFileSync(`${dir}/here.txt`).trim(), Deno.realPathSync(dir));

    const status = await cliJson(home, ["status"]);
    assert.deepEqual(status.counts, { pending: 0, processing: 0, completed: 2, failed: 0, dead: 2 });
  }));

async function jobStateOf(home: string, id: string): Promise<string> {
  return (await cliJson(home, ["show", id])).state;
}

Deno.test("a failing job with max_retries 2 runs 3 times with backoff between attempts, then moves to the DLQ", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    await configure(home, { "backoff-base": 1 }); // every retry waits 1^n = 1 s
    const starts = `${dir}/starts`;
    await cliOk(home, [
      "enqueue",
      "--id",
      "flaky",
      "--max-retries",
      "2",
      `date +%s%3N >> ${starts}; echo "try $(wc -l < ${starts})"; exit 3`,
    ]);
    const run = await cli(home, ["worker", "start", "--drain"]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /failed flaky \(exit code 3\); retry 1 of 2/);
    assert.match(run.stdout, /failed flaky \(exit code 3\); retry 2 of 2/);
    assert.match(run.stdout, /dead flaky \(exit code 3\) after 3 attempt\(s\)/);

    const job = await cliJson(home, ["show", "flaky"]);
    assert.equal(job.state, "dead");
    assert.equal(job.attempts, 3, "max_retries 2 means 3 attempts in all");
    assert.equal(job.exit_code, 3);
    assert.equal(job.last_error, "exit code 3");

    // each retry started only after its backoff (1 s after the previous attempt ended)
    const times = readLines(starts).map(Number);
    assert.equal(times.length, 3);
    for (let i = 1; i < times.length; i++) {
      assert.ok(
        times[i] - times[i - 1] >= 999,
        `attempt ${i + 1} started ${times[i] - times[i - 1]} ms after attempt ${i}`,
      );
    }

    // logs has every attempt, each under its own header
    const logs = await cliOk(home, ["logs", "flaky"]);
    assert.equal((logs.match(/=== attempt \d+ of 3/g) ?? []).length, 3, logs);
    assert.ok(
      logs.indexOf("try 1") < logs.indexOf("try 2") && logs.indexOf("try 2") < logs.indexOf("try 3"),
      logs,
    );

    const dlq = await cliJson(home, ["dlq", "list"]);
    assert.deepEqual(dlq.map((j: any) => j.id), ["flaky"]);
  }));

Deno.test("after failed attempt n a job waits backoff_base^n seconds in state failed, then is retried", () =>
  withHome(async (home) => {
    // default backoff-base 2: the first retry is due 2 s after the failure
    await cliOk(home, ["enqueue", "--id", "twice", "--max-retries", "1", "exit 1"]);
    const worker = cli(home, ["worker", "start", "--drain"]);
    let failed: any;
    await waitFor(
      async () => {
        const job = await cliJson(home, ["show", "twice"]);
        if (job.state === "failed") failed = job;
        return failed !== undefined || job.state === "dead";
      },
      "job twice to fail its first attempt",
      30_000,
      100,
    );
    assert.ok(failed, "the job was seen waiting in state failed between its attempts");
    assert.equal(failed.attempts, 1);
    assert.equal(failed.last_error, "exit code 1");
    assert.equal(
      Date.parse(failed.run_at) - Date.parse(failed.updated_at),
      2000,
      "run_at = failure time + 2^1 s",
    );

    const run = await worker;
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const job = await cliJson(home, ["show", "twice"]);
    assert.equal(job.state, "dead");
    assert.equal(job.attempts, 2);
    assert.ok(
      Date.parse(job.started_at) >= Date.parse(failed.run_at),
      "the retry did not start before its run_at",
    );
  }));

Deno.test("backoff-max caps one retry delay", () =>
  withHome(async (home) => {
    await configure(home, { "backoff-base": 1000, "backoff-max": 1 });
    await cliOk(home, ["enqueue", "--id", "capped", "--max-retries", "1", "exit 1"]);
    const run = await cli(home, ["worker", "start", "--drain"]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /failed capped \(exit code 1\); retry 1 of 1 in 1s/);
    const job = await cliJson(home, ["show", "capped"]);
    assert.equal(job.state, "dead");
    assert.equal(job.attempts, 2);
  }));

Deno.test("a timeout kills the job's whole process tree and records 'timed out after 1s'", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    const pids: number[] = [];
    try {
      await cliOk(home, [
        "enqueue",
        "--id",
        "tree",
        "--timeout",
        "1",
        "--max-retries",
        "0",
        `sh -c 'sleep 300 & echo $! > ${dir}/child.pid; wait'`,
      ]);
      // a grandchild that ignores SIGTERM still goes with its group
      await cliOk(home, [
        "enqueue",
        "--id",
        "stubborn",
        "--timeout",
        "1",
        "--max-retries",
        "0",
        `sh -c 'trap "" TERM; sleep 300 & echo $! > ${dir}/stubborn.pid; wait'`,
      ]);
      const run = await cli(home, ["worker", "start", "--drain", "--count", "2"]);
      assert.equal(run.code, 0, run.stderr + run.stdout);
      for (const [id, file] of [["tree", "child.pid"], ["stubborn", "stubborn.pid"]]) {
        const job = await cliJson(home, ["show", id]);
        assert.equal(job.state, "dead", id);
        assert.equal(job.last_error, "timed out after 1s", id);
        assert.equal(job.exit_code, null, id);
        const pid = Number(Deno.readTextFileSync(`${dir}/${file}`).trim());
        assert.ok(pid > 0);
        pids.push(pid);
        await waitFor(() => !processAlive(pid), `grandchild ${pid} of job ${id} to be gone`, 10_000);
      }
      assert.match(await cliOk(home, ["logs", "tree"]), /\n=== timed out after 1s · [\d.]+s ===\n$/);
    } finally {
      for (const pid of pids) if (processAlive(pid)) Deno.kill(pid, "SIGKILL");
    }
  }));

Deno.test("the job-timeout setting applies to jobs enqueued without a timeout", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    let pid = 0;
    try {
      await configure(home, { "job-timeout": 1 });
      await cliOk(home, ["enqueue", "--id", "slow", "--max-retries", "0", `echo $$ > ${dir}/pid; sleep 300`]);
      const run = await cli(home, ["worker", "start", "--drain"]);
      assert.equal(run.code, 0, run.stderr + run.stdout);
      const job = await cliJson(home, ["show", "slow"]);
      assert.equal(job.timeout, null);
      assert.equal(job.state, "dead");
      assert.equal(job.last_error, "timed out after 1s");
      pid = Number(readLines(`${dir}/pid`)[0]);
      await waitFor(() => !processAlive(pid), "the timed-out job's shell to be gone", 10_000);
    } finally {
      if (pid) killGroup(pid);
    }
  }));

Deno.test("a job that cannot be spawned fails with a 'could not start' error and no exit code", () =>
  withHome(async (home) => {
    const gone = `${dirOfHome(home)}/gone`;
    Deno.mkdirSync(gone);
    await cliOk(home, ["enqueue", "--id", "nowhere", "--max-retries", "0", "echo hi"], { cwd: gone });
    Deno.removeSync(gone); // the directory the job must run in has vanished
    const run = await cli(home, ["worker", "start", "--drain"]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const job = await cliJson(home, ["show", "nowhere"]);
    assert.equal(job.state, "dead");
    assert.equal(job.attempts, 1);
    assert.equal(job.exit_code, null);
    assert.match(job.last_error, /^could not start/);
    assert.match(await cliOk(home, ["logs", "nowhere"]), /could not start/);
  }));

Deno.test("a drain of many short jobs on four slots runs every job exactly once", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    const ids = Array.from({ length: 120 }, (_, i) => `j${i}`);
    Deno.writeTextFileSync(
      `${dir}/jobs.jsonl`,
      ids.map((id) => JSON.stringify({ id, command: `echo ${id} >> ${dir}/ran` })).join("\n") + "\n",
    );
    await cliOk(home, ["enqueue", "--file", `${dir}/jobs.jsonl`]);
    const run = await cli(home, ["worker", "start", "--count", "4", "--drain"]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.deepEqual(readLines(`${dir}/ran`).sort(), [...ids].sort(), "each job ran once");
    const status = await cliJson(home, ["status"]);
    assert.deepEqual(status.counts, { pending: 0, processing: 0, completed: 120, failed: 0, dead: 0 });
    const jobs = await cliJson(home, ["list"]);
    assert.ok(jobs.every((j: any) => j.attempts === 1), "no job needed a second attempt");
    assert.deepEqual(status.workers, []);
  }));
