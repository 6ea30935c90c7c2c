/**
 * A listing reads the ended lines' directory (a version 6 snapshot's line 2: every dead job kept in
 * the DLQ, 160 KB for 5,000 of them) only when it reaches their seqs, which the header gives
 * (snapshot.ts): `list --limit 20` of a home whose dead jobs are older than its 20 newest never
 * reads it. Shown from outside by damaging line 2: the newest jobs are still listed, and a listing
 * that reaches the dead ones finds the damage, as any read of a damaged line must.
 */
import assert from "node:assert/strict";
import { CorruptionError } from "../../src/errors.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { withHome } from "../../testkit/mod.ts";
import { damageSnapshot } from "../../testkit/repair.ts";
import { claimFor, finishFor } from "../../testkit/store.ts";

Deno.test("a listing of jobs newer than every dead one does not read the dead jobs' directory; one that reaches them does", () =>
  withHome(async (home) => {
    const store = new FileStore(home, { pendingMin: 1000 });
    try {
      await store.enqueue(["d1", "d2"].map((id) => ({ id, command: "exit 3" })), { max_retries: 0 });
      for (let i = 0; i < 2; i++) {
        const [job] = await claimFor(store, "w1", 1);
        await finishFor(store, "w1", job, { kind: "exited", code: 3 });
      }
      await store.enqueue(["n1", "n2", "n3"].map((id) => ({ id, command: "true" })), { max_retries: 0 });
      await store.compact();
    } finally {
      store.close();
    }
    damageSnapshot(home, (bytes, text) => {
      const line2 = text.indexOf('{"directory":"ended","ids":["d1","d2"]');
      assert.ok(line2 > 0, "line 2 names the dead jobs");
      bytes[line2 + 2] ^= 0x01; // "directory" becomes "eirectory": line 2 fails its checksum
    });

    const after = new FileStore(home);
    try {
      const newest = await after.list({ order: "desc", limit: 3 });
      assert.deepEqual(newest.map((j) => j.id), ["n3", "n2", "n1"]);
      const pending = await after.list({ state: "pending", order: "desc", limit: 2 });
      assert.deepEqual(pending.map((j) => j.id), ["n3", "n2"]);
      await assert.rejects(() => after.list({ order: "desc", limit: 4 }), (e: unknown) => {
        assert.ok(e instanceof CorruptionError, String(e));
        assert.match(e.message, /line 2\b/);
        return true;
      });
      await assert.rejects(() => after.list({ order: "asc", limit: 1 }), CorruptionError);
    } finally {
      after.close();
    }
  }, { create: true }));
