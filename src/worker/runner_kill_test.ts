import assert from "node:assert/strict";
import { Runner, type RunnerOptions } from "./runner.ts";
import {
  killNaming,
  marker,
  pidsNaming,
  slice,
  spec,
  statOf,
  untilRunning,
  waitFor,
  withCgroup,
  withTempDir,
} from "./_testing.ts";

/** Runs `body` with a runner (and whatever options), closed and cleaned up afterwards. */
async function withRunner(
  body: (runner: Runner, dir: string) => Promise<void>,
  options: RunnerOptions = {},
): Promise<void> {
  await withTempDir(async (dir) => {
    const runner = await Runner.start(options);
    try {
      await body(runner, dir);
    } finally {
      await runner.close();
    }
  });
}

/**
 * A job that starts `background`, waits for the file `<dir>/go` (the test creates it once it
 * has seen what it started), then runs `then`.
 */
function gated(dir: string, background: string, then: string): string {
  return `${background}\nwhile [ ! -e '${dir}/go' ]; do sleep 0.01; done\n${then}`;
}

/**
 * Starts `command` (which must start `count` processes naming `mark`), kills the job, and
 * asserts that it ended by SIGTERM and that none of them is left.
 */
async function killReaches(runner: Runner, dir: string, command: string, mark: string, count: number) {
  try {
    const job = runner.run(spec(dir, command));
    const pids = await untilRunning(mark, count);
    await job.kill();
    const ended = await job.ended;
    assert.equal(ended.kind, "signaled", JSON.stringify(ended));
    assert.deepEqual(pidsNaming(mark), [], "no process of the job is left");
    return pids;
  } finally {
    killNaming(mark);
  }
}

Deno.test("kill() reaches the job's own process", async () => {
  await withRunner(async (runner, dir) => {
    const mark = marker();
    await killReaches(runner, dir, `sleep ${mark}`, mark, 1);
  });
});

Deno.test("kill() reaches a grandchild of the job", async () => {
  await withRunner(async (runner, dir) => {
    const mark = marker();
    await killReaches(runner, dir, `sh -c 'sleep ${mark} & wait' & wait`, mark, 1);
  });
});

Deno.test("kill() reaches the children of GNU timeout, which leaves the runner's process group", async () => {
  await withRunner(async (runner, dir) => {
    const mark = marker();
    const job = runner.run(spec(dir, `timeout 300 sleep ${mark}`));
    try {
      const [sleep] = await untilRunning(mark);
      assert.notEqual(statOf(sleep).pgrp, runner.pid, "timeout gave itself and its child a process group");
      assert.equal(statOf(sleep).session, runner.pid, "but stays in the runner's session");
      await job.kill();
      assert.equal((await job.ended).kind, "signaled");
      assert.deepEqual(pidsNaming(mark), []);
    } finally {
      killNaming(mark);
    }
  });
});

Deno.test("kill() reaches a job of `bash -c 'set -m; ...'`, in a process group of its own", async () => {
  await withRunner(async (runner, dir) => {
    const mark = marker();
    const job = runner.run(spec(dir, `bash -c 'set -m; sleep ${mark} & wait'`));
    try {
      const [sleep] = await untilRunning(mark);
      assert.equal(statOf(sleep).pgrp, sleep, "the sleep leads a process group");
      await job.kill();
      assert.equal((await job.ended).kind, "signaled");
      assert.deepEqual(pidsNaming(mark), []);
    } finally {
      killNaming(mark);
    }
  });
});

Deno.test("kill() sends SIGKILL after the grace period to a job that ignores SIGTERM", async () => {
  await withRunner(async (runner, dir) => {
    const mark = marker();
    const job = runner.run(spec(dir, `trap '' TERM; sleep ${mark} & wait`));
    try {
      await untilRunning(mark);
      await job.kill(200);
      assert.deepEqual(await job.ended, { kind: "signaled", signal: "SIGKILL", code: 137 });
      assert.deepEqual(pidsNaming(mark), []);
    } finally {
      killNaming(mark);
    }
  });
});

Deno.test("kill() of a job not started yet still reaches it once it starts", async () => {
  await withRunner(async (runner, dir) => {
    const mark = marker();
    try {
      const job = runner.run(spec(dir, `sleep ${mark}`));
      const killed = job.kill(); // before the runner has even read the spec
      assert.equal((await job.ended).kind, "signaled");
      await killed;
      assert.deepEqual(pidsNaming(mark), []);
    } finally {
      killNaming(mark);
    }
  });
});

Deno.test("a runner survives the kill of its job and runs the next one", async () => {
  await withRunner(async (runner, dir) => {
    const mark = marker();
    await killReaches(runner, dir, `sleep ${mark}`, mark, 1);
    const next = runner.run(spec(dir, "echo next"));
    assert.deepEqual(await next.ended, { kind: "exited", code: 0 });
    const range = await next.output;
    assert.equal(Deno.readTextFileSync(range.path).slice(range.start), "next\n");
    assert.ok(runner.alive);
  });
});

/** Pids of the live processes whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === pid && fields[0] !== "Z") found.push(Number(entry.name));
    } catch { /* it ended meanwhile */ }
  }
  return found;
}

Deno.test("between jobs, the next job's shell already waits in the slot's cgroup, and the next job runs in it", async () => {
  await withCgroup(async (cgroup, why) => {
    if (cgroup === null) {
      console.log(`cgroup v2 is not usable here (${why}): asserting the waiting shell only`);
    }
    await withRunner(async (runner, dir) => {
      assert.deepEqual(await runner.run(spec(dir, "true")).ended, { kind: "exited", code: 0 });
      let waiting: number[] = [];
      await waitFor(() => (waiting = childrenOf(runner.pid)).length === 1, "the runner's waiting shell");
      if (cgroup !== null) {
        await waitFor(
          () => Deno.readTextFileSync(`${cgroup}/cgroup.procs`).trim() === String(waiting[0]),
          "the waiting shell to be the only process of the slot's cgroup",
        );
      }
      // the job's shell execs its command: `$$` of `sh -c` is that shell's pid
      const next = runner.run(spec(dir, "echo $$"));
      assert.deepEqual(await next.ended, { kind: "exited", code: 0 });
      const out = await next.output;
      assert.equal(
        slice(out.path, out.start, out.end),
        `${waiting[0]}\n`,
        "the job's shell is the one that waited",
      );
    }, { cgroup });
  });
});

Deno.test("a kill's late signals between jobs reach only the waiting shell, which ignores them: the next job runs", async () => {
  await withRunner(async (runner, dir) => {
    assert.deepEqual(await runner.run(spec(dir, "true")).ended, { kind: "exited", code: 0 });
    await waitFor(() => childrenOf(runner.pid).length === 1, "the runner's waiting shell");
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
      for (const pid of childrenOf(runner.pid)) Deno.kill(pid, signal);
    }
    const next = runner.run(spec(dir, "echo next"));
    assert.deepEqual(await next.ended, { kind: "exited", code: 0 });
    const range = await next.output;
    assert.equal(Deno.readTextFileSync(range.path).slice(range.start), "next\n");
  });
});

Deno.test("a runner whose waiting shell is killed ends, and a job sent to it then is not started and runs nothing", async () => {
  await withRunner(async (runner, dir) => {
    assert.deepEqual(await runner.run(spec(dir, "true")).ended, { kind: "exited", code: 0 });
    let waiting: number[] = [];
    await waitFor(() => (waiting = childrenOf(runner.pid)).length === 1, "the runner's waiting shell");
    Deno.kill(waiting[0], "SIGKILL");
    await runner.lost;
    assert.equal(runner.alive, false);
    const late = runner.run(spec(dir, `touch '${dir}/ran'`));
    assert.deepEqual(await late.ended, {
      kind: "not_started",
      reason: "its slot's runner shell ended before the job could start",
      fault: "worker",
    });
    assert.throws(() => Deno.statSync(`${dir}/ran`), Deno.errors.NotFound);
  });
});

Deno.test("after a failed exit the job's leftovers are killed before the end is reported, even outside its group", async () => {
  await withRunner(async (runner, dir) => {
    const mark = marker();
    try {
      const job = runner.run(spec(dir, gated(dir, `sleep ${mark} & timeout 300 sleep ${mark} &`, "exit 1")));
      await untilRunning(mark, 2);
      Deno.writeTextFileSync(`${dir}/go`, "");
      assert.deepEqual(await job.ended, { kind: "exited", code: 1 });
      assert.deepEqual(pidsNaming(mark), []);
    } finally {
      killNaming(mark);
    }
  });
});

Deno.test("without a cgroup, leftovers of a successful job are not looked for (documented)", async () => {
  await withRunner(async (runner, dir) => {
    const mark = marker();
    try {
      const job = runner.run(spec(dir, gated(dir, `sleep ${mark} &`, "exit 0")));
      await untilRunning(mark);
      Deno.writeTextFileSync(`${dir}/go`, "");
      assert.deepEqual(await job.ended, { kind: "exited", code: 0 });
      assert.equal(pidsNaming(mark, true).length, 1, "the leftover still runs");
    } finally {
      killNaming(mark);
    }
  });
});

Deno.test("with a usable cgroup, kill() reaches a `setsid` daemon of the job; without one, the daemon escapes (the documented limit)", async () => {
  await withCgroup(async (cgroup, why) => {
    if (cgroup === null) console.log(`cgroup v2 is not usable here (${why}): asserting the limit instead`);
    await withRunner(async (runner, dir) => {
      const mark = marker();
      const job = runner.run(spec(dir, `setsid sleep ${mark} & sleep ${mark}`));
      try {
        const pids = await untilRunning(mark, 2);
        const daemon = pids.find((pid) => statOf(pid).session === pid)!;
        assert.ok(daemon, "one sleep left the runner's session");
        if (cgroup !== null) {
          assert.match(
            Deno.readTextFileSync(`/proc/${daemon}/cgroup`),
            new RegExp(`${cgroup.split("/").slice(-2).join("/")}\n`),
          );
        }
        await job.kill();
        assert.equal((await job.ended).kind, "signaled");
        if (cgroup !== null) assert.deepEqual(pidsNaming(mark), []);
        else assert.deepEqual(pidsNaming(mark, true), [daemon], "only the daemon outlives the kill");
      } finally {
        killNaming(mark);
      }
    }, { cgroup });
  });
});

Deno.test("with a usable cgroup, what a successful job leaves running is killed when it ends; without one it runs on (documented)", async () => {
  await withCgroup(async (cgroup, why) => {
    if (cgroup === null) console.log(`cgroup v2 is not usable here (${why}): asserting the limit instead`);
    await withRunner(async (runner, dir) => {
      const mark = marker();
      try {
        const job = runner.run(spec(dir, gated(dir, `setsid sleep ${mark} & sleep ${mark} &`, "exit 0")));
        await untilRunning(mark, 2);
        Deno.writeTextFileSync(`${dir}/go`, "");
        assert.deepEqual(await job.ended, { kind: "exited", code: 0 });
        if (cgroup !== null) assert.deepEqual(pidsNaming(mark), []);
        else assert.equal(pidsNaming(mark, true).length, 2, "both leftovers run on");
      } finally {
        killNaming(mark);
      }
    }, { cgroup });
  });
});

Deno.test("without /proc, kill() signals the runner's process group, and its SIGKILL takes the runner too", async () => {
  await withRunner(async (runner, dir) => {
    assert.equal(runner.startTime, null);
    const mark = marker();
    try {
      const first = runner.run(spec(dir, `sleep ${mark}`));
      assert.equal(await first.started, true);
      await untilRunning(mark);
      await first.kill();
      assert.deepEqual(await first.ended, { kind: "signaled", signal: "SIGTERM", code: 143 });
      assert.ok(runner.alive, "the runner ignores SIGTERM");
      const second = runner.run(spec(dir, `trap '' TERM; sleep ${mark}`));
      await untilRunning(mark);
      await second.kill(100);
      assert.deepEqual(await second.ended, { kind: "runner_lost" });
      assert.equal(runner.alive, false, "the runner must be replaced");
      // without /proc nothing can tell when the group is gone: its end is not awaited
      await waitFor(() => pidsNaming(mark).length === 0, "the job's processes to die");
    } finally {
      killNaming(mark);
    }
  }, { proc: "/nonexistent-proc" });
});

/** Makes the kernel give the next new process the first free pid above `pid` (root only). */
function nextPidAbove(pid: number): void {
  Deno.writeTextFileSync("/proc/sys/kernel/ns_last_pid", String(pid));
}

for (const inCgroup of [false, true]) {
  Deno.test(
    `kill() ends a job's shell with its children, even where theirs sort first (${
      inCgroup ? "cgroup" : "session"
    })`,
    async () => {
      // Pids wrap around at pid_max, and cross from one number of digits to the next: a child's
      // pid can sort before its shell's, in number or in text (a /proc glob). Signalled one by one
      // in that order, a child died first and its shell, not yet signalled, ran its next command.
      // Here the job's shell gets a pid near pid_max and its 301 children pids from 1001: before
      // the TERM went to the runner's process group first, the session scan failed this 5 times
      // in 5 (the shell wrote `after`). A cgroup lists the shell first, which joined it first.
      const pidMax = Number(Deno.readTextFileSync("/proc/sys/kernel/pid_max").trim());
      await withCgroup(async (cgroup, why) => {
        if (inCgroup && cgroup === null) console.log(`cgroup v2 is not usable here (${why}): session only`);
        await withTempDir(async (dir) => {
          const fifo = `${dir}/fifo`;
          assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
          nextPidAbove(pidMax - 3000);
          const runner = await Runner.start(inCgroup ? { cgroup } : {});
          const mark = marker();
          try {
            const job = runner.run(spec(
              dir,
              `echo $$ > '${dir}/shell'; read _ < '${fifo}'\n` +
                `sleep ${mark} & first=$!\n` +
                `i=0; while [ $i -lt 300 ]; do sleep ${mark} & i=$((i + 1)); done\n` +
                `wait $first; echo ran on > '${dir}/after'`,
            ));
            await waitFor(() => readOr(`${dir}/shell`) !== "", "the job's shell to write its pid");
            const shell = Number(readOr(`${dir}/shell`));
            nextPidAbove(1000);
            Deno.writeTextFileSync(fifo, "go\n");
            const children = await untilRunning(mark, 301);
            const first = Math.min(...children);
            assert.ok(
              first < shell && `/proc/${first}/stat` < `/proc/${shell}/stat`,
              `the first child (${first}) sorts before its shell (${shell}), in number and in text`,
            );
            await job.kill();
            assert.equal((await job.ended).kind, "signaled");
            assert.equal(readOr(`${dir}/after`), "", "the shell ran nothing after its child died");
            assert.deepEqual(pidsNaming(mark), []);
          } finally {
            killNaming(mark);
            await runner.close();
          }
        });
      });
    },
  );
}

/** A file's text, or "" when it cannot be read. */
function readOr(path: string): string {
  try {
    return Deno.readTextFileSync(path).trim();
  } catch {
    return "";
  }
}
