/**
 * The archive through the FileStore API: completed jobs leave the snapshot for archive segments,
 * and every question about them (get, list, duplicate ids, delete, counts) still has the same
 * answer, across many compactions and merges, in this process and in a fresh one.
 */
import assert from "node:assert/strict";
import type { Job } from "../../src/job.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { withHome } from "../../testkit/mod.ts";
import { claimFor, NOTHING_RUNS } from "../../testkit/store.ts";

const CONFIG = { backoff_base: 2, backoff_max: 60 };
const decoder = new TextDecoder();

/** Each test gets a home that exists already (a directory with nothing in it). */
const HOME = { prefix: "qctl-archive-", create: true };

/** Enqueues `ids` and runs them all to completion. */
async function complete(store: FileStore, ids: string[]): Promise<void> {
  await store.enqueue(ids.map((id) => ({ id, command: `echo ${id}` })), { max_retries: 3 });
  const claimed = await claimFor(store, "w", ids.length, 600);
  assert.equal(claimed.length, ids.length);
  await Promise.all(claimed.map((job) =>
    store.finish({
      worker: "w",
      id: job.id,
      claim: job.claim,
      outcome: { kind: "exited", code: 0 },
      tail: `${job.id} done\n`,
      config: CONFIG,
    })
  ));
}

function snapshotHeader(home: string): Record<string, unknown> {
  const snap = [...Deno.readDirSync(home)].map((e) => e.name).find((n) => n.endsWith(".snap"))!;
  return JSON.parse(decoder.decode(Deno.readFileSync(`${home}/${snap}`)).split("\n")[0]);
}

Deno.test("600 completed jobs go through many compactions and merges and read back exactly, here and in a fresh store", async () => {
  await withHome(async (home) => {
    const store = new FileStore(home, { compactAfterBytes: 2048 });
    const all: string[] = [];
    try {
      for (let b = 0; b < 30; b++) {
        const ids = Array.from({ length: 20 }, (_, i) => `job-${b}-${i}`);
        await complete(store, ids);
        all.push(...ids);
      }
      await store.enqueue([{ id: "still-pending", command: "true" }], { max_retries: 3 });
      await store.compact();
      const header = snapshotHeader(home);
      assert.equal(header.jobs, 1, "only the pending job is in the snapshot");
      assert.equal(header.archived, 600);
      const segments = header.archive as Array<{ n: number }>;
      assert.ok(segments.length >= 1 && segments.length <= 12, `segments: ${segments.length}`);
      assert.ok((header.next_segment as number) > segments.length + 1, "merges happened");
    } finally {
      store.close();
    }
    for (const opened of [false, true]) {
      const s = new FileStore(home);
      try {
        if (opened) await s.head();
        const counts = await s.counts();
        assert.equal(counts.completed, 600);
        assert.equal(counts.pending, 1);
        const listed = await s.list();
        assert.deepEqual(listed.map((j) => j.id), [...all, "still-pending"], "enqueue order");
        assert.deepEqual((await s.list({ limit: 20 })).map((j) => j.id), all.slice(0, 20));
        assert.deepEqual((await s.list({ state: "completed", limit: 3 })).map((j) => j.id), all.slice(0, 3));
        assert.deepEqual((await s.list({ state: "pending" })).map((j) => j.id), ["still-pending"]);
        for (const id of [all[0], all[299], all[599]]) {
          const job = (await s.get(id)) as Job;
          assert.equal(job.state, "completed");
          assert.equal(job.output_tail, `${id} done\n`);
        }
        assert.equal(await s.get("job-30-0"), undefined);
      } finally {
        s.close();
      }
    }
  }, HOME);
});

Deno.test("an archived id is a duplicate until deleted; deleting it updates counts; the id can then be reused", async () => {
  await withHome(async (home) => {
    const store = new FileStore(home, { compactAfterBytes: 1 });
    try {
      await complete(store, ["a", "b", "c"]);
      await store.compact();
      assert.equal(snapshotHeader(home).jobs, 0);
      await assert.rejects(
        store.enqueue([{ id: "fresh", command: "true" }, { id: "b", command: "true" }], { max_retries: 3 }),
        /Cannot enqueue job "b": a job with this id already exists/,
      );
      assert.equal(await store.get("fresh"), undefined, "the batch is refused whole");
      await assert.rejects(store.delete(["a"], ["dead"]), /Cannot delete job "a": it is completed, not dead/);

      const deleted = await store.delete(["a"]);
      assert.deepEqual(deleted.jobs.map((j) => j.id), ["a"]);
      assert.equal(await store.get("a"), undefined);
      assert.equal((await store.counts()).completed, 2);
      assert.deepEqual((await store.list()).map((j) => j.id), ["b", "c"]);
      await assert.rejects(store.delete(["a"]), /Cannot delete job "a": no such job/);

      // reuse the id; archive it again; many more segments so that merges drop the old copy
      await complete(store, ["a"]);
      for (let i = 0; i < 12; i++) await complete(store, [`more-${i}`]);
      await store.compact();
      const again = (await store.get("a")) as Job;
      assert.equal(again.state, "completed");
      assert.ok(again.seq > 3, "the new copy");
      assert.equal((await store.counts()).completed, 15);
    } finally {
      store.close();
    }
    const fresh = new FileStore(home);
    try {
      assert.equal(((await fresh.get("a")) as Job).seq, (await fresh.list()).find((j) => j.id === "a")!.seq);
      assert.equal((await fresh.list()).filter((j) => j.id === "a").length, 1, "one visible copy");
      assert.equal((await fresh.counts()).completed, 15);
    } finally {
      fresh.close();
    }
  }, HOME);
});

Deno.test("a store that loaded its state before another merged the archive reads the new segments", async () => {
  await withHome(async (home) => {
    const early = new FileStore(home);
    const busy = new FileStore(home, { compactAfterBytes: 1 });
    try {
      await complete(busy, ["first"]);
      await busy.compact();
      assert.equal(((await early.get("first")) as Job).state, "completed");
      // enough segments that "first"'s segment is merged away and its files removed
      for (let i = 0; i < 20; i++) await complete(busy, [`later-${i}`]);
      const header = snapshotHeader(home);
      assert.ok(!(header.archive as Array<{ n: number }>).some((seg) => seg.n === 1), "segment 1 was merged");
      assert.equal(((await early.get("first")) as Job).state, "completed");
      assert.equal(((await early.get("later-19")) as Job).state, "completed");
      assert.equal((await early.counts()).completed, 21);
    } finally {
      early.close();
      busy.close();
    }
  }, HOME);
});

Deno.test("a damaged archive segment fails reads of it naming the file, and the live queue still opens", async () => {
  await withHome(async (home) => {
    const store = new FileStore(home);
    try {
      await complete(store, ["x", "y"]);
      await store.compact();
    } finally {
      store.close();
    }
    const path = `${home}/archive-00000001.jobs`;
    const bytes = Deno.readFileSync(path);
    bytes[10] ^= 0x04;
    Deno.writeFileSync(path, bytes);
    const s = new FileStore(home);
    try {
      assert.equal((await s.counts()).completed, 2, "status needs no archive read");
      await assert.rejects(s.get("x"), /archive-00000001\.jobs is corrupt at byte 0: checksum mismatch/);
    } finally {
      s.close();
    }
  }, HOME);
});

Deno.test("doctor reads the whole archive: --repair rebuilds a damaged index, and rewrites a damaged jobs file from its intact lines", async () => {
  const { doctor } = await import("../../src/store/repair.ts");
  const { homePaths } = await import("../../src/store/paths.ts");
  await withHome(async (home) => {
    const store = new FileStore(home);
    try {
      await complete(store, Array.from({ length: 40 }, (_, i) => `d${i}`));
      await store.compact();
    } finally {
      store.close();
    }
    const now = new Date("2026-11-23T12:00:00Z");
    // no worker runs beside these repairs: nothing to refuse for, or to kill
    const look = (repair: boolean) => doctor(homePaths(home), { repair, now }, NOTHING_RUNS);
    assert.equal((await look(false)).ok, true);

    const index = `${home}/archive-00000001.index`;
    const original = Deno.readFileSync(index);
    const damaged = original.slice();
    damaged[original.length - 3] ^= 0x01; // the last entry's checksum
    Deno.writeFileSync(index, damaged);
    const found = await look(false);
    assert.equal(found.ok, false);
    assert.match(
      found.problems[0],
      /archive-00000001\.index is corrupt at byte \d+: an index entry fails its checksum/,
    );
    assert.deepEqual(Deno.readFileSync(index), damaged, "doctor without --repair changes nothing");

    const repaired = await look(true);
    assert.equal(repaired.repairs.length, 2, repaired.repairs.join("\n"));
    assert.match(
      repaired.repairs[0],
      /^rebuilt archive-00000001\.index from archive-00000001\.jobs \(the damaged one kept as archive-00000001\.index\.quarantined-\S+\)$/,
    );
    assert.match(repaired.repairs[1], /^wrote the repaired store as generation 3 /);
    assert.equal(repaired.ok, true);
    assert.deepEqual(Deno.readFileSync(index), original);
    assert.equal(repaired.jobs, 40);

    const jobsPath = `${home}/archive-00000001.jobs`;
    const bytes = Deno.readFileSync(jobsPath);
    bytes[bytes.length - 30] ^= 0x02;
    Deno.writeFileSync(jobsPath, bytes);
    const bad = await look(true);
    assert.match(bad.problems[0], /archive-00000001\.jobs is corrupt at byte \d+: checksum mismatch/);
    // repair_archive.ts: the jobs file is rewritten from its intact lines, the lost job named
    assert.match(bad.repairs[1], /rewrote archive-00000001\.jobs from 39 intact job line\(s\)/);
    assert.equal(bad.lost.length, 1);
    assert.equal(bad.ok, true);
    assert.equal(bad.jobs, 39);
  }, HOME);
});
