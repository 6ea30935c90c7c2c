/**
 * End-to-end: `kill -9` of a worker in the middle of a job. The job's process group outlives its
 * worker; whoever takes the expired claim back kills that group first ("worker lost"), then the
 * job is retried by the normal rules and completes.
 */
import assert from "node:assert/strict";
import {
  type Background,
  cliJson,
  cliOk,
  configure,
  dirOfHome,
  jobState,
  killGroup,
  processAlive,
  readLines,
  spawnCli,
  stopBackground,
  untilOutput,
  untilState,
  waitFor,
  withHome,
  workerIdOf,
} from "../../testkit/mod.ts";

/**
 * A job that records its shell's pid ($$, the leader of its process group) on every attempt:
 * the first attempt then sleeps for minutes (only a kill ends it early), later ones finish.
 */
function recordingJob(pidsFile: string): string {
  return `echo $$ >> ${pidsFile}; if [ "$(wc -l < ${pidsFile})" -eq 1 ]; then sleep 300; fi; echo finished`;
}

async function setup(home: string): Promise<string> {
  await configure(home, { "lease-timeout": 2, "backoff-base": 1, "poll-interval": 0.5 });
  const pids = `${dirOfHome(home)}/pids`;
  await cliJson(home, ["enqueue", "--id", "victim", "--max-retries", "3", recordingJob(pids)]);
  return pids;
}

async function killNine(worker: Background): Promise<void> {
  worker.signal("SIGKILL");
  await worker.exited();
}

Deno.test("kill -9 of a worker mid-job: a second worker takes the job back ('worker lost'), kills the first attempt and completes it", () =>
  withHome(async (home) => {
    const started: Background[] = [];
    let pids = "";
    try {
      pids = await setup(home);
      const first = spawnCli(home, ["worker", "start"]);
      started.push(first);
      await waitFor(() => readLines(pids).length === 1, "the first attempt to start");
      const firstPid = Number(readLines(pids)[0]);
      const firstId = workerIdOf(first)!;
      assert.ok(firstId);
      assert.equal(await jobState(home, "victim"), "processing");

      const second = spawnCli(home, ["worker", "start"]);
      started.push(second);
      await untilOutput(second, /started with 1 slot/);
      await killNine(first);

      await untilState(home, "victim", "completed");
      const job = await cliJson(home, ["show", "victim"]);
      assert.equal(job.attempts, 2, "the lost attempt counts as one");
      assert.equal(job.exit_code, 0);
      assert.ok(
        new RegExp(`took back victim from lost worker ${firstId}: failed victim \\(worker lost\\)`).test(
          second.output(),
        ),
        second.output(),
      );
      const attempts = readLines(pids).map(Number);
      assert.equal(attempts.length, 2, "run exactly twice");
      assert.notEqual(attempts[1], firstPid);
      assert.equal(processAlive(firstPid), false, "the first attempt's process group was killed");

      const logs = await cliOk(home, ["logs", "victim"]);
      assert.match(logs, new RegExp(`=== attempt 1 of 4 .* worker ${firstId} ===`));
      assert.match(logs, new RegExp(`=== attempt 2 of 4 .* worker ${workerIdOf(second)} ===\\nfinished\\n`));
    } finally {
      for (const w of started) await stopBackground(w);
      for (const pid of readLines(pids).map(Number)) killGroup(pid);
    }
  }));

Deno.test("a job whose worker died while no other worker runs stays processing until a worker starts, then recovers", () =>
  withHome(async (home) => {
    const started: Background[] = [];
    let pids = "";
    try {
      pids = await setup(home);
      const first = spawnCli(home, ["worker", "start"]);
      started.push(first);
      await waitFor(() => readLines(pids).length === 1, "the first attempt to start");
      const firstPid = Number(readLines(pids)[0]);
      await killNine(first);

      // nobody is left to notice: the claim outlives its lease, and the orphaned attempt runs on
      const stuck = await cliJson(home, ["show", "victim"]);
      assert.equal(stuck.state, "processing");
      await waitFor(() => Date.now() > Date.parse(stuck.lease_until) + 500, "the lease to expire");
      const still = await cliJson(home, ["status"]);
      assert.equal(still.counts.processing, 1);
      assert.deepEqual(still.workers, []);
      assert.equal(await jobState(home, "victim"), "processing");
      assert.ok(processAlive(firstPid), "the job's process group survives its worker's kill -9");

      const second = spawnCli(home, ["worker", "start"]);
      started.push(second);
      await untilState(home, "victim", "completed");
      assert.match(second.output(), /took back victim from lost worker \S+: failed victim \(worker lost\)/);
      const job = await cliJson(home, ["show", "victim"]);
      assert.equal(job.attempts, 2);
      assert.equal(readLines(pids).length, 2);
      assert.equal(processAlive(firstPid), false, "the orphaned first attempt was killed before the retry");
    } finally {
      for (const w of started) await stopBackground(w);
      for (const pid of readLines(pids).map(Number)) killGroup(pid);
    }
  }));

Deno.test("a job whose worker was killed on its last allowed attempt moves to the DLQ as 'worker lost'", () =>
  withHome(async (home) => {
    const started: Background[] = [];
    const pids = `${dirOfHome(home)}/pids`;
    try {
      await configure(home, { "lease-timeout": 2, "backoff-base": 1 });
      await cliJson(home, ["enqueue", "--id", "last", "--max-retries", "0", recordingJob(pids)]);
      const first = spawnCli(home, ["worker", "start"]);
      started.push(first);
      await waitFor(() => readLines(pids).length === 1, "the attempt to start");
      await killNine(first);
      const second = spawnCli(home, ["worker", "start"]);
      started.push(second);
      await untilState(home, "last", "dead");
      const job = await cliJson(home, ["show", "last"]);
      assert.equal(job.last_error, "worker lost");
      assert.equal(job.attempts, 1);
      assert.equal(processAlive(Number(readLines(pids)[0])), false);
      assert.equal(readLines(pids).length, 1, "a dead job is not run again");
    } finally {
      for (const w of started) await stopBackground(w);
      for (const pid of readLines(pids).map(Number)) killGroup(pid);
    }
  }));

Deno.test("a job running longer than lease-timeout keeps its lease: a second worker never runs it twice", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    const started: Background[] = [];
    const pids = `${dir}/pids`;
    try {
      await configure(home, { "lease-timeout": 2, "backoff-base": 1, "poll-interval": 0.5 });
      await cliJson(home, [
        "enqueue",
        "--id",
        "long",
        `echo $$ >> ${pids}; while [ ! -f ${dir}/release ]; do sleep 0.05; done`,
      ]);
      const first = spawnCli(home, ["worker", "start"]);
      const second = spawnCli(home, ["worker", "start"]);
      started.push(first, second);
      await waitFor(() => readLines(pids).length === 1, "the job to start");
      const job = await cliJson(home, ["show", "long"]);
      // the lease is renewed until it reaches two whole periods (2 s each) past the first one: by then
      // the first lease has run out and another period has passed while both workers looked on
      await waitFor(
        async () =>
          Date.parse((await cliJson(home, ["show", "long"])).lease_until) >=
            Date.parse(job.lease_until) + 4000,
        "the lease to be renewed past two more periods",
        30_000,
        200,
      );
      const still = await cliJson(home, ["show", "long"]);
      assert.equal(still.state, "processing");
      assert.equal(still.worker, job.worker);
      assert.equal(still.attempts, 1);
      assert.ok(Date.parse(still.lease_until) > Date.parse(job.lease_until), "the lease was renewed");
      Deno.writeTextFileSync(`${dir}/release`, "");
      await untilState(home, "long", "completed");
      assert.equal((await cliJson(home, ["show", "long"])).attempts, 1);
      assert.equal(readLines(pids).length, 1, "run once");
      for (const w of started) assert.doesNotMatch(w.output(), /took back/);
    } finally {
      for (const w of started) await stopBackground(w);
      for (const pid of readLines(pids).map(Number)) killGroup(pid);
    }
  }));
