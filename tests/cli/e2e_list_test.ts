/**
 * End-to-end: `list` shows the newest jobs first across every place the store keeps jobs (the
 * live log, archive segments of completed jobs, pending segments of waiting ones), merged in
 * enqueue order by the store; --oldest-first reverses it; --limit keeps the newest (or oldest)
 * and a cut table says so on stderr; filters still apply.
 */
import assert from "node:assert/strict";
import { cli, cliJson, cliOk, expectRefused, refused, withHome } from "../../testkit/mod.ts";

/** Pending segments from two waiting jobs on, so a small home has them. */
const ENV = { QUEUECTL_PENDING_MIN: "2" };
const ids = (jobs: Array<{ id: string }>) => jobs.map((j) => j.id);

Deno.test("list merges live, archived and pending-segment jobs newest first, and --limit keeps the newest", () =>
  withHome(async (home) => {
    const run = (args: string[]) => cliOk(home, args, { env: ENV });
    const json = (args: string[]) => cliJson(home, args, { env: ENV });
    const lines = (prefix: string, n: number, extra: Record<string, unknown> = {}) =>
      Array.from({ length: n }, (_, i) => JSON.stringify({ id: `${prefix}${i}`, command: "true", ...extra }))
        .join("\n") + "\n";
    await cliOk(home, ["enqueue", "--file", "-"], { stdin: lines("a", 10), env: ENV });
    await run(["enqueue", "--id", "d", "--max-retries", "0", "false"]);
    assert.equal((await cli(home, ["worker", "start", "--drain"], { env: ENV })).code, 0);
    await cliOk(home, ["enqueue", "--file", "-", "--delay", "1h"], { stdin: lines("p", 6), env: ENV });
    const compacted = await json(["compact"]);
    assert.equal(compacted.archived, 10, "the completed jobs are in the archive");
    assert.equal(compacted.jobs, 1, "the waiting jobs are in a pending segment, only the dead one is live");
    await run(["enqueue", "--id", "l0", "true"]);
    await run(["enqueue", "--id", "l1", "--queue", "q", "true"]);

    const everything = [
      "l1",
      "l0",
      "p5",
      "p4",
      "p3",
      "p2",
      "p1",
      "p0",
      "d",
      ..."9876543210".split("").map((i) => `a${i}`),
    ];
    assert.deepEqual(ids(await json(["list"])), everything);
    assert.deepEqual(ids(await json(["list", "--oldest-first"])), [...everything].reverse());
    assert.deepEqual(ids(await json(["list", "--limit", "3"])), ["l1", "l0", "p5"]);
    assert.deepEqual(ids(await json(["list", "--limit", "3", "--oldest-first"])), ["a0", "a1", "a2"]);
    assert.deepEqual(ids(await json(["list", "--state", "pending", "--limit", "4"])), [
      "l1",
      "l0",
      "p5",
      "p4",
    ]);
    assert.deepEqual(ids(await json(["list", "--state", "pending", "--oldest-first", "--limit", "2"])), [
      "p0",
      "p1",
    ]);
    assert.deepEqual(ids(await json(["list", "--state", "completed", "--limit", "2"])), ["a9", "a8"]);
    assert.deepEqual(ids(await json(["list", "--queue", "q"])), ["l1"]);
    assert.deepEqual(ids(await json(["list", "--queue", "default", "--state", "dead"])), ["d"]);

    const cut = await cli(home, ["list", "--limit", "3"], { env: ENV });
    assert.equal(cut.code, 0);
    assert.deepEqual(cut.stdout.trimEnd().split("\n").slice(1).map((l) => l.split(/\s+/)[0]), [
      "l1",
      "l0",
      "p5",
    ]);
    assert.equal(cut.stderr, "3 of 19 jobs; --limit to see more (0 for all)\n");
    const cutQueue = await cli(home, ["list", "--queue", "default", "--state", "pending", "--limit", "1"], {
      env: ENV,
    });
    assert.equal(cutQueue.stderr, "1 of 7 pending jobs in queue default; --limit to see more (0 for all)\n");
    assert.equal((await cli(home, ["list", "--limit", "19"], { env: ENV })).stderr, "", "nothing was cut");

    await expectRefused(home, [
      refused(["list", "--oldest-first", "now"], /now/),
      refused(["list", "--newest-first"], /--newest-first/),
      refused(["list", "--limit", "-3"], /--limit/),
    ]);
  }));

Deno.test("the cut note counts in thousands", () =>
  withHome(async (home) => {
    const stdin = Array.from({ length: 1005 }, (_, i) => JSON.stringify({ id: `j${i}`, command: "true" }))
      .join("\n");
    await cliOk(home, ["enqueue", "--file", "-"], { stdin });
    const r = await cli(home, ["list", "--limit", "20"]);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, "20 of 1,005 jobs; --limit to see more (0 for all)\n");
    assert.match(r.stdout, /^ID .*\nj1004 /);
    const dflt = await cli(home, ["list"]);
    assert.equal(dflt.stderr, "1,000 of 1,005 jobs; --limit to see more (0 for all)\n");
  }));
