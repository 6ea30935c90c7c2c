/**
 * The file store through its public API (FileStore, and FileLog via `store.log`): replay,
 * compaction, torn tails, corruption, crashes at every QUEUECTL_CRASH_AT point (child processes
 * killed by SIGKILL), several processes writing at once, and the shared/exclusive lock.
 */
import assert from "node:assert/strict";
import { CorruptionError } from "../../src/errors.ts";
import type { Job } from "../../src/job.ts";
import { encodeLine } from "../../src/store/codec.ts";
import { FileStore } from "../../src/store/file_store.ts";
import type { LogOptions } from "../../src/store/log.ts";
import type { Counts } from "../../src/store/mod.ts";
import { DENO, lockWaiters, ROOT, snapshotFiles, waitFor, withHome } from "../../testkit/mod.ts";
import { claimFor, jobsOf } from "../../testkit/store.ts";

const CHILD = `${ROOT}/tests/fixtures/crash_child.ts`;
const CONFIG = { backoff_base: 2, backoff_max: 60 };
const WAL_NAME = /^wal-\d{8}\.jsonl$/;
const SNAP_NAME = /^snapshot-\d{8}\.snap$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface View {
  jobs: Job[];
  counts: Counts;
  head: number;
  stopSeq: number;
}

/** Each test gets a home that exists already (a directory with nothing in it). */
const HOME = { prefix: "qctl-store-", create: true };

async function viewOf(store: FileStore): Promise<View> {
  return {
    jobs: await store.list(),
    counts: await store.counts(),
    head: await store.head(),
    stopSeq: await store.stopSeq(),
  };
}

/** What a brand-new FileStore on `home` sees. */
async function freshView(home: string, options: LogOptions = {}): Promise<View> {
  const store = new FileStore(home, options);
  try {
    return await viewOf(store);
  } finally {
    store.close();
  }
}

function names(home: string): string[] {
  return [...Deno.readDirSync(home)].filter((e) => e.isFile).map((e) => e.name).sort();
}

/** Asserts one log segment and at most one snapshot, of the same generation. */
function assertOneGeneration(home: string): void {
  const all = names(home);
  const wals = all.filter((n) => WAL_NAME.test(n));
  const snaps = all.filter((n) => SNAP_NAME.test(n));
  assert.equal(wals.length, 1, `exactly one log segment expected, found ${all.join(", ")}`);
  assert.ok(snaps.length <= 1, `at most one snapshot expected, found ${all.join(", ")}`);
  if (snaps.length === 1) {
    assert.equal(snaps[0].slice(9, 17), wals[0].slice(4, 12), `generations differ: ${all.join(", ")}`);
  }
  // exactly the archive segments the snapshot names are on disk, each with both files
  const named = snaps.length === 1
    ? (JSON.parse(decoder.decode(Deno.readFileSync(`${home}/${snaps[0]}`)).split("\n")[0]).archive ?? [])
      .map((seg: { n: number }) => String(seg.n).padStart(8, "0"))
    : [];
  const archives = all.filter((n) => n.startsWith("archive-"));
  assert.deepEqual(
    archives,
    named.flatMap((n: string) => [`archive-${n}.index`, `archive-${n}.jobs`]),
    `archive files on disk are the snapshot's: ${all.join(", ")}`,
  );
}

function walPath(home: string): string {
  const wals = names(home).filter((n) => WAL_NAME.test(n));
  assert.equal(wals.length, 1, `one wal expected, found ${wals.join(", ")}`);
  return `${home}/${wals[0]}`;
}

/** The records of the (single) current log segment, parsed. */
function walRecords(home: string): Array<Record<string, any>> {
  const text = decoder.decode(Deno.readFileSync(walPath(home)));
  assert.ok(text === "" || text.endsWith("\n"), "the log ends with a newline");
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

function assertContiguous(seqs: number[], from?: number): void {
  for (let i = 1; i < seqs.length; i++) {
    assert.equal(seqs[i], seqs[i - 1] + 1, `seq ${seqs[i]} follows ${seqs[i - 1]} at record ${i + 1}`);
  }
  if (from !== undefined && seqs.length > 0) assert.equal(seqs[0], from);
}

function totalOf(counts: Counts): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function assertNoDuplicates(jobs: Job[], counts: Counts): void {
  const ids = jobs.map((j) => j.id);
  assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids.join(", ")}`);
  assert.equal(totalOf(counts), jobs.length, "counts add up to the number of jobs");
}

function spec(id: string, extra: Record<string, unknown> = {}) {
  return { id, command: `echo ${id}`, ...extra };
}

async function finishOk(store: FileStore, worker: string, job: Job): Promise<Job | null> {
  return await store.finish({
    worker,
    id: job.id,
    claim: job.claim,
    outcome: { kind: "exited", code: 0 },
    tail: `${job.id} done\n`,
    config: CONFIG,
  });
}

async function finishFail(store: FileStore, worker: string, job: Job, code = 1): Promise<Job | null> {
  return await store.finish({
    worker,
    id: job.id,
    claim: job.claim,
    outcome: { kind: "exited", code },
    tail: null,
    config: CONFIG,
  });
}

function runChild(args: string[], env: Record<string, string> = {}): Promise<Deno.CommandOutput> {
  return new Deno.Command(DENO, {
    args: ["run", "-A", CHILD, ...args],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
}

function describe(out: Deno.CommandOutput): string {
  return `code ${out.code} signal ${out.signal}\nstdout: ${decoder.decode(out.stdout)}\nstderr: ${
    decoder.decode(out.stderr)
  }`;
}

/** Flips one byte of line `lineNo` (1-based) of `path`, inside its "command" or "id" value. */
function flipByteInLine(path: string, lineNo: number): void {
  const bytes = Deno.readFileSync(path);
  let start = 0;
  for (let i = 1; i < lineNo; i++) start = bytes.indexOf(0x0a, start) + 1;
  const end = bytes.indexOf(0x0a, start);
  assert.ok(start > 0 || lineNo === 1, "line exists");
  assert.ok(end > start, "line is complete");
  const line = decoder.decode(bytes.subarray(start, end));
  let at = line.indexOf(`"command":"echo `);
  at = at >= 0 ? at + `"command":"echo `.length : line.indexOf(`"id":"`) + `"id":"`.length;
  assert.ok(at > 6, `line ${lineNo} has a value to damage: ${line}`);
  const pos = start + at;
  bytes[pos] = bytes[pos] === 0x78 ? 0x79 : 0x78; // some letter becomes "x" (or "x" becomes "y")
  Deno.writeFileSync(path, bytes);
}

/** Jobs a, b and c, compacted into snapshot 2, then a byte of b's line (its third) flipped. */
async function snapshotWithDamagedB(home: string): Promise<void> {
  const s = new FileStore(home);
  try {
    await s.enqueue([spec("a"), spec("b"), spec("c")], { max_retries: 3 });
    await s.compact();
  } finally {
    s.close();
  }
  flipByteInLine(`${home}/snapshot-00000002.snap`, 4); // header, ended lines' directory, a, b: job "b"
}

async function assertCorrupt(
  home: string,
  file: string,
  line: number,
  detail?: RegExp,
  /** what the writer's enqueue asks for (a snapshot's job line is checked when a decision uses its job) */
  enqueued = spec("after-corruption"),
): Promise<void> {
  const before = snapshotFiles(home);
  const check = (e: unknown) => {
    assert.ok(e instanceof CorruptionError, `CorruptionError expected, got ${e}`);
    assert.equal(e.file, file);
    assert.equal(e.line, line);
    assert.ok(e.message.includes(file), `message names ${file}: ${e.message}`);
    assert.match(e.message, new RegExp(`\\bline ${line}\\b`));
    if (detail) assert.match(e.message, detail);
    return true;
  };
  // a reader (shared lock) and a writer (exclusive lock) both refuse, and change nothing
  const reader = new FileStore(home);
  try {
    await assert.rejects(reader.list(), check);
  } finally {
    reader.close();
  }
  const writer = new FileStore(home);
  try {
    await assert.rejects(writer.enqueue([enqueued], { max_retries: 3 }), check);
    await assert.rejects(writer.compact(), check);
  } finally {
    writer.close();
  }
  assert.deepEqual(snapshotFiles(home), before, "the damaged store is byte-identical afterwards");
}

// ---------------------------------------------------------------------------------------------

Deno.test("a new FileStore on the same home replays every change into identical jobs and counts", async () => {
  await withHome(async (home) => {
    const s = new FileStore(home);
    let mine: View;
    try {
      await s.enqueue([
        spec("a"),
        spec("b", { max_retries: 0 }),
        spec("c", { max_retries: 2, priority: 3 }),
        spec("d", { run_at: "2000-01-01T00:00:00.000Z" }),
      ], { max_retries: 3 });
      await s.enqueue([spec("e", { timeout: 5, cwd: "/tmp" })], { max_retries: 3 });
      const claimed = await claimFor(s, "w1", 5, 60);
      assert.deepEqual(claimed.map((j) => j.id), ["c", "a", "b", "d", "e"]);
      const byId = new Map(claimed.map((j) => [j.id, j]));
      assert.equal((await finishOk(s, "w1", byId.get("a")!))?.state, "completed");
      assert.equal((await finishFail(s, "w1", byId.get("b")!))?.state, "dead");
      assert.equal((await finishFail(s, "w1", byId.get("c")!, 7))?.state, "failed");
      await s.renew("w1", 120, [["d", byId.get("d")!.claim!]]);
      assert.deepEqual((await s.retryDead(["b"])).map((j) => j.id), ["b"]);
      assert.equal((await finishOk(s, "w1", byId.get("e")!))?.state, "completed");
      assert.deepEqual((await s.delete(["e"])).jobs.map((j) => j.id), ["e"]);
      const stop = await s.requestStop();
      mine = await viewOf(s);
      assert.equal(mine.stopSeq, stop);
    } finally {
      s.close();
    }

    // the changes really happened
    const byId = new Map(mine.jobs.map((j) => [j.id, j]));
    assert.deepEqual([...byId.keys()], ["a", "b", "c", "d"]);
    assert.equal(byId.get("a")!.state, "completed");
    assert.equal(byId.get("b")!.state, "pending");
    assert.equal(byId.get("b")!.attempts, 0);
    assert.equal(byId.get("c")!.state, "failed");
    assert.equal(byId.get("c")!.exit_code, 7);
    assert.equal(byId.get("d")!.state, "processing");
    assert.deepEqual(mine.counts, { pending: 1, processing: 1, completed: 1, failed: 1, dead: 0 });

    // replayed from the log
    assert.deepEqual(await freshView(home), mine);

    // and from a snapshot, after compaction; enqueue order continues past the deleted job "e"
    const r = new FileStore(home);
    try {
      const res = await r.compact();
      assert.equal(res.generation, 2);
      assert.equal(res.jobs + res.archived, 4);
    } finally {
      r.close();
    }
    const fromSnapshot = await freshView(home);
    assert.deepEqual(fromSnapshot.jobs, mine.jobs);
    assert.deepEqual(fromSnapshot.counts, mine.counts);
    assert.equal(fromSnapshot.stopSeq, mine.stopSeq);
    assert.equal(fromSnapshot.head, mine.head + 1, "the seal is one record");
    const t = new FileStore(home);
    try {
      const [f] = jobsOf(await t.enqueue([spec("f")], { max_retries: 3 }));
      assert.equal(f.seq, 6, "the next enqueue order survives the snapshot (a..e took 1..5)");
    } finally {
      t.close();
    }
  }, HOME);
});

Deno.test("automatic compaction keeps one log segment and at most one snapshot, and loses nothing", async () => {
  await withHome(async (home) => {
    const s = new FileStore(home, { compactAfterBytes: 2000 });
    try {
      const generations = new Set<number>();
      // the threshold is also at least twice the live jobs' size: enough writes to pass it often
      for (let i = 0; i < 150; i++) {
        await s.enqueue([spec(`j${i}`)], { max_retries: 2 });
        const [job] = await claimFor(s, "w", 1, 60);
        assert.ok(job, "a job to claim");
        if (i % 3 === 0) await finishFail(s, "w", job);
        else await finishOk(s, "w", job);
        generations.add(s.log.generation);
        assertOneGeneration(home);
      }
      assert.ok(generations.size >= 3, `several generations expected, saw ${[...generations]}`);
      assert.ok(s.log.generation >= 3);

      const mine = await viewOf(s);
      assert.equal(mine.jobs.length, 150);
      assert.deepEqual(await freshView(home), mine);

      // an explicit compaction, and what it reports
      const gen = s.log.generation;
      const walSize = Deno.statSync(`${home}/wal-${String(gen).padStart(8, "0")}.jsonl`).size;
      const res = await s.compact();
      const next = String(gen + 1).padStart(8, "0");
      assert.equal(res.generation, gen + 1);
      assert.equal(s.log.generation, gen + 1);
      assert.equal(res.jobs + res.archived, 150);
      assert.equal(res.folded_bytes, walSize);
      assert.equal(res.snapshot_bytes, Deno.statSync(`${home}/snapshot-${next}.snap`).size);
      assert.equal(Deno.statSync(`${home}/wal-${next}.jsonl`).size, 0, "the new segment starts empty");
      assertOneGeneration(home);
      const jsonl: string[] = [];
      const walk = (dir: string, rel: string) => {
        for (const e of Deno.readDirSync(dir)) {
          if (e.isDirectory) walk(`${dir}/${e.name}`, `${rel}${e.name}/`);
          else if (e.name.endsWith(".jsonl")) jsonl.push(`${rel}${e.name}`);
        }
      };
      walk(home, "");
      assert.deepEqual(jsonl, [`wal-${next}.jsonl`], "the log segment is the only *.jsonl file");

      const after = await freshView(home);
      assert.deepEqual(after.jobs, mine.jobs);
      assert.deepEqual(after.counts, mine.counts);
      assert.equal(after.head, mine.head + 1);
    } finally {
      s.close();
    }
  }, HOME);
});

/** `a` wrote a0 in generation 1; then `b` compacted twice, writing b0, b1, b2 in between. */
async function idleWhileCompacted(a: FileStore, b: FileStore): Promise<void> {
  await a.enqueue([spec("a0")], { max_retries: 3 });
  await b.enqueue([spec("b0")], { max_retries: 3 });
  await b.compact();
  await b.enqueue([spec("b1")], { max_retries: 3 });
  await b.compact();
  await b.enqueue([spec("b2")], { max_retries: 3 });
}

Deno.test("a store left idle while another compacts twice then reads everything that store wrote", async () => {
  await withHome(async (home) => {
    const a = new FileStore(home);
    const b = new FileStore(home);
    try {
      await idleWhileCompacted(a, b);
      assert.deepEqual((await a.list()).map((j) => j.id), ["a0", "b0", "b1", "b2"]);
      assert.equal(await a.head(), await b.head());
    } finally {
      a.close();
      b.close();
    }
  }, HOME);
});

Deno.test("a store left idle while another compacts twice does not lose its next acknowledged write", async () => {
  await withHome(async (home) => {
    const a = new FileStore(home);
    const b = new FileStore(home);
    try {
      await idleWhileCompacted(a, b);
      const [a1] = jobsOf(await a.enqueue([spec("a1")], { max_retries: 3 }));
      assert.equal(a1.id, "a1");
      const seen = (await freshView(home)).jobs.map((j) => j.id);
      assert.deepEqual(seen, ["a0", "b0", "b1", "b2", "a1"], "the acknowledged enqueue of a1 survives");
      assertOneGeneration(home);
    } finally {
      a.close();
      b.close();
    }
  }, HOME);
});

Deno.test("a store that first read an empty home sees another store's writes after that store compacted", async () => {
  await withHome(async (home) => {
    const a = new FileStore(home);
    const b = new FileStore(home);
    try {
      assert.equal((await a.list()).length, 0);
      await b.enqueue([spec("b")], { max_retries: 3 });
      await b.compact();
      assert.deepEqual((await a.list()).map((j) => j.id), ["b"]);
      await a.enqueue([spec("a")], { max_retries: 3 });
      assert.deepEqual((await freshView(home)).jobs.map((j) => j.id), ["b", "a"]);
    } finally {
      a.close();
      b.close();
    }
  }, HOME);
});

Deno.test("a torn last line is ignored by readers and truncated by the next writer", async () => {
  await withHome(async (home) => {
    const s = new FileStore(home);
    let acked: View;
    try {
      await s.enqueue([spec("a")], { max_retries: 3 });
      await s.enqueue([spec("b")], { max_retries: 3 });
      acked = await viewOf(s);
    } finally {
      s.close();
    }
    const path = walPath(home);
    const good = Deno.readFileSync(path);
    const whole = encodeLine({ seq: 3, at: new Date().toISOString(), type: "delete", ids: ["a"] });
    const torn = whole.subarray(0, whole.length >> 1);
    assert.ok(!torn.includes(0x0a));
    Deno.writeFileSync(path, torn, { append: true });
    const tornFile = Deno.readFileSync(path);

    const reader = new FileStore(home);
    try {
      assert.deepEqual(await viewOf(reader), acked, "the reader sees exactly the acknowledged state");
      assert.deepEqual(Deno.readFileSync(path), tornFile, "a reader never truncates");

      const writer = new FileStore(home);
      try {
        const [c] = jobsOf(await writer.enqueue([spec("c")], { max_retries: 3 }));
        assert.equal(c.id, "c");
      } finally {
        writer.close();
      }
      const now = Deno.readFileSync(path);
      assert.equal(now[now.length - 1], 0x0a, "the log ends with a newline");
      assert.deepEqual(now.subarray(0, good.length), good, "the acknowledged bytes are untouched");
      const tail = decoder.decode(now.subarray(good.length));
      assert.equal(tail.split("\n").length, 2, "exactly one new line follows");
      assert.ok(!tail.includes(`"type":"delete"`), "the torn bytes are gone");
      assert.equal(JSON.parse(tail).seq, 3);

      // the reader that had stopped before the torn bytes catches up with the new record
      assert.deepEqual((await reader.list()).map((j) => j.id), ["a", "b", "c"]);
    } finally {
      reader.close();
    }
    const fresh = await freshView(home);
    assert.deepEqual(fresh.jobs.map((j) => j.id), ["a", "b", "c"]);
    assert.equal(fresh.head, 3);
    assertContiguous(walRecords(home).map((r) => r.seq), 1);
  }, HOME);
});

Deno.test("a whole last record missing only its newline is kept (its checksum proves it), not truncated", async () => {
  await withHome(async (home) => {
    const s = new FileStore(home);
    try {
      await s.enqueue([spec("a")], { max_retries: 3 });
      await s.enqueue([spec("b")], { max_retries: 3 });
    } finally {
      s.close();
    }
    const path = walPath(home);
    const bytes = Deno.readFileSync(path);
    assert.equal(bytes[bytes.length - 1], 0x0a);
    Deno.writeFileSync(path, bytes.subarray(0, bytes.length - 1)); // the last newline is lost

    const reader = new FileStore(home);
    try {
      assert.deepEqual(
        (await reader.list()).map((j) => j.id),
        ["a"],
        "a reader stops before the unterminated line",
      );
    } finally {
      reader.close();
    }
    const writer = new FileStore(home);
    try {
      await writer.enqueue([spec("c")], { max_retries: 3 });
      assert.deepEqual((await writer.list()).map((j) => j.id), ["a", "b", "c"], "b was kept");
    } finally {
      writer.close();
    }
    const after = Deno.readFileSync(path);
    assert.deepEqual(after.subarray(0, bytes.length), bytes, "the newline was restored in place");
    const fresh = await freshView(home);
    assert.deepEqual(fresh.jobs.map((j) => j.id), ["a", "b", "c"]);
    assertContiguous(walRecords(home).map((r) => r.seq), 1);
  }, HOME);
});

/** Four single-job writes: log lines 1..4 of wal-00000001.jsonl. */
async function fourLines(home: string): Promise<void> {
  const s = new FileStore(home);
  try {
    for (const id of ["a", "b", "c", "d"]) await s.enqueue([spec(id)], { max_retries: 3 });
  } finally {
    s.close();
  }
  assert.equal(walRecords(home).length, 4);
}

Deno.test("a flipped byte in an earlier log line fails the open naming the file and line, and changes nothing", async () => {
  await withHome(async (home) => {
    await fourLines(home);
    flipByteInLine(`${home}/wal-00000001.jsonl`, 2);
    await assertCorrupt(home, "wal-00000001.jsonl", 2, /checksum/);
  }, HOME);
});

Deno.test("a flipped byte in the complete last log line is corruption, not a torn append", async () => {
  await withHome(async (home) => {
    await fourLines(home);
    const path = `${home}/wal-00000001.jsonl`;
    flipByteInLine(path, 4);
    const bytes = Deno.readFileSync(path);
    assert.equal(bytes[bytes.length - 1], 0x0a);
    await assertCorrupt(home, "wal-00000001.jsonl", 4, /checksum/);
  }, HOME);
});

Deno.test("a flipped byte in a snapshot fails the open naming the snapshot file and line", async () => {
  await withHome(async (home) => {
    await fourLines(home);
    const s = new FileStore(home);
    try {
      await s.compact();
      await s.enqueue([spec("e")], { max_retries: 3 });
    } finally {
      s.close();
    }
    flipByteInLine(`${home}/snapshot-00000002.snap`, 4); // header, ended lines' directory, a, b: job "b"
    // an enqueue that depends on "b" uses it (one that does not may go on: "b" is checked when used)
    await assertCorrupt(
      home,
      "snapshot-00000002.snap",
      4,
      /checksum/,
      spec("after-corruption", { after: ["b"] }),
    );
  }, HOME);
});

Deno.test("a writer checks a snapshot's job line when a decision uses its job: an enqueue naming none goes on, a claim reaching it and a compaction refuse (before any seal)", async () => {
  await withHome(async (home) => {
    await snapshotWithDamagedB(home);
    const before = snapshotFiles(home);
    const writer = new FileStore(home);
    try {
      // an enqueue that names no damaged job is decided on checked lines only
      await writer.enqueue([spec("e")], { max_retries: 3 });
      await assert.rejects(
        writer.get("b"),
        /snapshot-00000002\.snap is corrupt at line 4: checksum mismatch/,
      );
      // a claim parses only the jobs it inspects: the first takes "a", the next finds "b" at the head
      const [first] = await writer.claim({
        worker: "w1",
        slots: [{ sid: null, out: null }],
        leaseSeconds: 30,
      });
      assert.equal(first?.id, "a");
      await assert.rejects(
        writer.claim({ worker: "w1", slots: [{ sid: null, out: null }], leaseSeconds: 30 }),
        /snapshot-00000002\.snap is corrupt at line 4/,
      );
      await assert.rejects(writer.compact(), /snapshot-00000002\.snap is corrupt at line 4/);
    } finally {
      writer.close();
    }
    const after = snapshotFiles(home);
    assert.deepEqual(after.get("snapshot-00000002.snap"), before.get("snapshot-00000002.snap"));
    const records = walRecords(home);
    assert.deepEqual(
      records.map((r) => r.type),
      ["enqueue", "claim"],
      "the enqueue and the first claim: no seal",
    );
  }, HOME);
});

Deno.test("a reader parses a snapshot's jobs only as it uses them: counts answer, the damaged job fails naming its line", async () => {
  await withHome(async (home) => {
    await snapshotWithDamagedB(home);
    const reader = new FileStore(home);
    try {
      assert.equal((await reader.counts()).pending, 3, "the header's counts need no job line");
      assert.equal((await reader.get("a"))?.id, "a");
      assert.deepEqual((await reader.list({ limit: 1 })).map((j) => j.id), ["a"], "list stops before b");
      await assert.rejects(
        reader.get("b"),
        /snapshot-00000002\.snap is corrupt at line 4: checksum mismatch/,
      );
      await assert.rejects(reader.list(), /snapshot-00000002\.snap is corrupt at line 4/);
    } finally {
      reader.close();
    }
  }, HOME);
});

Deno.test("a duplicated log line fails the open with a sequence error naming the line", async () => {
  await withHome(async (home) => {
    await fourLines(home);
    const path = `${home}/wal-00000001.jsonl`;
    const lines = decoder.decode(Deno.readFileSync(path)).split("\n");
    lines.splice(2, 0, lines[1]); // line 2 again as line 3
    Deno.writeFileSync(path, encoder.encode(lines.join("\n")));
    await assertCorrupt(home, "wal-00000001.jsonl", 3, /sequence/);
  }, HOME);
});

// ---------------------------------------------------------------------------------------------
// crash points

/**
 * Gen 2 with a snapshot (one archived job) and a non-empty log: 8 acknowledged jobs in every state
 * but dead, one of them completed since the snapshot (so the next compaction archives it).
 */
async function populate(home: string): Promise<Job[]> {
  const s = new FileStore(home);
  try {
    await s.enqueue([spec("p1"), spec("p2"), spec("p3", { max_retries: 1 }), spec("p4"), spec("p5")], {
      max_retries: 3,
    });
    const [p1, p2] = await claimFor(s, "w1", 2, 600);
    await finishOk(s, "w1", p1);
    await finishFail(s, "w1", p2);
    await s.compact();
    const [p3] = await claimFor(s, "w1", 1, 600);
    await finishOk(s, "w1", p3);
    await s.enqueue([spec("q1")], { max_retries: 3 });
    await s.enqueue([spec("q2"), spec("q3")], { max_retries: 3 });
    await claimFor(s, "w2", 1, 600);
    assert.equal(s.log.generation, 2);
    const jobs = await s.list();
    assert.equal(jobs.length, 8);
    return jobs;
  } finally {
    s.close();
  }
}

const CRASH_POINTS: Array<[point: string, action: "compact" | "enqueue"]> = [
  ["sealed", "compact"],
  ...["jobs", "index"].flatMap((file) =>
    ["written", "synced", "renamed", "dir-synced"].map((step): [string, "compact"] => [
      `archive-${file}-${step}`,
      "compact",
    ])
  ),
  ["snapshot-written", "compact"],
  ["snapshot-synced", "compact"],
  ["snapshot-renamed", "compact"],
  ["dir-synced", "compact"],
  ["wal-created", "compact"],
  ["old-removed", "compact"],
  ["append-half", "enqueue"],
  ["append-written", "enqueue"],
];

for (const [point, action] of CRASH_POINTS) {
  Deno.test(`a writer killed at ${point} (during ${action}) leaves every acknowledged job readable and the store writable`, async () => {
    await withHome(async (home) => {
      const acked = await populate(home);
      const out = await runChild(["crash", home, action], { QUEUECTL_CRASH_AT: point });
      assert.equal(out.signal, "SIGKILL", `the child dies at ${point}: ${describe(out)}`);
      assert.ok(!decoder.decode(out.stdout).includes("survived"));

      const s = new FileStore(home);
      try {
        // first a read, as a worker does before it claims
        const first = await viewOf(s);
        assertNoDuplicates(first.jobs, first.counts);
        const extra = first.jobs.filter((j) => !acked.some((a) => a.id === j.id));
        if (action === "compact") {
          assert.deepEqual(first.jobs, acked, "a compaction changes no job");
        } else {
          assert.deepEqual(first.jobs.filter((j) => j.id !== "unacked"), acked);
          assert.ok(extra.length <= 1);
          if (extra.length === 1) {
            assert.equal(extra[0].id, "unacked");
            assert.equal(extra[0].state, "pending");
          }
        }

        // then writes
        await s.enqueue([spec("after-1")], { max_retries: 3 });
        const afterOne = await viewOf(s);
        assert.deepEqual(
          afterOne.jobs.map((j) => j.id),
          [...first.jobs.map((j) => j.id), "after-1"],
        );
        assert.deepEqual(await freshView(home), afterOne, "a fresh open agrees after the first write");

        const res = await s.compact();
        assert.equal(res.jobs + res.archived, afterOne.jobs.length);
        assert.equal(res.generation, s.log.generation);
        await s.enqueue([spec("after-2")], { max_retries: 3 });
        assertOneGeneration(home);
        const mine = await viewOf(s);
        assert.deepEqual(await freshView(home), mine, "a fresh open agrees after compacting");
        assertNoDuplicates(mine.jobs, mine.counts);
        assert.deepEqual(mine.jobs.slice(0, acked.length), acked);
      } finally {
        s.close();
      }

      // a brand-new writer removes whatever temp file the crash left, and still agrees
      const t = new FileStore(home);
      try {
        await t.enqueue([spec("after-3")], { max_retries: 3 });
        const theirs = await viewOf(t);
        assert.deepEqual(await freshView(home), theirs);
        assert.deepEqual(names(home).filter((n) => n.endsWith(".tmp")), [], "no temp file remains");
        assertOneGeneration(home);
        assertContiguous(walRecords(home).map((r) => r.seq));
      } finally {
        t.close();
      }
    }, HOME);
  });
}

Deno.test("a crash after the seal is completed by a fresh writer that writes first", async () => {
  await withHome(async (home) => {
    const acked = await populate(home);
    const out = await runChild(["crash", home, "compact"], { QUEUECTL_CRASH_AT: "sealed" });
    assert.equal(out.signal, "SIGKILL", describe(out));
    const s = new FileStore(home);
    try {
      await s.enqueue([spec("after")], { max_retries: 3 });
      assert.ok(names(home).includes("snapshot-00000003.snap"), "the writer completed the compaction");
    } finally {
      s.close();
    }
    const view = await freshView(home);
    assert.deepEqual(view.jobs.slice(0, acked.length), acked);
    assert.deepEqual(view.jobs.map((j) => j.id).slice(acked.length), ["after"]);
    assertOneGeneration(home);
  }, HOME);
});

// ---------------------------------------------------------------------------------------------
// concurrency

Deno.test("four processes enqueueing and one claiming at once leave every job exactly once and seq contiguous", async () => {
  await withHome(async (home) => {
    const prefixes = ["alpha", "bravo", "charlie", "delta"];
    const outs = await Promise.all([
      ...prefixes.map((p) => runChild(["enqueue", home, p, "50"])),
      runChild(["claimer", home, "200"]),
    ]);
    for (const out of outs) assert.equal(out.code, 0, describe(out));

    const view = await freshView(home);
    const expected = prefixes.flatMap((p) => Array.from({ length: 50 }, (_, i) => `${p}-${i}`)).sort();
    assert.deepEqual(view.jobs.map((j) => j.id).sort(), expected);
    assert.equal(view.counts.completed, 200);
    assert.equal(totalOf(view.counts), 200);
    for (const job of view.jobs) assert.equal(job.attempts, 1, `${job.id} ran once`);

    const records = walRecords(home);
    assertContiguous(records.map((r) => r.seq), 1);
    assert.equal(view.head, records.length);
    const enqueued = records.filter((r) => r.type === "enqueue").flatMap((r) => r.jobs.map((j: Job) => j.id));
    assert.equal(enqueued.length, 200, "200 enqueued jobs in the log");
    assert.equal(new Set(enqueued).size, 200, "each enqueued exactly once");
    const orders = view.jobs.map((j) => j.seq);
    assert.equal(new Set(orders).size, 200, "each job has its own enqueue order");
  }, HOME);
});

Deno.test("twenty concurrent enqueues in one process all commit, and a duplicate among them alone is refused", async () => {
  await withHome(async (home) => {
    const s = new FileStore(home);
    try {
      const results = await Promise.allSettled([
        ...Array.from({ length: 20 }, (_, i) => s.enqueue([spec(`g${i}`)], { max_retries: 3 })),
        s.enqueue([spec("g3")], { max_retries: 3 }),
      ]);
      const rejected = results.filter((r) => r.status === "rejected");
      assert.equal(rejected.length, 1, "only the repeated id is refused");
      assert.match(String((rejected[0] as PromiseRejectedResult).reason), /g3/);
      assert.equal(results.slice(0, 20).every((r) => r.status === "fulfilled"), true);
      const jobs = (await freshView(home)).jobs;
      assert.deepEqual(jobs.map((j) => j.id), Array.from({ length: 20 }, (_, i) => `g${i}`));
      const records = walRecords(home);
      assert.equal(records.length, 20);
      assertContiguous(records.map((r) => r.seq), 1);
    } finally {
      s.close();
    }
  }, HOME);
});

Deno.test("readers and writers wait for a process holding the exclusive lock, then see its commit", async () => {
  await withHome(async (home) => {
    const s = new FileStore(home);
    try {
      await s.enqueue([spec("first")], { max_retries: 3 });
    } finally {
      s.close();
    }
    const child = new Deno.Command(DENO, {
      args: ["run", "-A", CHILD, "hold-lock", home],
      cwd: ROOT,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const holder = child.stdin.getWriter();
    let stdout = "";
    let locked!: () => void;
    const lockedSignal = new Promise<void>((r) => locked = r);
    const pumpOut = (async () => {
      for await (const chunk of child.stdout) {
        stdout += decoder.decode(chunk, { stream: true });
        if (stdout.includes("locked\n")) locked();
      }
    })();
    const stderrText = new Response(child.stderr).text();
    const status = child.status;
    await Promise.race([
      lockedSignal,
      status.then(async (st) => {
        throw new Error(`lock holder exited early (${st.code}): ${await stderrText}`);
      }),
    ]);

    const reader = new FileStore(home);
    const writer = new FileStore(home);
    try {
      let settled = "";
      const read = reader.get("from-holder").finally(() => settled ||= "the reader");
      const write = writer.enqueue([spec("during")], { max_retries: 3 }).then(jobsOf).finally(() =>
        settled ||= "the writer"
      );
      // both block on store.lock, in this process, while the holder has it
      await waitFor(
        () =>
          lockWaiters(`${home}/store.lock`).filter((pid) => pid === Deno.pid).length === 2 || settled !== "",
        "the reader and the writer to wait for the lock",
      );
      assert.equal(settled, "", `${settled} went ahead while another process held the lock`);
      await holder.write(new TextEncoder().encode("release\n"));
      const job = await read;
      const jobs = await write;
      assert.equal(job?.id, "from-holder", "the reader sees the record committed under the lock");
      assert.equal(jobs[0].id, "during");
    } finally {
      await holder.close().catch(() => {});
      reader.close();
      writer.close();
    }
    const st = await status;
    await pumpOut;
    assert.equal(st.code, 0, await stderrText);
    assert.match(stdout, /locked\nreleased\n/);
    const view = await freshView(home);
    assert.deepEqual(view.jobs.map((j) => j.id), ["first", "from-holder", "during"]);
    assertContiguous(walRecords(home).map((r) => r.seq), 1);
  }, HOME);
});
