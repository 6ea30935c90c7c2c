/**
 * The real CLI on a home whose completed jobs compaction moved into the archive: every command
 * still answers about them as before, and the snapshot no longer holds them.
 */
import assert from "node:assert/strict";
import { cli, cliJson, cliOk, withHome } from "../../testkit/mod.ts";

Deno.test("show, logs, list, status, delete and enqueue --id answer for archived jobs as for live ones", () =>
  withHome(async (home) => {
    const jobs = Array.from(
      { length: 30 },
      (_, i) => JSON.stringify({ id: `a${i}`, command: `echo out-${i}` }),
    );
    await cliOk(home, ["enqueue", "--file", "-"], { stdin: jobs.join("\n") + "\n" });
    await cliOk(home, ["enqueue", "--id", "waiting", "--delay", "1h", "echo later"]);
    const run = await cli(home, ["worker", "start", "--drain", "--count", "3"]);
    assert.equal(run.code, 0, run.stderr);
    const compacted = await cliJson(home, ["compact"]);
    assert.equal(compacted.archived, 30);
    assert.equal(compacted.jobs, 1, "only the waiting job stays in the snapshot");

    const shown = await cliJson(home, ["show", "a17"]);
    assert.equal(shown.state, "completed");
    assert.equal(shown.output_tail, "out-17\n");
    assert.match(await cliOk(home, ["logs", "a17"]), /out-17/);
    const status = await cliJson(home, ["status"]);
    assert.equal(status.counts.completed, 30);
    assert.equal(status.counts.pending, 1);

    const newest = await cliJson(home, ["list", "--limit", "2"]);
    assert.deepEqual(newest.map((j: { id: string }) => j.id), ["waiting", "a29"]);
    const oldest = await cli(home, ["list", "--limit", "2", "--oldest-first"]);
    assert.match(oldest.stdout, /^ID .*\na0 .*\na1 .*\n$/);
    assert.equal(oldest.stderr, "2 of 31 jobs; --limit to see more (0 for all)\n");
    const all = await cliJson(home, ["list", "--limit", "0", "--oldest-first"]);
    assert.deepEqual(all.map((j: { id: string }) => j.id), [
      ...Array.from({ length: 30 }, (_, i) => `a${i}`),
      "waiting",
    ]);

    const dup = await cli(home, ["enqueue", "--id", "a5", "echo again"]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^error: Cannot enqueue job "a5": a job with this id already exists/);

    assert.equal((await cli(home, ["delete", "a5"])).code, 0);
    const gone = await cli(home, ["show", "a5"]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /Cannot show job "a5": no such job/);
    assert.equal((await cliJson(home, ["status"])).counts.completed, 29);
    assert.equal(
      (await cli(home, ["enqueue", "--id", "a5", "echo again"])).code,
      0,
      "a deleted id is free again",
    );
    assert.equal((await cliJson(home, ["show", "a5"])).state, "pending");

    const doctor = await cliJson(home, ["doctor"]);
    assert.equal(doctor.ok, true);
    assert.equal(doctor.jobs, 31);
  }));
