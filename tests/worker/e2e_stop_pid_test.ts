/**
 * End-to-end: `worker stop --pid N` stops only the worker of the home running as N (the form a
 * systemd unit's ExecStop uses with $MAINPID), leaving the home's other workers running.
 */
import assert from "node:assert/strict";
import {
  type Background,
  cli,
  cliJson,
  spawnCli,
  stopBackground,
  untilOutput,
  withHome,
  workerIdOf,
} from "../../testkit/mod.ts";

Deno.test("worker stop --wait --pid stops that worker only; another pid stops nothing (exit 1); a bad pid exits 2", () =>
  withHome(async (home) => {
    const workers: Background[] = [];
    try {
      const a = spawnCli(home, ["worker", "start"]);
      const b = spawnCli(home, ["worker", "start"]);
      workers.push(a, b);
      await untilOutput(a, /started with/);
      await untilOutput(b, /started with/);

      const none = await cli(home, ["worker", "stop", "--pid", String(Deno.pid)]);
      assert.equal(none.code, 1, none.stderr);
      assert.equal(none.stdout, "");
      assert.equal(
        none.stderr,
        `error: Cannot stop the worker: no worker of this home runs as pid ${Deno.pid}\n`,
      );
      for (const bad of ["0", "x", "-3"]) {
        const r = await cli(home, ["worker", "stop", "--pid", bad]);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /--pid/);
      }
      assert.equal((await cliJson(home, ["worker", "list"])).length, 2);

      const stop = await cli(home, ["worker", "stop", "--wait", "--pid", String(a.pid)]);
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stdout, new RegExp(`asked 1 worker\\(s\\) to stop: ${workerIdOf(a)}\\n`));
      assert.match(stop.stdout, /all 1 worker\(s\) have stopped/);
      assert.equal(await a.exited(), 0, a.output());
      assert.match(a.output(), /stopping \(SIGTERM\)/);
      const left = await cliJson(home, ["worker", "list"]);
      assert.deepEqual(left.map((w: { pid: number; stopping: boolean }) => [w.pid, w.stopping]), [[
        b.pid,
        false,
      ]]);
    } finally {
      for (const w of workers) await stopBackground(w);
    }
  }));
