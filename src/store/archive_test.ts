import assert from "node:assert/strict";
import fc from "fast-check";
import { CorruptionError } from "../errors.ts";
import { type Job, newJob } from "../job.ts";
import { ArchiveReader, hidden, type Segment } from "./archive.ts";
import { lineOf, liveTombstones, mergeSegments, writeSegment } from "./archive_write.ts";
import { homePaths } from "./paths.ts";

function completed(id: string, seq: number): Job {
  const at = "2026-11-23T12:00:00.000Z";
  return {
    ...newJob({
      id,
      command: `echo ${id}`,
      max_retries: 3,
      priority: 0,
      run_at: at,
      timeout: null,
      cwd: null,
      seq,
    }, at),
    state: "completed",
  };
}

function withArchive(fn: (home: string, reader: ArchiveReader) => void): void {
  const home = Deno.makeTempDirSync({ prefix: "qarchive-" });
  const reader = new ArchiveReader(homePaths(home));
  try {
    fn(home, reader);
  } finally {
    reader.close();
    Deno.removeSync(home, { recursive: true });
  }
}

Deno.test("a segment finds each of its jobs by id through a large index, and nothing else", () => {
  withArchive((home, reader) => {
    // enough ids that lookups bisect (the index is far larger than one scanned window)
    const jobs = Array.from({ length: 3000 }, (_, i) => completed(`job-${(i * 7919) % 3000}-x`, i + 1));
    const seg = writeSegment(homePaths(home), 1, jobs.map(lineOf));
    assert.ok(seg.index_bytes > 16 * 4096);
    assert.equal(seg.jobs, 3000);
    for (const job of jobs) assert.deepEqual(reader.get([seg], new Map(), job.id), job);
    for (const missing of ["job-", "job-3000-x", "a", "zzz", "job-1-", "job-1-xx"]) {
      assert.equal(reader.get([seg], new Map(), missing), undefined, missing);
    }
  });
});

Deno.test("property: lookups in several segments find exactly the ids written, batch or one by one", () => {
  const idArb = fc.stringMatching(/^[a-z0-9][a-z0-9._:@+-]{0,20}$/).filter((s) => !s.includes(".."));
  fc.assert(
    fc.property(
      fc.uniqueArray(idArb, { minLength: 1, maxLength: 400 }),
      fc.array(idArb, { maxLength: 30 }),
      fc.integer({ min: 1, max: 4 }),
      (ids, probes, parts) => {
        withArchive((home, reader) => {
          const paths = homePaths(home);
          const segments: Segment[] = [];
          const per = Math.ceil(ids.length / parts);
          for (let p = 0; p < parts; p++) {
            const chunk = ids.slice(p * per, (p + 1) * per);
            if (chunk.length === 0) continue;
            segments.push(
              writeSegment(paths, p + 1, chunk.map((id, i) => lineOf(completed(id, p * per + i + 1)))),
            );
          }
          const present = new Set(ids);
          for (const id of [...ids, ...probes]) {
            assert.equal(reader.get(segments, new Map(), id)?.id, present.has(id) ? id : undefined);
          }
          const expectAny = probes.find((p) => present.has(p));
          assert.equal(reader.findAny(segments, new Map(), probes) !== undefined, expectAny !== undefined);
          // every id written comes back once, in seq order
          assert.deepEqual([...reader.jobs(segments, new Map())].map((j) => j.id), ids);
        });
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("a tombstone hides copies at or below its segment number; a copy archived later stays visible", () => {
  withArchive((home, reader) => {
    const paths = homePaths(home);
    const s1 = writeSegment(paths, 1, [lineOf(completed("a", 1)), lineOf(completed("b", 2))]);
    const tombstones = new Map([["a", 1]]);
    assert.equal(reader.get([s1], tombstones, "a"), undefined);
    assert.equal(reader.get([s1], tombstones, "b")?.id, "b");
    const again = { ...completed("a", 3), command: "second" };
    const s2 = writeSegment(paths, 2, [lineOf(again)]);
    assert.equal(reader.get([s1, s2], tombstones, "a")?.command, "second");
    assert.equal(reader.findAny([s1], tombstones, ["a"]), undefined);
    assert.deepEqual([...reader.jobs([s1, s2], tombstones)].map((j) => j.seq), [2, 3]);
    // a merge drops the hidden copy and keeps the visible one, under a new number
    const merged = mergeSegments(reader, [s1, s2], tombstones, 3);
    assert.equal(merged.jobs, 2);
    assert.equal(reader.get([merged], tombstones, "a")?.command, "second");
    assert.equal(hidden(tombstones, "a", merged.n), false);
    assert.deepEqual(liveTombstones(tombstones, [merged]), new Map(), "no segment at or below 1 remains");
    assert.deepEqual(liveTombstones(tombstones, [s1, merged]), tombstones);
  });
});

Deno.test("a merge writes what one segment of the visible jobs would: files chunked past 1 MB, a line longer than a chunk", () => {
  withArchive((home, reader) => {
    const paths = homePaths(home);
    // three segments of interleaved seqs, 2.4 MB in all, one job's line longer than the 1 MiB chunk
    const job = (i: number) => {
      const j = completed(`m${(i * 7919) % 6000}`, i + 1);
      return { ...j, command: i === 2500 ? "x".repeat(1_200_000) : `echo ${"y".repeat(200)} ${i}` };
    };
    const all = Array.from({ length: 6000 }, (_, i) => job(i));
    const inputs = [0, 1, 2].map((k) =>
      writeSegment(paths, k + 1, all.filter((_, i) => i % 3 === k).map(lineOf))
    );
    const tombstones = new Map([[all[9].id, 1], [all[10].id, 3]]); // hides a copy in segment 1 and one in 2
    const merged = mergeSegments(reader, inputs, tombstones, 4);
    const visible = all.filter((j, i) => !hidden(tombstones, j.id, (i % 3) + 1));
    assert.equal(visible.length, 5998);
    const expected = writeSegment(paths, 5, visible.map(lineOf));
    assert.deepEqual({ ...merged, n: 5 }, expected);
    assert.deepEqual(Deno.readFileSync(paths.archiveJobs(4)), Deno.readFileSync(paths.archiveJobs(5)));
    assert.deepEqual(Deno.readFileSync(paths.archiveIndex(4)), Deno.readFileSync(paths.archiveIndex(5)));
    assert.equal(reader.get([merged], tombstones, all[2500].id)?.command.length, 1_200_000);
    assert.equal(reader.get([merged], tombstones, all[9].id), undefined);
    assert.equal(reader.get([merged], tombstones, all[10].id), undefined);
    assert.deepEqual([...reader.jobs([merged], new Map())].map((j) => j.seq), visible.map((j) => j.seq));
  });
});

Deno.test("a damaged archive fails the lookup naming the file: flipped byte, wrong size, missing file", () => {
  withArchive((home, reader) => {
    const paths = homePaths(home);
    const jobs = Array.from({ length: 50 }, (_, i) => completed(`j${i}`, i + 1));
    const seg = writeSegment(paths, 1, jobs.map(lineOf));
    const data = Deno.readFileSync(paths.archiveJobs(1));
    const at = data.indexOf(0x0a) + 20; // inside the second job's line
    data[at] ^= 0x01;
    Deno.writeFileSync(paths.archiveJobs(1), data);
    const second = [...jobs].sort((a, b) => a.seq - b.seq)[1].id;
    assert.throws(() => reader.get([seg], new Map(), second), (e) => {
      assert.ok(e instanceof CorruptionError);
      assert.match(e.message, /archive-00000001\.jobs is corrupt at byte \d+: checksum mismatch/);
      return true;
    });
    reader.close();
    assert.throws(
      () => reader.get([{ ...seg, bytes: seg.bytes + 1 }], new Map(), "j0"),
      /archive-00000001\.jobs is corrupt at open: it has \d+ bytes where the snapshot recorded \d+/,
    );
    reader.close();
    Deno.removeSync(paths.archiveIndex(1));
    assert.throws(
      () => reader.get([seg], new Map(), "j0"),
      /archive-00000001\.index is corrupt at open: the file is missing/,
    );
  });
});

Deno.test("idsWithPrefix() finds, through a large index, exactly the ids that start with a prefix, sorted and limited", () => {
  withArchive((home, reader) => {
    const jobs = Array.from({ length: 3000 }, (_, i) => completed(`job-${(i * 7919) % 3000}-x`, i + 1));
    const seg = writeSegment(homePaths(home), 1, jobs.map(lineOf));
    assert.ok(seg.index_bytes > 16 * 4096);
    const ids = jobs.map((j) => j.id);
    for (const prefix of ["job-12", "job-2999", "job-0-", "job-", "a", "zzz", "job-1000-x", "job-3000"]) {
      const want = ids.filter((id) => id.startsWith(prefix)).sort();
      assert.deepEqual(reader.idsWithPrefix([seg], new Map(), prefix, 5000), want, prefix);
      assert.deepEqual(reader.idsWithPrefix([seg], new Map(), prefix, 3), want.slice(0, 3), prefix);
    }
  });
});

Deno.test("pages of a segment, either way from any seq, are the jobs on that side of it, in order, whatever the lines' lengths", () => {
  withArchive((home, reader) => {
    // lines of very different lengths, some longer than the first chunk a reader takes
    const jobs = Array.from({ length: 400 }, (_, i) => {
      const job = completed(`j${i}`, 10 + 2 * i);
      return i % 97 === 5 ? { ...job, command: "x".repeat(100_000) } : job;
    });
    const seg = writeSegment(homePaths(home), 1, jobs.map(lineOf));
    const seqs = jobs.map((j) => j.seq);
    for (const past of [0, 9, 10, 11, 12, 401, 808, 809, 5000]) {
      assert.deepEqual(
        [...reader.jobs([seg], new Map(), past)].map((j) => j.seq),
        seqs.filter((s) => s > past),
      );
      assert.deepEqual(
        [...reader.jobsDesc([seg], new Map(), past)].map((j) => j.seq),
        seqs.filter((s) => s < past).reverse(),
      );
    }
  });
});

Deno.test("a segment whose whole lines were swapped is reported corrupt, forwards and backwards", () => {
  withArchive((home, reader) => {
    const paths = homePaths(home);
    const seg = writeSegment(paths, 1, [1, 2, 3].map((i) => lineOf(completed(`j${i}`, i))));
    const lines = Deno.readTextFileSync(paths.archiveJobs(1)).split("\n");
    Deno.writeTextFileSync(paths.archiveJobs(1), [lines[1], lines[0], lines[2], ""].join("\n"));
    assert.throws(() => [...reader.jobs([seg], new Map())], CorruptionError);
    assert.throws(() => [...reader.jobsDesc([seg], new Map())], CorruptionError);
  });
});
