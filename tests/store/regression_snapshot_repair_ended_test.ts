/**
 * Regression (found by review of snapshot version 6): `doctor --repair` of a version 6 snapshot
 * whose header is damaged rebuilds the state without it, and names as lost the jobs the damaged
 * header still lists whose lines are unreadable. Since version 6 the header lists only the jobs
 * that may still run; the ended ones are named on line 2, which the repair read, intact, and then
 * ignored: an ended job whose line was unreadable too was lost without being named, where version
 * 5 (whose header listed every job) named it.
 */
import assert from "node:assert/strict";
import { FileStore } from "../../src/store/file_store.ts";
import { withHome } from "../../testkit/mod.ts";
import { damageSnapshot, repairHome } from "../../testkit/repair.ts";
import { claimFor, finishFor } from "../../testkit/store.ts";

Deno.test("doctor --repair of a version 6 snapshot whose header is damaged names an ended job whose line is unreadable, as line 2 names it", () =>
  withHome(async (home) => {
    const store = new FileStore(home, { pendingMin: 1000 });
    try {
      await store.enqueue(
        ["gone", "kept"].map((id) => ({ id, command: "exit 3" })),
        { max_retries: 0 },
      );
      for (let i = 0; i < 2; i++) {
        const [job] = await claimFor(store, "w1", 1);
        await finishFor(store, "w1", job, { kind: "exited", code: 3 });
      }
      await store.enqueue([{ id: "waiting", command: "true" }], { max_retries: 0 });
      await store.compact();
    } finally {
      store.close();
    }
    damageSnapshot(home, (bytes, text) => {
      assert.ok(text.includes('{"directory":"ended","ids":["gone","kept"]'), "line 2 names the dead jobs");
      bytes[30] ^= 0x01; // the header
      bytes[text.indexOf('{"id":"gone"') + 2] ^= 0x01; // "id" becomes "hd": the line shows no id
    });

    const report = await repairHome(home);
    assert.deepEqual(report.lost, ["gone"], report.repairs.join("\n"));

    const after = new FileStore(home);
    try {
      assert.deepEqual((await after.list()).map((j) => j.id), ["kept", "waiting"]);
    } finally {
      after.close();
    }
  }, { create: true }));
