/**
 * Regression (found by the live-repair torture step, where it happened without any repair): a
 * worker's rescuer takes back a job of its own that it no longer runs (its end could not be
 * recorded, or the list of processing jobs it was walking is older than the slot's next claim), and
 * first killed the attempt's session, as it does for a dead worker's jobs. But that session is the
 * worker's own slot runner, which by then runs the slot's next job: that job was killed, its runner
 * lost, and the attempt recorded "worker lost" (dead, for a job without retries) though it ran fine.
 * An attempt of our own that we no longer run has ended already: there is nothing of it to kill.
 */
import assert from "node:assert/strict";
import { systemClock } from "../../src/clock.ts";
import { DEFAULT_CONFIG } from "../../src/config.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { homePaths } from "../../src/store/paths.ts";
import { killNaming, marker, pidsNaming, untilRunning } from "../../src/worker/_testing.ts";
import { RunnerPool } from "../../src/worker/pool.ts";
import { Rescuer } from "../../src/worker/rescuer.ts";
import { withHome } from "../../testkit/mod.ts";

Deno.test("a rescuer taking back a job of its own it no longer runs kills nothing: its slot's runner runs the next job", () =>
  // the home exists: a worker's pool never creates it (a worker started in a home that is gone stops)
  withHome(async (home) => {
    const paths = homePaths(home);
    const store = new FileStore(home);
    const pool = await RunnerPool.start({ workerId: "w-self", slots: 1, paths, cgroups: false });
    const mark = marker();
    try {
      await store.enqueue([{ id: "old", command: "true" }, { id: "next", command: `sleep ${mark}` }], {
        max_retries: 0,
      });
      const ticket = await pool.prepare(1);
      const slot = {
        sid: [ticket.runner.sessionId, ticket.runner.startTime] as [number, number | null],
        out: null,
      };
      // "old" claimed in the slot; its end is never recorded (a full disk, say): the worker gave it up
      const [old] = await store.claim({ worker: "w-self", slots: [slot], leaseSeconds: 60 });
      assert.equal(old.id, "old");
      // the slot runs its next job meanwhile, in the same runner
      const [next] = await store.claim({ worker: "w-self", slots: [slot], leaseSeconds: 60 });
      assert.equal(next.id, "next");
      const running = pool.run(await pool.prepare(1), {
        id: "next",
        attempt: 1,
        command: next.command,
        cwd: null,
        env: {},
      });
      await untilRunning(mark);

      const rescuer = new Rescuer({
        store,
        paths,
        clock: systemClock,
        config: () => DEFAULT_CONFIG,
        liveness: { lock: () => "held", process: () => Promise.resolve(null) },
        self: "w-self",
        runs: (job) => job.id === "next",
        say: () => {},
      });
      assert.equal(await rescuer.pass(true), 1, "the job it gave up is taken back");
      assert.equal((await store.get("old"))?.last_error, "worker lost");
      assert.equal(pidsNaming(mark, true).length, 1, "the slot's next job still runs");
      assert.equal(pool.runner(1)?.alive, true, "and so does its runner");
      assert.equal((await store.get("next"))?.state, "processing");
      killNaming(mark);
      await running.ended;
    } finally {
      killNaming(mark);
      await pool.close();
      store.close();
    }
  }, { create: true }));
