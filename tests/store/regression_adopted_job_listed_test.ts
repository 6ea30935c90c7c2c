/**
 * Regression (found by the live-repair torture step): a job taken out of a pending segment into
 * the live state (a claim, a delete, a cancel loads it) vanished from `list` for every process
 * that opened the store from a snapshot, until the next compaction: the live jobs were listed as
 * the snapshot's job lines, then the jobs enqueued after it, and a job adopted from a segment is
 * neither (its seq is below the snapshot's next order, and the snapshot holds no line of it).
 * `show` still found it; `list`, the dashboard and everything that walks the jobs in order did not.
 */
import assert from "node:assert/strict";
import { FileStore } from "../../src/store/file_store.ts";
import { withHome } from "../../testkit/mod.ts";
import { claimFor, finishFor } from "../../testkit/store.ts";

Deno.test("a job taken out of a pending segment into the live state is listed in enqueue order, both ways, by a process that opened the store from its snapshot", () =>
  withHome(async (home) => {
    const writer = new FileStore(home, { pendingMin: 1 });
    try {
      await writer.enqueue([{ id: "live", command: "true", unique: "k" }], { max_retries: 0 });
      await writer.enqueue(["a", "b", "c"].map((id) => ({ id, command: "true" })), { max_retries: 0 });
      await writer.compact(); // a, b and c wait in a pending segment; "live" is a line of the snapshot
      const [claimed] = await claimFor(writer, "w1", 1);
      assert.equal(claimed.id, "live");
      await finishFor(writer, "w1", claimed, { kind: "exited", code: 0 });
      const [a] = await claimFor(writer, "w1", 1); // taken out of the segment
      assert.equal(a.id, "a");
      await finishFor(writer, "w1", a, { kind: "exited", code: 0 });
      await writer.enqueue([{ id: "d", command: "true" }], { max_retries: 0 });
    } finally {
      writer.close();
    }
    const reader = new FileStore(home);
    try {
      assert.equal((await reader.get("a"))?.state, "completed");
      assert.deepEqual((await reader.list()).map((j) => j.id), ["live", "a", "b", "c", "d"]);
      assert.deepEqual((await reader.list({ order: "desc" })).map((j) => j.id), ["d", "c", "b", "a", "live"]);
      assert.deepEqual((await reader.list({ state: "completed" })).map((j) => j.id), ["live", "a"]);
    } finally {
      reader.close();
    }
  }, { create: true }));
