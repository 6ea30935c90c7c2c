/**
 * Regression (found while teaching doctor pending segments): `doctor --repair` of a snapshot whose
 * header is intact but a job line is damaged rebuilt the snapshot from the header's counters and
 * archive only. The pending segments it named (and what of them was used up), the queue settings,
 * the schedules and the per-queue counts were dropped: every job waiting in a pending segment was
 * lost without being named, and a paused queue ran again.
 */
import assert from "node:assert/strict";
import { FileStore } from "../../src/store/file_store.ts";
import { withHome } from "../../testkit/mod.ts";
import { damageSnapshot, repairHome } from "../../testkit/repair.ts";

Deno.test("doctor --repair of a snapshot with a damaged job line keeps what its intact header holds: pending segments and their consumption, queue settings, schedules", () =>
  withHome(async (home) => {
    const store = new FileStore(home, { pendingMin: 1 });
    try {
      await store.enqueue(
        [
          ...["w1", "w2", "w3", "w4"].map((id) => ({ id, command: "true" })),
          // not plain (a unique key): it stays a line of the snapshot
          { id: "live", command: "true", unique: "k" },
          { id: "other", command: "true", queue: "slow" },
        ],
        { max_retries: 0 },
      );
      await store.setQueue("slow", { paused: true, concurrency: 1 });
      await store.addSchedule({
        name: "nightly",
        cron: "0 3 * * *",
        tz: "UTC",
        paused: false,
        job: { command: "true", timeout: null, max_retries: 0, priority: 0, cwd: null },
        created_at: new Date().toISOString(),
        last_tick: null,
      });
      await store.compact();
      await store.delete(["w2"]); // taken out of the pending segment: used up
      await store.compact();
    } finally {
      store.close();
    }
    damageSnapshot(home, (bytes, text) => {
      assert.ok(text.includes('"pending":{"segments":[{'), "the snapshot names a pending segment");
      bytes[text.indexOf('{"id":"live"') + 20] ^= 0x01;
    });

    const report = await repairHome(home);
    assert.deepEqual(report.lost, ["live"]);

    const after = new FileStore(home);
    try {
      assert.deepEqual((await after.list()).map((j) => j.id).sort(), ["other", "w1", "w3", "w4"]);
      assert.equal((await after.get("w3"))?.state, "pending");
      assert.equal(await after.get("w2"), undefined, "a job used up in its segment does not wait again");
      assert.deepEqual((await after.schedules()).map((s) => s.name), ["nightly"]);
      const slow = (await after.queues()).find((q) => q.name === "slow");
      assert.equal(slow?.paused, true);
      assert.equal(slow?.concurrency, 1);
      assert.equal(slow?.counts.pending, 1);
      assert.equal((await after.counts()).pending, 4);
    } finally {
      after.close();
    }
  }, { create: true }));
