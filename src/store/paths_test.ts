import assert from "node:assert/strict";
import {
  fileName,
  homePaths,
  parseSlotOutput,
  parseWorkerInfo,
  pendingSegmentName,
  scanGenerations,
} from "./paths.ts";

Deno.test("scanGenerations() lists pending segments once each, whichever of their files remain, and their temp files", () => {
  const home = Deno.makeTempDirSync({ prefix: "qpaths-" });
  try {
    const paths = homePaths(home);
    for (
      const path of [
        paths.pendingJobs(3),
        paths.pendingIndex(3),
        paths.pendingOrder(3),
        paths.pendingOrder(12),
        paths.archiveJobs(4),
        `${paths.pendingOrder(13)}.123.tmp`,
      ]
    ) Deno.writeTextFileSync(path, "");
    const found = scanGenerations(home);
    assert.deepEqual(found.pendings, [3, 12]);
    assert.deepEqual(found.archives, [4]);
    assert.deepEqual(found.temps, [`${home}/pending-00000013.order.123.tmp`]);
    assert.equal(paths.pendingJobs(3), `${home}/pending-00000003.jobs`);
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
});

Deno.test("the names paths.ts builds are the ones it parses back, and a foreign name parses to null", () => {
  const paths = homePaths("/h");
  assert.deepEqual(parseSlotOutput(fileName(paths.slotOutput("w1", 2, 1))), {
    worker: "w1",
    slot: "2",
    part: 1,
  });
  assert.deepEqual(parseSlotOutput(fileName(paths.slotOutput("w1", 2, 3))), {
    worker: "w1",
    slot: "2",
    part: 3,
  });
  assert.equal(parseSlotOutput("a1.log"), null);
  assert.equal(parseSlotOutput(".x-slot-1.out"), null);
  assert.equal(parseWorkerInfo(fileName(paths.workerInfo("w7"))), "w7");
  assert.equal(parseWorkerInfo(fileName(paths.workerInfoTemp("w7"))), null);
  assert.equal(parseWorkerInfo(fileName(paths.workerLock("w7"))), null);
  assert.equal(
    paths.quarantined("wal-00000001.jsonl", "20261206T0700Z", 1),
    "/h/wal-00000001.jsonl.quarantined-20261206T0700Z",
  );
  assert.equal(
    paths.quarantined("wal-00000001.jsonl", "20261206T0700Z", 2),
    "/h/wal-00000001.jsonl.quarantined-20261206T0700Z-2",
  );
  assert.equal(pendingSegmentName(4), fileName(paths.pendingJobs(4)).replace(/\.jobs$/, ""));
});

Deno.test("scanGenerations() takes exactly the names paths.ts builds (eight ASCII digits, its endings), and skips near misses", () => {
  const home = Deno.makeTempDirSync({ prefix: "qpaths-" });
  try {
    const paths = homePaths(home);
    const built = [
      paths.wal(1),
      paths.wal(99999999),
      paths.snapshot(7),
      paths.archiveJobs(0),
      paths.archiveIndex(20),
      paths.pendingJobs(5),
      paths.pendingIndex(6),
      paths.pendingOrder(6),
    ];
    const misses = [
      "wal-0000001.jsonl",
      "wal-000000001.jsonl",
      "wal-00000001.json",
      "wal-0000000a.jsonl",
      "wal-0000000\u0661.jsonl",
      "wal--0000001.jsonl",
      "wal-+0000001.jsonl",
      "Wal-00000001.jsonl",
      "wal-00000001.jsonl.quarantined-20261206T0700Z",
      "snapshot-00000002.snap.bak",
      "snapshot-00000002.snap ",
      "archive-00000003.jobz",
      "archive-00000003.order",
      "pending-00000004.orders",
      "pending-00000004.",
      "pending-00000004",
    ];
    for (const path of built) Deno.writeTextFileSync(path, "");
    for (const name of misses) Deno.writeTextFileSync(`${home}/${name}`, "");
    Deno.mkdirSync(`${home}/wal-00000009.jsonl`);
    const found = scanGenerations(home);
    assert.deepEqual(found.wals, [1, 99999999]);
    assert.deepEqual(found.snapshots, [7]);
    assert.deepEqual(found.archives, [0, 20]);
    assert.deepEqual(found.pendings, [5, 6]);
    assert.deepEqual(found.temps, []);
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
});
