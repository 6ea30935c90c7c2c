/**
 * Regression (found by `deno task torture`, kill step, seed 20261123 trial 200: `list` failed
 * with "Store file archive-00000002.jobs is corrupt at open: the file is missing"). A process
 * that read a seal whose snapshot did not exist yet (its compactor was killed after sealing)
 * later writes, after another writer has completed that compaction. It must reload from the
 * snapshot that writer wrote; instead it "completed" the compaction from its own stale state
 * and removed the archive segment the snapshot names, as one its state does not name.
 */
import assert from "node:assert/strict";
import { FileStore } from "../../src/store/file_store.ts";
import { exists } from "../../src/durable.ts";
import { cli, cliOk, configure, withHome } from "../../testkit/mod.ts";

Deno.test("a process that saw a crashed compactor's seal keeps the archive another writer completed", () =>
  withHome(async (home) => {
    const stale = new FileStore(home);
    try {
      await configure(home, { "backoff-base": 1 });
      for (const id of ["a", "b", "c"]) await cliOk(home, ["enqueue", "--id", id, "true"]);
      await cliOk(home, ["worker", "start", "--drain"]);
      assert.equal((await stale.counts()).completed, 3);

      // a compactor dies right after its seal: the snapshot of generation 2 is not written
      const crashed = await cli(home, ["compact"], { env: { QUEUECTL_CRASH_AT: "sealed" } });
      assert.equal(crashed.code, 137, crashed.stderr);
      // the long-lived process reads past that seal (a reader cannot complete the compaction)
      assert.equal((await stale.counts()).completed, 3);
      // another writer completes it: the completed jobs go to an archive segment snapshot 2 names
      await cliOk(home, ["enqueue", "--id", "d", "true"]);
      const segment = stale.log.paths.archiveJobs(1);
      assert.ok(exists(segment), "the completing writer archived the completed jobs");

      // the long-lived process writes
      await stale.enqueue([{ id: "e", command: "true" }], { max_retries: 0 });

      assert.ok(exists(segment), "the archive segment named by the newest snapshot is still there");
      const listed = JSON.parse(await cliOk(home, ["list", "--limit", "0", "--json"])) as Array<
        { id: string }
      >;
      assert.deepEqual(listed.map((j) => j.id).sort(), ["a", "b", "c", "d", "e"]);
      const doctor = JSON.parse(await cliOk(home, ["doctor", "--json"])) as { ok: boolean };
      assert.equal(doctor.ok, true);
    } finally {
      stale.close();
    }
  }));

Deno.test("a process that saw a crashed compactor's seal does not revive that generation after later compactions", () =>
  withHome(async (home) => {
    const stale = new FileStore(home);
    try {
      await configure(home, { "backoff-base": 1 });
      for (const id of ["a", "b", "c"]) await cliOk(home, ["enqueue", "--id", id, "true"]);
      await cliOk(home, ["worker", "start", "--drain"]);
      assert.equal((await stale.counts()).completed, 3);
      const crashed = await cli(home, ["compact"], { env: { QUEUECTL_CRASH_AT: "sealed" } });
      assert.equal(crashed.code, 137, crashed.stderr);
      assert.equal((await stale.counts()).completed, 3);
      // another writer completes generation 2; then more work and a compaction to generation 3
      await cliOk(home, ["enqueue", "--id", "d", "true"]);
      await cliOk(home, ["worker", "start", "--drain"]);
      await cliOk(home, ["compact"]);
      assert.ok(!exists(stale.log.paths.snapshot(2)), "generation 2 is gone");

      await stale.enqueue([{ id: "e", command: "true" }], { max_retries: 0 });

      assert.ok(!exists(stale.log.paths.snapshot(2)), "the dead generation 2 is not written again");
      const listed = JSON.parse(await cliOk(home, ["list", "--limit", "0", "--json"])) as Array<
        { id: string }
      >;
      assert.deepEqual(listed.map((j) => j.id).sort(), ["a", "b", "c", "d", "e"]);
      const doctor = JSON.parse(await cliOk(home, ["doctor", "--json"])) as { ok: boolean };
      assert.equal(doctor.ok, true);
    } finally {
      stale.close();
    }
  }));
