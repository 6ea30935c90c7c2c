/**
 * End-to-end: `worker start --detach` runs a worker in a session of its own, logging to
 * workers/<id>.log in the home, and returns once it is registered; `worker list` shows it with
 * its log; `worker stop --wait` stops it. A worker that dies before it registers is reported with
 * the end of its log. Bad combinations are refused before anything starts.
 */
import assert from "node:assert/strict";
import {
  cli,
  cliJson,
  cliOk,
  exists,
  processAlive,
  untilState,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";

interface Started {
  id: string;
  pid: number;
  log: string;
  home: string;
}

/** Fields 6 (session) and 7 (controlling terminal) of /proc/<pid>/stat. */
function sessionAndTty(pid: number): { session: number; tty: number } {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { session: Number(fields[3]), tty: Number(fields[4]) };
}

function killAll(pids: number[]): void {
  for (const pid of pids) if (processAlive(pid)) Deno.kill(pid, "SIGKILL");
}

Deno.test("worker start --detach returns once the worker is registered; it is listed with its log, runs jobs, and worker stop --wait stops it", () =>
  withHome(async (home) => {
    const pids: number[] = [];
    try {
      const first = await cliJson<Started>(home, ["worker", "start", "--detach"]);
      pids.push(first.pid);
      assert.match(first.id, /^w-/);
      assert.equal(first.home, home);
      assert.equal(first.log, `${home}/workers/${first.id}.log`);
      assert.equal(processAlive(first.pid), true);
      assert.deepEqual(
        sessionAndTty(first.pid),
        { session: first.pid, tty: 0 },
        "its own session, no terminal",
      );

      const text = await cli(home, ["worker", "start", "--detach", "--count", "2"]);
      assert.equal(text.code, 0, text.stderr);
      const said = /^started worker (w-\S+) in the background \(pid (\d+)\), logging to (\S+)\n$/.exec(
        text.stdout,
      );
      assert.ok(said, text.stdout);
      pids.push(Number(said[2]));
      assert.equal(said[3], `${home}/workers/${said[1]}.log`);

      const listed = await cliJson(home, ["worker", "list"]);
      assert.deepEqual(
        listed.map((w: Started & { slots: number }) => [w.id, w.pid, w.slots, w.log]).sort(),
        [[first.id, first.pid, 1, first.log], [said[1], Number(said[2]), 2, said[3]]].sort(),
      );
      assert.match(
        await cliOk(home, ["worker", "list"]),
        new RegExp(`${first.id} runs detached, logging to ${first.log}`),
      );

      await cliOk(home, [
        "enqueue",
        "--id",
        "a",
        'echo "hello from a [$QUEUECTL_DETACHED_LOG] $QUEUECTL_HOME"',
      ]);
      await untilState(home, "a", "completed");
      // the variable that named the worker's log to it is not passed on to jobs
      assert.match(await cliOk(home, ["logs", "a"]), new RegExp(`hello from a \\[\\] ${home}\n`));

      const stop = await cli(home, ["worker", "stop", "--wait"]);
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stdout, /all 2 worker\(s\) have stopped/);
      for (const pid of pids) await waitFor(() => !processAlive(pid), `worker ${pid} to exit`);
      assert.deepEqual(await cliJson(home, ["worker", "list"]), []);

      const log = Deno.readTextFileSync(first.log);
      assert.match(log, new RegExp(`${first.id} started with 1 slot\\(s\\), pid ${first.pid}`));
      assert.match(log, /stopping \(worker stop was requested\)/);
      assert.match(log, new RegExp(`${first.id} stopped`));
      const ran = Deno.readTextFileSync(first.log) + Deno.readTextFileSync(said[3]);
      assert.match(ran, /claimed a \(attempt 1 of 4\)/);
      assert.match(ran, /completed a/);
    } finally {
      killAll(pids);
    }
  }));

Deno.test("worker start --detach with --drain, --json without --detach, or a bad --count exits 2 before anything starts", () =>
  withHome(async (home) => {
    for (
      const [args, said] of [
        [["--detach", "--drain"], /^error: Cannot start a worker with --detach and --drain: /],
        [["--json"], /^error: Cannot start a worker with --json: only --detach prints a result/],
        [["--detach", "--count", "0"], /count/],
      ] as const
    ) {
      const r = await cli(home, ["worker", "start", ...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, said);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.equal(r.stdout, "");
    }
    assert.equal(exists(home), false, "nothing was written");
  }));

Deno.test("worker start --detach reports a worker that dies before it registers, with the end of its log", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "a", "true"]);
    await cliOk(home, ["enqueue", "--id", "b", "true"]);
    // damage the first record: the worker's first read of the store fails
    const wal = `${home}/wal-00000001.jsonl`;
    Deno.writeTextFileSync(wal, Deno.readTextFileSync(wal).replace('"id":"a"', '"id":"#"'));

    const r = await cli(home, ["worker", "start", "--detach"]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, "");
    const [first, ...tail] = r.stderr.trim().split("\n");
    assert.match(
      first,
      new RegExp(
        `^error: Cannot start a detached worker: it exited with code 1 before it registered; the end of its log ${home}/workers/starting-\\S+\\.log:$`,
      ),
    );
    assert.match(tail.join("\n"), /^ {2}error: Store file wal-00000001\.jsonl is corrupt at line 1/);
    assert.deepEqual(await cliJson(home, ["worker", "list"]), []);
  }));
