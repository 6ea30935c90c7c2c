/**
 * Retention in the file store: archive segments dropped whole or pruned job by job, facts of older
 * segments learned once, the count of attempts per output file and the removal of the files no job
 * needs, retention applied by compaction, and all of it the same in a fresh store.
 */
import assert from "node:assert/strict";
import type { Job, Outcome } from "../../src/job.ts";
import { FileStore } from "../../src/store/file_store.ts";
import type { LogOptions } from "../../src/store/log.ts";
import { homePaths, scanGenerations } from "../../src/store/paths.ts";
import { encodeSnapshot, readSnapshot } from "../../src/store/snapshot.ts";
import { ManualClock, T0, withHome } from "../../testkit/mod.ts";

const CONFIG = { backoff_base: 1, backoff_max: 1 };
const HOME = { prefix: "qctl-prune-", create: true };
const H = 3600_000;
const ok: Outcome = { kind: "exited", code: 0 };
const iso = (ms: number) => new Date(T0 + ms).toISOString();

/** Runs `ids` to `outcome` now, each attempt's output in `out(id)` (a file under logs/, or none). */
async function run(
  store: FileStore,
  ids: string[],
  outcome: Outcome = ok,
  worker = "w-test",
  out: (id: string) => string | null = () => null,
): Promise<void> {
  await store.enqueue(ids.map((id) => ({ id, command: `echo ${id}`, max_retries: 0 })), { max_retries: 0 });
  for (const id of ids) {
    const file = out(id);
    const [job] = await store.claim({
      worker,
      slots: [{ sid: null, out: file ? [file, 0] : null }],
      leaseSeconds: 60,
    });
    assert.equal(job.id, id);
    await finish(store, worker, job, outcome);
  }
}

function finish(store: FileStore, worker: string, job: Job, outcome: Outcome) {
  return store.finish({
    worker,
    id: job.id,
    claim: job.claim,
    outcome,
    tail: null,
    out_end: 10,
    config: CONFIG,
  });
}

function open(home: string, clock: ManualClock, options: LogOptions = {}): FileStore {
  return new FileStore(home, { clock, compactAfterBytes: 1 << 30, ...options });
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

function header(home: string): Record<string, unknown> {
  const snap = scanGenerations(home).snapshots.at(-1)!;
  return JSON.parse(Deno.readTextFileSync(homePaths(home).snapshot(snap)).split("\n")[0]);
}

Deno.test("a segment whose jobs all finished before the cutoff is dropped whole; the old jobs of a newer one are tombstoned", () =>
  withHome(async (home) => {
    const clock = new ManualClock();
    const store = open(home, clock);
    try {
      await run(store, ids("a", 5)); // T0
      await store.compact(); // segment of a*
      clock.advance(H);
      await run(store, ids("b", 5)); // T0+1h
      clock.advance(H);
      await run(store, ids("c", 5)); // T0+2h
      await store.compact(); // one segment of b* and c*
      await run(store, ["live-old"]); // T0+2h, still live
      const segs = header(home).archive as Array<{ n: number; facts: { max_finished: string } }>;
      assert.equal(segs.length, 2);
      assert.equal(segs[0].facts.max_finished, iso(0));
      const r = await store.prune({ completedBefore: iso(1.5 * H), deadBefore: null });
      assert.deepEqual([r.completed, r.dead, r.segments, r.more], [10, 0, 1, false]);
      assert.equal(await store.get("a0"), undefined);
      assert.equal(await store.get("b4"), undefined);
      assert.equal((await store.get("c0"))?.state, "completed");
      assert.deepEqual((await store.counts()).completed, 6);
      assert.deepEqual((await store.list({ state: "completed" })).map((j) => j.id), [
        ...ids("c", 5),
        "live-old",
      ]);
      await store.compact();
      const after = header(home);
      assert.deepEqual((after.archive as Array<{ n: number }>).map((s) => s.n).includes(segs[0].n), false);
      assert.equal(
        scanGenerations(home).archives.includes(segs[0].n),
        false,
        "the dropped segment's files are gone",
      );
      assert.equal(after.archived, 6);
    } finally {
      store.close();
    }
    const fresh = open(home, clock);
    try {
      assert.equal((await fresh.counts()).completed, 6);
      assert.equal(await fresh.get("b0"), undefined);
      assert.deepEqual((await fresh.list()).map((j) => j.id), [...ids("c", 5), "live-old"]);
      // the ids are free again
      await fresh.enqueue([{ id: "a0", command: "true" }, { id: "b0", command: "true" }], { max_retries: 0 });
    } finally {
      fresh.close();
    }
  }, HOME));

Deno.test("a segment written before segments kept their facts is read once, by the prune that needs them", () =>
  withHome(async (home) => {
    const clock = new ManualClock();
    let store = open(home, clock);
    await run(store, ids("a", 4));
    await store.compact();
    store.close();
    // as an older queuectl wrote it: no facts in the snapshot's record of the segment
    const paths = homePaths(home);
    const gen = scanGenerations(home).snapshots.at(-1)!;
    const state = readSnapshot(paths.snapshot(gen));
    state.archive = state.archive.map(({ facts: _, ...seg }) => seg);
    Deno.writeFileSync(paths.snapshot(gen), encodeSnapshot(state, gen));
    clock.advance(H);
    store = open(home, clock);
    try {
      const none = await store.prune({ completedBefore: iso(-H), deadBefore: null });
      assert.equal(none.completed, 0);
      const wal = () => Deno.readTextFileSync(paths.wal(gen));
      assert.match(
        wal(),
        /"type":"prune","ids":\[\],"facts":\[\[1,\{"min_finished":"2030-01-01T00:00:00.000Z"/,
      );
      const r = await store.prune({ completedBefore: iso(H), deadBefore: null });
      assert.deepEqual([r.completed, r.segments], [4, 1]);
      assert.equal(
        wal().match(/"facts"/g)?.length,
        1,
        "learned once: the second prune read the record's facts",
      );
      assert.deepEqual(await store.counts(), { pending: 0, processing: 0, completed: 0, failed: 0, dead: 0 });
    } finally {
      store.close();
    }
  }, HOME));

Deno.test("a slot output file goes once no attempt of an existing job points into it and no live worker may write to it", () =>
  withHome(async (home) => {
    const clock = new ManualClock();
    const paths = homePaths(home);
    Deno.mkdirSync(paths.logsDir);
    const files = [
      "w-dead-slot-1.out",
      "w-dead-slot-1-2.out",
      "w-dead-slot-2.out",
      "w-live-slot-1.out",
      "w-live-slot-1-2.out",
      "w-live-slot-2.out",
      "notes.txt",
      "old-job.log",
    ];
    for (const f of files) Deno.writeTextFileSync(`${paths.logsDir}/${f}`, "x\n");
    const left = () => [...Deno.readDirSync(paths.logsDir)].map((e) => e.name).sort();
    const store = open(home, clock, { liveWorker: (id) => id === "w-live" });
    try {
      await run(store, ["a"], ok, "w-dead", () => "w-dead-slot-1.out");
      await run(store, ["b"], ok, "w-dead", () => "w-dead-slot-1-2.out");
      await run(store, ["c"], { kind: "exited", code: 1 }, "w-live", () => "w-live-slot-1.out");
      assert.deepEqual(
        await store.log.removeUnusedOutputs(),
        ["w-dead-slot-2.out"],
        "a dead worker's file no job uses",
      );
      await store.delete(["a"]);
      assert.deepEqual(await store.log.removeUnusedOutputs(), ["w-dead-slot-1.out"]);
      await store.compact(); // b is archived; its attempt still counts
      assert.deepEqual(left(), [
        "notes.txt",
        "old-job.log",
        "w-dead-slot-1-2.out",
        "w-live-slot-1-2.out",
        "w-live-slot-1.out",
        "w-live-slot-2.out",
      ]);
    } finally {
      store.close();
    }
    clock.advance(H);
    const fresh = open(home, clock, { liveWorker: (id) => id === "w-live" });
    try {
      const r = await fresh.prune({
        completedBefore: clock.now().toISOString(),
        deadBefore: clock.now().toISOString(),
      });
      assert.deepEqual([r.completed, r.dead], [1, 1]);
      // the live worker's older part goes; the newest part of each of its slots stays
      assert.deepEqual(left(), ["notes.txt", "old-job.log", "w-live-slot-1-2.out", "w-live-slot-2.out"]);
    } finally {
      fresh.close();
    }
  }, HOME));

Deno.test("attempts per output file: a retried job counts each attempt, a claim given back counts none, and the count survives a restart", () =>
  withHome(async (home) => {
    const clock = new ManualClock();
    const paths = homePaths(home);
    Deno.mkdirSync(paths.logsDir);
    for (const f of ["w-x-slot-1.out", "w-x-slot-2.out", "w-x-slot-3.out"]) {
      Deno.writeTextFileSync(`${paths.logsDir}/${f}`, "");
    }
    let store = open(home, clock, { liveWorker: () => false });
    await store.enqueue([{ id: "r", command: "false", max_retries: 1 }], { max_retries: 0 });
    const claimIn = async (file: string) =>
      (await store.claim({ worker: "w-x", slots: [{ sid: null, out: [file, 0] }], leaseSeconds: 60 }))[0];
    const first = await claimIn("w-x-slot-1.out");
    await finish(store, "w-x", first, { kind: "exited", code: 1 });
    clock.advance(5000);
    const given = await claimIn("w-x-slot-3.out");
    await store.unclaim("w-x", given.id, given.claim!);
    const second = await claimIn("w-x-slot-2.out");
    await finish(store, "w-x", second, { kind: "exited", code: 1 });
    assert.equal((await store.get("r"))?.state, "dead");
    assert.deepEqual(await store.log.removeUnusedOutputs(), ["w-x-slot-3.out"]);
    await store.compact();
    store.close();
    assert.deepEqual(header(home).outputs, [["w-x-slot-1.out", 1], ["w-x-slot-2.out", 1]]);
    store = open(home, clock, { liveWorker: () => false });
    try {
      await store.delete(["r"]);
      assert.deepEqual((await store.log.removeUnusedOutputs()).sort(), ["w-x-slot-1.out", "w-x-slot-2.out"]);
    } finally {
      store.close();
    }
  }, HOME));

Deno.test("a home whose snapshot did not count attempts removes no output file until a compaction has counted them", () =>
  withHome(async (home) => {
    const clock = new ManualClock();
    const paths = homePaths(home);
    Deno.mkdirSync(paths.logsDir);
    for (const f of ["w-x-slot-1.out", "w-x-slot-2.out"]) Deno.writeTextFileSync(`${paths.logsDir}/${f}`, "");
    let store = open(home, clock, { liveWorker: () => false });
    await run(store, ["keep"], ok, "w-x", () => "w-x-slot-1.out");
    await store.compact();
    store.close();
    const gen = scanGenerations(home).snapshots.at(-1)!;
    const state = readSnapshot(paths.snapshot(gen));
    state.outputs = null;
    Deno.writeFileSync(paths.snapshot(gen), encodeSnapshot(state, gen));
    store = open(home, clock, { liveWorker: () => false });
    try {
      assert.deepEqual(await store.log.removeUnusedOutputs(), [], "unknown: nothing goes");
      await store.compact();
      assert.deepEqual(header(home).outputs, [["w-x-slot-1.out", 1]], "counted from the archive");
      assert.deepEqual(
        await store.log.removeUnusedOutputs(),
        [],
        "compaction removed the unused one already",
      );
      assert.deepEqual([...Deno.readDirSync(paths.logsDir)].map((e) => e.name), ["w-x-slot-1.out"]);
    } finally {
      store.close();
    }
  }, HOME));

Deno.test("with retention configured, compaction prunes the old finished jobs first, archived ones included", () =>
  withHome(async (home) => {
    const clock = new ManualClock();
    const store = open(home, clock, { retention: () => ({ completed: 2 * 3600, dead: 3600 }) });
    try {
      await run(store, ids("old", 3));
      await run(store, ["dead-old"], { kind: "exited", code: 1 });
      await store.compact(); // nothing is old yet: archives old*
      assert.equal((await store.counts()).completed, 3);
      clock.advance(1.5 * H);
      await run(store, ["new"]);
      await run(store, ["dead-new"], { kind: "exited", code: 1 });
      await store.compact(); // dead-old is past an hour: it goes; completed ones are not past two
      assert.equal(await store.get("dead-old"), undefined);
      assert.deepEqual((await store.counts()).completed, 4);
      clock.advance(H);
      await store.compact();
      assert.deepEqual((await store.list()).map((j) => j.id), ["new", "dead-new"]);
      assert.deepEqual(await store.counts(), { pending: 0, processing: 0, completed: 1, failed: 0, dead: 1 });
      assert.equal(header(home).archived, 1);
    } finally {
      store.close();
    }
  }, HOME));

Deno.test("jobs from before 0.2 (no attempts, a logs/<id>.log each) take their log file with them when pruned, archived or live", () =>
  withHome(async (home) => {
    const paths = homePaths(home);
    Deno.mkdirSync(paths.logsDir);
    // a log as 0.1 wrote it: whole jobs in the enqueue record, no runs, output in logs/<id>.log
    const legacy = (id: string, seq: number) => ({
      id,
      command: `echo ${id}`,
      state: "completed",
      attempts: 1,
      max_retries: 3,
      priority: 0,
      run_at: iso(0),
      timeout: null,
      cwd: null,
      created_at: iso(0),
      updated_at: iso(0),
      exit_code: 0,
      last_error: null,
      worker: null,
      lease_until: null,
      pid: null,
      pid_start: null,
      started_at: iso(0),
      finished_at: iso(0),
      output_tail: null,
      seq,
    });
    const { encodeLine } = await import("../../src/store/codec.ts");
    Deno.writeFileSync(
      paths.wal(1),
      encodeLine({ seq: 1, at: iso(0), type: "enqueue", jobs: [legacy("old-a", 1)] }),
    );
    for (const id of ["old-a", "old-b", "unrelated"]) {
      Deno.writeTextFileSync(paths.jobLog(id), `${id} output\n`);
    }
    const clock = new ManualClock(T0 + H);
    const store = open(home, clock);
    try {
      await store.compact(); // old-a goes to the archive, in a segment whose facts count it as legacy
      await store.log.write((s) => ({
        records: [{ type: "enqueue", jobs: [{ ...legacy("old-b", s.nextOrder) } as unknown as Job] }],
        result: null,
      }));
      assert.equal((await store.get("old-b"))?.state, "completed");
      const r = await store.prune({ completedBefore: iso(H), deadBefore: null });
      assert.deepEqual([r.completed, r.segments], [2, 1]);
      assert.deepEqual(r.legacy.sort(), ["old-a", "old-b"]);
      assert.deepEqual([...Deno.readDirSync(paths.logsDir)].map((e) => e.name), ["unrelated.log"]);
    } finally {
      store.close();
    }
  }, HOME));
