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
import { withHome } from "../../testkit/mod.ts";
import { damageSnapshot, repairHome } from "../../testkit/repair.ts";
import { claimFor, finishFor } from "../../testkit/store.ts";

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
    damageSnapshot(home, (bytes) => {
      bytes[30] ^= 0x01; // the header
    });

    const report = await repairHome(home);
    const after = new FileStore(home);
    try {
      assert.deepEqual((await after.list()).map((j) => j.id), ["a", "b"]);
      const now = await after.head();
      assert.ok(now >= head, `the head went back from ${head} to ${now}: ${report.repairs.join("\n")}`);
    } finally {
      after.close();
    }
  }, { create: true }));

/** Makes `home` hold job "a", a stop request (`worker stop`), then jobs `later`, compacted; the request's seq. */
async function compactedWithStop(home: string, later: string[] = []): Promise<number> {
  const store = new FileStore(home);
  try {
    await store.enqueue([{ id: "a", command: "true" }], { max_retries: 0 });
    const stop = await store.requestStop();
    if (later.length > 0) {
      await store.enqueue(later.map((id) => ({ id, command: "true" })), { max_retries: 0 });
    }
    await store.compact();
    return stop;
  } finally {
    store.close();
  }
}

// found with the review above: the same repair forgot the last stop request (`worker stop`), so a
// worker asked to stop, whose claims compare the request with the head it started at, went on
Deno.test("doctor --repair of a snapshot whose header is damaged keeps the stop request the header still shows", () =>
  withHome(async (home) => {
    const stop = await compactedWithStop(home, ["b"]);
    assert.ok(stop > 0);
    damageSnapshot(home, (bytes) => {
      bytes[30] ^= 0x01; // the header, before its "seq" and "stop_seq"
    });

    const report = await repairHome(home);
    assert.match(report.repairs.join("\n"), new RegExp(`kept the last stop request \\(seq ${stop}\\)`));
    const after = new FileStore(home);
    try {
      assert.equal(await after.stopSeq(), stop);
      const claimed = await after.claim({
        worker: "w1",
        slots: [{ sid: null, out: null }],
        leaseSeconds: 60,
        stopsAfter: stop - 1,
      });
      assert.deepEqual(claimed, [], "a worker started before the request claims nothing");
    } finally {
      after.close();
    }
  }, { create: true }));

// (review of the fix above) with the header's "seq" unreadable and its log empty, the derived head
// fell below the stop request, which was then dropped as unreadable: a stop's seq is a record's
// seq workers have seen, so it counts among the seqs the head may not go below
Deno.test("doctor --repair of a header whose seq is unreadable keeps its stop request, and the head at or past it", () =>
  withHome(async (home) => {
    const stop = await compactedWithStop(home);
    damageSnapshot(home, (bytes, text) => {
      const at = text.indexOf('"seq":');
      assert.ok(at > 0 && at < text.indexOf("\n"));
      bytes[at + 1] = "S".charCodeAt(0); // "Seq": the header fails its checksum, its seq no longer reads
    });

    const report = await repairHome(home);
    assert.match(report.repairs.join("\n"), new RegExp(`kept the last stop request \\(seq ${stop}\\)`));
    const after = new FileStore(home);
    try {
      assert.equal(await after.stopSeq(), stop);
      assert.ok(await after.head() >= stop, "the head never goes below a seq workers have seen");
    } finally {
      after.close();
    }
  }, { create: true }));
