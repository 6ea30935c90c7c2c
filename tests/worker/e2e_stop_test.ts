/**
 * End-to-end: stopping workers. A signal or `worker stop` lets running jobs finish and claims
 * nothing new; a second signal kills running jobs as failed attempts; `worker list` and
 * `status` show the workers while they run and none after.
 */
import assert from "node:assert/strict";
import {
  type Background,
  cli,
  cliJson,
  cliOk,
  configure,
  dirOfHome,
  exists,
  killGroup,
  processAlive,
  readLines,
  removeHome,
  spawnCli,
  stopBackground,
  untilOutput,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";

for (const sig of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`${sig} to worker start lets the running job finish, claims nothing new and exits 0`, () =>
    withHome(async (home) => {
      const dir = dirOfHome(home);
      const workers: Background[] = [];
      try {
        await cliOk(home, [
          "enqueue",
          "--id",
          "running",
          "--priority",
          "1",
          `touch ${dir}/started; sleep 2; echo finished`,
        ]);
        await cliOk(home, ["enqueue", "--id", "waiting", `echo ran >> ${dir}/waiting`]);
        const worker = spawnCli(home, ["worker", "start"]);
        workers.push(worker);
        await waitFor(() => exists(`${dir}/started`), "the first job to start");
        worker.signal(sig);
        assert.equal(await worker.exited(), 0, worker.output());
        assert.match(worker.output(), /stopping/);
        assert.match(worker.output(), /completed running/);
        assert.doesNotMatch(worker.output(), /claimed waiting/);

        const running = await cliJson(home, ["show", "running"]);
        assert.equal(running.state, "completed");
        assert.equal(running.attempts, 1);
        assert.match(await cliOk(home, ["logs", "running"]), /finished/);
        const waiting = await cliJson(home, ["show", "waiting"]);
        assert.equal(waiting.state, "pending");
        assert.equal(waiting.attempts, 0);
        assert.equal(exists(`${dir}/waiting`), false);
        assert.deepEqual((await cliJson(home, ["status"])).workers, []);
      } finally {
        for (const w of workers) await stopBackground(w);
      }
    }));
}

Deno.test("a second signal kills the running job's process tree, records a failed attempt, and the worker exits 0", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    const workers: Background[] = [];
    try {
      await configure(home, { "backoff-base": 1 });
      await cliOk(home, [
        "enqueue",
        "--id",
        "long",
        "--max-retries",
        "2",
        `echo $$ > ${dir}/pid; sleep 300 & echo $! > ${dir}/child; wait`,
      ]);
      const worker = spawnCli(home, ["worker", "start"]);
      workers.push(worker);
      await waitFor(() => readLines(`${dir}/child`).length === 1, "the job to start");
      worker.signal("SIGTERM");
      await untilOutput(worker, /stopping/);
      worker.signal("SIGINT");
      assert.equal(await worker.exited(), 0, worker.output());

      const job = await cliJson(home, ["show", "long"]);
      assert.equal(job.state, "failed", "a failed attempt with retries left");
      assert.equal(job.attempts, 1);
      assert.match(job.last_error, /kill/);
      assert.equal(job.worker, null);
      for (const file of ["pid", "child"]) {
        const pid = Number(readLines(`${dir}/${file}`)[0]);
        await waitFor(
          () => !processAlive(pid),
          `process ${pid} (${file}) of the killed job to be gone`,
          10_000,
        );
      }
    } finally {
      for (const w of workers) await stopBackground(w);
      for (const file of ["pid", "child"]) {
        const pid = Number(readLines(`${dir}/${file}`)[0]);
        if (pid) killGroup(pid);
      }
    }
  }));

Deno.test("worker stop from another process stops every worker of the home, which exit 0", () =>
  withHome((home) =>
    withHome(async (other) => {
      const workers: Background[] = [];
      try {
        const none = await cli(home, ["worker", "stop"]);
        assert.equal(none.code, 0, none.stderr);
        assert.match(none.stdout, /no worker is running/);

        const a = spawnCli(home, ["worker", "start"]);
        const b = spawnCli(home, ["worker", "start", "--count", "3"]);
        const elsewhere = spawnCli(other, ["worker", "start"]);
        workers.push(a, b, elsewhere);
        for (const w of workers) await untilOutput(w, /started with/);

        const stop = await cli(home, ["worker", "stop"]);
        assert.equal(stop.code, 0, stop.stderr);
        assert.match(stop.stdout, /2 worker/);
        assert.equal(await a.exited(), 0, a.output());
        assert.equal(await b.exited(), 0, b.output());
        assert.match(a.output(), /stopping/);
        assert.deepEqual(await cliJson(home, ["worker", "list"]), []);

        // a worker of another home is not affected
        const list = await cliJson(other, ["worker", "list"]);
        assert.equal(list.length, 1);
        assert.equal(list[0].pid, elsewhere.pid);
        // and a worker started after the stop request runs normally
        const late = spawnCli(home, ["worker", "start"]);
        workers.push(late);
        await untilOutput(late, /started with/);
        await cliOk(home, ["enqueue", "--id", "after", "true"]);
        await waitFor(
          async () => (await cliJson(home, ["show", "after"])).state === "completed",
          "job after to run",
          20_000,
          150,
        );
      } finally {
        for (const w of workers) await stopBackground(w);
      }
    })
  ));

Deno.test("worker stop --wait returns only after the workers finished their jobs and exited", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    const workers: Background[] = [];
    try {
      await cliOk(home, ["enqueue", "--id", "busy", `touch ${dir}/started; sleep 2; echo done`]);
      const busy = spawnCli(home, ["worker", "start"]);
      const idle = spawnCli(home, ["worker", "start"]);
      workers.push(busy, idle);
      for (const w of workers) await untilOutput(w, /started with/);
      await waitFor(() => exists(`${dir}/started`), "the job to start");

      const stop = await cli(home, ["worker", "stop", "--wait"]);
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stdout, /2 worker/);
      // by now both have exited and the job was finished, not abandoned
      assert.deepEqual(await cliJson(home, ["worker", "list"]), []);
      assert.deepEqual((await cliJson(home, ["status"])).workers, []);
      const job = await cliJson(home, ["show", "busy"]);
      assert.equal(job.state, "completed");
      assert.equal(job.attempts, 1);
      assert.equal(await busy.exited(), 0, busy.output());
      assert.equal(await idle.exited(), 0, idle.output());
    } finally {
      for (const w of workers) await stopBackground(w);
    }
  }));

Deno.test("worker list and status --json show running workers with id, pid, slots, jobs and heartbeat, and none after", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    const workers: Background[] = [];
    try {
      await cliOk(home, [
        "enqueue",
        "--id",
        "held",
        `touch ${dir}/started; while [ ! -f ${dir}/release ]; do sleep 0.05; done`,
      ]);
      const worker = spawnCli(home, ["worker", "start", "--count", "2"]);
      workers.push(worker);
      await waitFor(() => exists(`${dir}/started`), "the job to start");
      // the heartbeat file names a worker's jobs soon after they change (heartbeat.ts: within
      // 200 ms, spaced so that a busy worker does not rewrite it for every job)
      await waitFor(
        async () => (await cliJson(home, ["worker", "list"]))[0]?.jobs.length > 0,
        "the worker's heartbeat to name its job",
      );

      const list = await cliJson(home, ["worker", "list"]);
      assert.equal(list.length, 1);
      const w = list[0];
      assert.match(w.id, /^w-/);
      assert.equal(w.pid, worker.pid);
      assert.equal(w.slots, 2);
      assert.deepEqual(w.jobs, ["held"]);
      assert.ok(!Number.isNaN(Date.parse(w.heartbeat_at)), `heartbeat_at ${w.heartbeat_at}`);
      assert.ok(!Number.isNaN(Date.parse(w.started_at)), `started_at ${w.started_at}`);
      assert.match(worker.output(), new RegExp(`${w.id} started with 2 slot`));

      const status = await cliJson(home, ["status"]);
      assert.deepEqual(Object.keys(status).sort(), ["counts", "paused_queues", "workers"]);
      assert.equal(status.counts.processing, 1);
      assert.equal(status.workers.length, 1);
      assert.equal(status.workers[0].id, w.id);
      assert.equal(status.workers[0].pid, worker.pid);
      assert.equal(status.workers[0].slots, 2);
      assert.deepEqual(status.workers[0].jobs, ["held"]);

      const held = await cliJson(home, ["show", "held"]);
      assert.equal(held.state, "processing");
      assert.equal(held.worker, w.id);

      const text = await cliOk(home, ["worker", "list"]);
      assert.match(text, new RegExp(w.id));
      assert.match(text, new RegExp(String(worker.pid)));
      assert.match(await cliOk(home, ["status"]), new RegExp(w.id));

      Deno.writeTextFileSync(`${dir}/release`, "");
      await waitFor(
        async () => (await cliJson(home, ["show", "held"])).state === "completed",
        "job held to complete",
      );
      assert.equal(await stopBackground(worker), 0, worker.output());
      assert.deepEqual(await cliJson(home, ["worker", "list"]), []);
      assert.deepEqual((await cliJson(home, ["status"])).workers, []);
      assert.match(await cliOk(home, ["worker", "list"]), /no worker is running/);
    } finally {
      for (const w of workers) await stopBackground(w);
    }
  }));

Deno.test("a worker whose home directory is removed stops by itself and exits 0", () =>
  withHome(async (home) => {
    const worker = spawnCli(home, ["worker", "start"]);
    try {
      await untilOutput(worker, /started with 1 slot/);
      removeHome(home);
      assert.equal(await worker.exited(), 0);
      assert.match(worker.output(), /stopping \(its home directory was removed\)/);
    } finally {
      await stopBackground(worker);
    }
  }));
