/**
 * Regression (issue 13 #5): a job enqueued to run now carried `run_at` = its enqueue time, so after
 * the wall clock stepped back an hour it waited an hour, and jobs enqueued later overtook it. A job
 * enqueued without --run-at or --delay now has `run_at` null: as soon as possible, whatever the
 * wall clock does. End to end: enqueued by a CLI whose clock is an hour ahead (libfaketime), run
 * by a worker on the real clock, which first sees the job after the step.
 */
import assert from "node:assert/strict";
import { cli, cliJson, cliOk, withHome } from "../../testkit/mod.ts";
import { steppedClock } from "../../testkit/faketime.ts";

Deno.test("a job enqueued 'now' an hour before the clock stepped back runs at once, before later jobs", async () => {
  const clock = await steppedClock();
  try {
    await withHome(async (home) => {
      clock.step(3600);
      await cliOk(home, ["enqueue", "--id", "early", "true"], { env: clock.env });
      const early = await cliJson(home, ["show", "early"]);
      assert.equal(early.run_at, null);
      assert.ok(Date.parse(early.created_at) > Date.now() + 3000_000, "the CLI's clock was an hour ahead");
      // the clock stepped back: now on the real one, a later job, then a worker that drains
      await cliOk(home, ["enqueue", "--id", "later", "true"]);
      const drain = await cli(home, ["worker", "start", "--drain"]);
      assert.equal(drain.code, 0, drain.stderr);
      const jobs = await cliJson<Array<{ id: string; state: string; started_at: string }>>(home, ["list"]);
      assert.deepEqual(jobs.map((j) => [j.id, j.state]).sort(), [["early", "completed"], [
        "later",
        "completed",
      ]]);
      assert.match(
        drain.stdout + drain.stderr,
        /claimed early[\s\S]*claimed later/,
        "early was claimed first",
      );
    });
  } finally {
    clock.dispose();
  }
});
