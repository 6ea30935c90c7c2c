/**
 * A store builds its map of dependents from the jobs that may still run (a history of ended ones
 * stays unparsed); a compaction must still keep live every job that any job, of any state, names
 * in `after`: a dead dependent may be retried, and a job that waits in a pending segment is not
 * seen by the check that holds a dependent back until its dependencies complete.
 */
import assert from "node:assert/strict";
import { FileStore } from "../../src/store/file_store.ts";
import { withHome } from "../../testkit/mod.ts";
import { claimFor } from "../../testkit/store.ts";

const LATER = "2099-01-01T00:00:00.000Z";

Deno.test("a pending job that a dead job names in `after` stays live through a compaction, so the dead job retried still waits for it", () =>
  withHome(async (home) => {
    const first = new FileStore(home, { pendingMin: 1 });
    try {
      await first.enqueue([{ id: "x", command: "true", run_at: LATER }], { max_retries: 0 });
      await first.enqueue([{ id: "d", command: "true", after: ["x"] }], { max_retries: 0 });
      assert.deepEqual((await first.cancel(["d"])).jobs.map((j) => j.state), ["dead"]);
      await first.compact();
    } finally {
      first.close();
    }
    // a process that opened the store from its snapshot, where d's line is not parsed
    const second = new FileStore(home, { pendingMin: 1 });
    try {
      await second.compact();
      assert.deepEqual((await second.retryDead(["d"])).map((j) => j.state), ["pending"]);
      assert.deepEqual(await claimFor(second, "w1", 2), [], "d waits for x, which is not due");
      assert.equal((await second.get("x"))?.state, "pending");
    } finally {
      second.close();
    }
  }, { create: true }));
