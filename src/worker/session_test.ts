import assert from "node:assert/strict";
import { killSession, signalSession } from "./session.ts";
import { Lines } from "./lines.ts";
import {
  killNaming,
  marker,
  pidsNaming,
  processAlive,
  statOf,
  untilRunning,
  waitFor,
  withCgroup,
  withTempDir,
} from "./_testing.ts";

/**
 * Starts a runner from a child Deno process (a worker) running `command`, then kills that
 * process with SIGKILL: its runner and job are orphans. Returns the runner's identity.
 */
async function orphan(dir: string, command: string, cgroup: string | null) {
  const worker = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("./testdata/orphan_runner.ts", import.meta.url).pathname,
      cgroup ?? "",
      command,
      `${dir}/out`,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = new Lines(worker.stdout);
  const line = await lines.next();
  worker.kill("SIGKILL");
  await worker.status;
  await lines.close();
  assert.ok(line, "the worker reported its runner");
  return JSON.parse(line) as { pid: number; startTime: number };
}

Deno.test("killSession() kills a runner whose worker died, and its orphaned job", async () => {
  await withTempDir(async (dir) => {
    const mark = marker();
    try {
      const runner = await orphan(dir, `sleep ${mark} & timeout 300 sleep ${mark}`, null);
      await untilRunning(mark, 2);
      assert.ok(processAlive(runner.pid), "the runner waits for its job");
      // the runner, the job's shell, its sleep, timeout and timeout's sleep
      assert.deepEqual(await killSession(runner.pid, runner.startTime, null), { kind: "killed", count: 5 });
      assert.deepEqual(pidsNaming(mark), []);
      assert.equal(processAlive(runner.pid), false);
    } finally {
      killNaming(mark);
    }
  });
});

Deno.test("a runner whose worker died exits once its job has ended, and runs nothing more", async () => {
  await withTempDir(async (dir) => {
    const mark = marker();
    try {
      const runner = await orphan(
        dir,
        `sleep ${mark} & while [ ! -e '${dir}/go' ]; do sleep 0.01; done`,
        null,
      );
      await untilRunning(mark);
      assert.ok(processAlive(runner.pid), "the runner waits for its job");
      Deno.writeTextFileSync(`${dir}/go`, "");
      await waitFor(() => !processAlive(runner.pid), "the runner to exit");
      assert.deepEqual(
        pidsNaming(mark, true).length,
        1,
        "the job's leftover of a success runs on (no cgroup)",
      );
    } finally {
      killNaming(mark);
    }
  });
});

Deno.test("killSession() kills an orphaned job's `setsid` daemon through its cgroup where cgroup v2 is usable; without one the daemon escapes (documented)", async () => {
  await withCgroup(async (cgroup, why) => {
    if (cgroup === null) console.log(`cgroup v2 is not usable here (${why}): asserting the limit instead`);
    await withTempDir(async (dir) => {
      const mark = marker();
      try {
        const runner = await orphan(dir, `setsid sleep ${mark} & sleep ${mark}`, cgroup);
        const pids = await untilRunning(mark, 2);
        const daemon = pids.find((pid) => statOf(pid).session === pid);
        assert.ok(daemon, "one left the session");
        assert.equal((await killSession(runner.pid, runner.startTime, cgroup)).kind, "killed");
        assert.deepEqual(pidsNaming(mark, true), cgroup === null ? [daemon] : []);
      } finally {
        killNaming(mark);
      }
    });
  });
});

Deno.test("killSession() leaves alone a session whose leader's start time differs (a reused pid)", async () => {
  const mark = marker();
  // a session leader of its own, like a runner: setsid(1) makes the sleep one
  const stranger = new Deno.Command("setsid", { args: ["sleep", mark], stdout: "null", stderr: "null" })
    .spawn();
  try {
    const [pid] = await untilRunning(mark);
    const { session, start } = statOf(pid);
    assert.equal(session, pid);
    assert.deepEqual(await killSession(pid, start + 1, null), { kind: "stranger" });
    assert.ok(processAlive(pid), "the stranger still runs");
    assert.deepEqual(await killSession(pid, start, null), { kind: "killed", count: 1 });
    assert.equal(processAlive(pid), false);
  } finally {
    killNaming(mark);
    await stranger.status;
  }
});

Deno.test("killSession() of a session that is gone kills nothing", async () => {
  assert.deepEqual(await killSession(2 ** 22 + 12345, 1, null), { kind: "killed", count: 0 });
});

Deno.test("signalSession() spares the session leader, and without /proc says it found nothing", async () => {
  const mark = marker();
  const apart = marker();
  const leaderMark = marker();
  // the leader (as a runner would be) is `sleep leaderMark`, ignoring SIGTERM as a runner does;
  // its session holds `sleep mark` in its process group, and a `sleep apart` that perl put in a
  // group of its own (setpgrp, as GNU timeout does, without a child to pass the signal on to)
  const leader = new Deno.Command("setsid", {
    args: [
      "sh",
      "-c",
      `trap '' TERM; (trap - TERM; perl -e 'setpgrp(0, 0); exec "sleep", "${apart}"' & exec sleep ${mark}) & ` +
      `exec sleep ${leaderMark}`,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const [sleep] = await untilRunning(mark);
    const [away] = await untilRunning(apart);
    const [session] = await untilRunning(leaderMark);
    assert.equal(statOf(sleep).session, session);
    assert.equal(statOf(sleep).pgrp, session);
    assert.notEqual(statOf(away).pgrp, session);
    assert.equal(await signalSession(session, "SIGTERM", null, "/nonexistent-proc"), null);
    assert.ok(processAlive(sleep));
    // the group in one kill, the scan for what is outside it
    assert.equal(await signalSession(session, "SIGTERM", null), 1, "the sleep outside the group");
    await untilRunning(mark, 0);
    await untilRunning(apart, 0);
    assert.ok(processAlive(session), "the leader is spared");
  } finally {
    killNaming(mark);
    killNaming(apart);
    killNaming(leaderMark);
    await leader.status;
  }
});
