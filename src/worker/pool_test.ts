import assert from "node:assert/strict";
import { homePaths } from "../store/paths.ts";
import { RunnerPool } from "./pool.ts";
import { killSession } from "./session.ts";
import { killNaming, marker, pidsNaming, slice, untilRunning, withTempDir } from "./_testing.ts";

const noCgroups = Deno.env.get("QUEUECTL_TEST_CGROUPS") === "off";
/** A worker id of this run: cgroups are named after it, and another test run may share the host. */
const WORKER = `w-test-${crypto.randomUUID().slice(0, 8)}`;

/** Runs `body` with a pool of `slots` slots in a fresh home, closed afterwards. */
async function withPool(
  slots: number,
  body: (pool: RunnerPool, home: string) => Promise<void>,
  outputLimit?: number,
): Promise<void> {
  await withTempDir(async (home) => {
    const pool = await RunnerPool.start({
      workerId: WORKER,
      slots,
      paths: homePaths(home),
      outputLimit,
      cgroups: !noCgroups,
    });
    try {
      await body(pool, home);
    } finally {
      await pool.close();
    }
  });
}

const job = (command: string, id = "j1") => ({ id, attempt: 1, command, cwd: null, env: {} });

Deno.test("a pool runs each slot's jobs into that slot's output file, created private under logs/", async () => {
  await withPool(2, async (pool, home) => {
    const paths = homePaths(home);
    const [a, b] = await Promise.all([
      pool.run(await pool.prepare(1), job("echo one", "a")),
      pool.run(await pool.prepare(2), job("echo two", "b")),
    ]);
    assert.deepEqual([await a.ended, await b.ended], [{ kind: "exited", code: 0 }, {
      kind: "exited",
      code: 0,
    }]);
    assert.deepEqual(await a.output, { path: paths.slotOutput(WORKER, 1, 1), start: 0, end: 4 });
    assert.deepEqual(await b.output, { path: paths.slotOutput(WORKER, 2, 1), start: 0, end: 4 });
    const c = pool.run(await pool.prepare(1), job("echo three", "c"));
    const range = await c.output;
    assert.deepEqual([range.start, range.end], [4, 10]);
    assert.equal(slice(range.path, range.start, range.end), "three\n");
    for (const slot of [1, 2]) {
      assert.equal(Deno.statSync(paths.slotOutput(WORKER, slot, 1)).mode! & 0o777, 0o600);
    }
    assert.equal(a.runner?.sessionId, pool.runner(1)?.pid);
    assert.notEqual(a.runner?.sessionId, b.runner?.sessionId);
  });
});

Deno.test("a slot moves on to its next output file once the current one has passed the limit", async () => {
  await withPool(1, async (pool, home) => {
    const paths = homePaths(home);
    const first = pool.run(await pool.prepare(1), job("printf '%020d' 0"));
    await first.ended;
    assert.deepEqual(await first.output, { path: paths.slotOutput(WORKER, 1, 1), start: 0, end: 20 });
    const second = pool.run(await pool.prepare(1), job("echo next"));
    assert.deepEqual(await second.output, { path: paths.slotOutput(WORKER, 1, 2), start: 0, end: 5 });
    assert.equal(paths.slotOutput(WORKER, 1, 2), `${home}/logs/${WORKER}-slot-1-2.out`);
    assert.equal(Deno.statSync(paths.slotOutput(WORKER, 1, 2)).mode! & 0o777, 0o600);
  }, 10);
});

Deno.test("a runner killed from outside is reported as runner_lost, its job is killed, and the pool replaces it", async () => {
  await withPool(1, async (pool) => {
    const mark = marker();
    try {
      const lost = pool.run(await pool.prepare(1), job(`sleep ${mark}`));
      await untilRunning(mark);
      Deno.kill(lost.runner!.sessionId, "SIGKILL");
      assert.deepEqual(await lost.ended, { kind: "runner_lost" });
      assert.deepEqual(pidsNaming(mark), [], "the orphaned job was killed before the end was reported");
      const next = pool.run(await pool.prepare(1), job("echo again"));
      assert.deepEqual(await next.ended, { kind: "exited", code: 0 });
      assert.notEqual(next.runner?.sessionId, lost.runner?.sessionId);
      assert.equal(pool.runner(1)?.alive, true);
      // killed while idle: replaced by the next run
      const idle = pool.runner(1)!;
      Deno.kill(idle.pid, "SIGKILL");
      await idle.lost;
      const third = pool.run(await pool.prepare(1), job("echo third"));
      assert.deepEqual(await third.ended, { kind: "exited", code: 0 });
      assert.notEqual(third.runner?.sessionId, idle.pid);
    } finally {
      killNaming(mark);
    }
  });
});

Deno.test("a job sent to a runner killed before it could start the job is not started, the worker's fault, and runs nothing", async () => {
  await withPool(1, async (pool, home) => {
    const mark = marker();
    try {
      const ticket = await pool.prepare(1);
      // killed from outside before the pool can see it, as a repair ends the runners it cannot vouch
      // for (src/cli/manage.ts): its whole session. The runner's pid alone, as this test killed it,
      // leaves its waiting shell, which may still read the job and report its start: the job then
      // runs and ends runner_lost, started (the flake this test had under load), not not_started
      await killSession(ticket.runner.sessionId, ticket.runner.startTime, null);
      const late = pool.run(ticket, job(`touch ${home}/ran; sleep ${mark}`));
      assert.deepEqual(await late.ended, {
        kind: "not_started",
        reason: "its slot's runner shell ended before the job could start",
        fault: "worker",
      });
      assert.deepEqual(pidsNaming(mark), []);
      assert.throws(() => Deno.statSync(`${home}/ran`), Deno.errors.NotFound);
      const next = pool.run(await pool.prepare(1), job("echo again"));
      assert.deepEqual(await next.ended, { kind: "exited", code: 0 });
    } finally {
      killNaming(mark);
    }
  });
});

Deno.test("a pool refuses a slot it does not have, and a slot that is running a job", async () => {
  await withPool(1, async (pool) => {
    assert.throws(() => pool.prepare(2), /Cannot use slot 2: the pool has slots 1 to 1/);
    const mark = marker();
    try {
      const running = pool.run(await pool.prepare(1), job(`sleep ${mark}`));
      const ticket = await pool.prepare(1);
      assert.throws(
        () => pool.run(ticket, job("true", "j2")),
        /Cannot run job j2 in slot 1: it is running a job/,
      );
      // killed once its shell took the job: a SIGKILL before that ends the runner, and the job
      // ends not_started (runner_kill_test.ts: a runner whose waiting shell is killed)
      assert.equal(await running.started, true);
      await running.kill(0);
      assert.equal((await running.ended).kind, "signaled");
    } finally {
      killNaming(mark);
    }
  });
});

Deno.test("a pool's cgroups (where usable) exist while it runs and are gone once it is closed", async () => {
  await withTempDir(async (home) => {
    const pool = await RunnerPool.start({
      workerId: WORKER,
      slots: 2,
      paths: homePaths(home),
      cgroups: !noCgroups,
    });
    const cgroups = pool.cgroups;
    try {
      if (!cgroups.usable) {
        console.log(`cgroup v2 is not usable here (${cgroups.reason}): the pool runs without`);
        assert.equal(pool.runner(1)?.cgroup, null);
        return;
      }
      assert.deepEqual(cgroups.slots, [`${cgroups.dir}/slot-1`, `${cgroups.dir}/slot-2`]);
      assert.ok(cgroups.dir.endsWith(`/queuectl-${WORKER}`));
      assert.equal(pool.runner(2)?.cgroup, cgroups.slots[1]);
      const proc = pool.run(await pool.prepare(2), job("cat /proc/self/cgroup"));
      const range = await proc.output;
      assert.ok(slice(range.path, range.start, range.end).endsWith(`/queuectl-${WORKER}/slot-2\n`));
    } finally {
      assert.equal(await pool.close(), null);
    }
    if (cgroups.usable) assert.throws(() => Deno.statSync(cgroups.dir), Deno.errors.NotFound);
  });
});

Deno.test("a pool whose cgroups cannot be joined starts its runners again without them, says why, and runs jobs", async () => {
  await withTempDir(async (dir) => {
    // a /proc whose cgroup2 mount is a plain directory: the slots are made there, but a process
    // cannot join one (writing its cgroup.procs makes a file, and no cgroup.events appears)
    const proc = `${dir}/proc`;
    Deno.mkdirSync(`${proc}/self`, { recursive: true });
    Deno.mkdirSync(`${dir}/cg`);
    Deno.writeTextFileSync(
      `${proc}/self/mountinfo`,
      `30 25 0:26 / ${dir}/cg rw,relatime - cgroup2 cgroup2 rw\n`,
    );
    Deno.writeTextFileSync(`${proc}/self/cgroup`, "0::/\n");
    Deno.mkdirSync(`${dir}/home`);
    const pool = await RunnerPool.start({
      workerId: WORKER,
      slots: 2,
      paths: homePaths(`${dir}/home`),
      proc,
    });
    try {
      assert.deepEqual(pool.cgroups, {
        usable: false,
        reason: `cannot move a process into a cgroup under ${dir}/cg/queuectl-${WORKER}`,
      });
      assert.equal(pool.runner(1)?.cgroup, null);
      assert.equal(pool.runner(2)?.cgroup, null);
      const running = pool.run(await pool.prepare(2), job("echo ran"));
      assert.deepEqual(await running.ended, { kind: "exited", code: 0 });
      const range = await running.output;
      assert.equal(slice(range.path, range.start, range.end), "ran\n");
    } finally {
      assert.equal(await pool.close(), null);
    }
  });
});
