/**
 * Regression (found by review of snapshot version 6; present before it): `doctor --repair` of a
 * snapshot whose header is damaged derives the header's seq from the first record of the log that
 * follows, and without one (right after a compaction the log is empty) from the highest enqueue
 * order among the jobs it kept, which is no record's seq: the store's head went back (from 6 to 2
 * here), so records written after the repair reuse seqs that processes already saw, among them
 * claim tokens a running worker may still hold (the repair keeps seqs a damaged log line held
 * unused for that reason), and the stop requests a worker compares with the head it started at.
 */
import assert from "node:assert/strict";
import { FileStore } from "../../src/store/file_store.ts";
import { homePaths } from "../../src/store/paths.ts";
import { doctor } from "../../src/store/repair.ts";
import { snapshotName, withHome } from "../../testkit/mod.ts";
import { claimFor, finishFor, NOTHING_RUNS } from "../../testkit/store.ts";

Deno.test("doctor --repair of a snapshot whose header is damaged, its log empty, never takes the store's head back", () =>
  withHome(async (home) => {
    const store = new FileStore(home);
    let head: number;
    try {
      await store.enqueue(["a", "b"].map((id) => ({ id, command: "exit 3" })), { max_retries: 0 });
      for (let i = 0; i < 2; i++) {
        const [job] = await claimFor(store, "w1", 1);
        await finishFor(store, "w1", job, { kind: "exited", code: 3 });
      }
      await store.compact();
      head = await store.head();
    } finally {
      store.close();
    }
    const snap = snapshotName(home);
    const bytes = Deno.readFileSync(`${home}/${snap}`);
    bytes[30] ^= 0x01; // the header
    Deno.writeFileSync(`${home}/${snap}`, bytes);

    const report = await doctor(homePaths(home), { repair: true, now: new Date() }, NOTHING_RUNS);
    assert.equal(report.ok, true, report.repairs.join("\n"));
    const after = new FileStore(home);
    try {
      assert.deepEqual((await after.list()).map((j) => j.id), ["a", "b"]);
      const now = await after.head();
      assert.ok(now >= head, `the head went back from ${head} to ${now}: ${report.repairs.join("\n")}`);
    } finally {
      after.close();
    }
  }, { create: true }));
