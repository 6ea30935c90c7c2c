import assert from "node:assert/strict";
import { CorruptionError } from "../errors.ts";
import { isWaiting, type Job } from "../job.ts";
import { jobIn as job } from "./_testing.ts";
import { concat, crc32, decodeLine, encodeLine, splitLines } from "./codec.ts";
import { IdFilter } from "./id_filter.ts";
import { encodeSnapshot, readSnapshot } from "./snapshot.ts";
import { QueueState } from "./state.ts";

const AT = "2026-03-01T12:00:00.000Z";

/** A history: dead and completed jobs, and among them the few that may still run. */
const JOBS = [
  job("d1", 1, "dead", { attempts: 1, last_error: "exit 4" }),
  job("p1", 2, "pending", { unique: "k1" }),
  job("c1", 3, "completed", { attempts: 1 }),
  job("r1", 4, "processing", { attempts: 1, worker: "w1", claim: 9 }),
  job("d2", 5, "dead", { unique: "k2", attempts: 1 }),
  job("f1", 6, "failed", { attempts: 1, run_at: "2026-03-01T13:00:00.000Z" }),
];
const ENDED = ["d1", "c1", "d2"];

function stateOf(jobs: Job[]): QueueState {
  const state = new QueueState();
  for (const j of jobs) state.put(j);
  state.seq = 20;
  state.nextOrder = jobs.length + 1;
  return state;
}

/** Runs `fn` with a temp directory, removed afterwards; `written(bytes)` writes a snapshot file there. */
function inTemp(fn: (written: (bytes: Uint8Array) => string) => void): () => void {
  return () => {
    const dir = Deno.makeTempDirSync({ prefix: "qctl-snapshot-test-" });
    let n = 0;
    try {
      fn((bytes) => {
        const path = `${dir}/snapshot-${String(++n).padStart(8, "0")}.snap`;
        Deno.writeFileSync(path, bytes);
        return path;
      });
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  };
}

function headerOf(bytes: Uint8Array): Record<string, unknown> {
  const r = decodeLine(bytes, 0, bytes.indexOf(0x0a));
  assert.ok(r.ok);
  return r.value;
}

/** The snapshot with its header changed by `change`, sealed again (as a writer of that header would). */
function withHeader(bytes: Uint8Array, change: (header: Record<string, unknown>) => void): Uint8Array {
  const header = headerOf(bytes);
  change(header);
  return concat([encodeLine(header), bytes.subarray(bytes.indexOf(0x0a) + 1)]);
}

/**
 * As queuectl before version 6 wrote it (from a version 6 file): every job line in enqueue order,
 * each named in the header (a waiting one's key by its place among them), no line 2.
 */
function version5(bytes: Uint8Array): Uint8Array {
  const header = headerOf(bytes);
  const lines = splitLines(bytes).lines.slice(2, -1).map(([s, e]) => bytes.subarray(s, e + 1));
  const jobs = lines.map((line) => {
    const r = decodeLine(line, 0, line.length - 1);
    assert.ok(r.ok);
    return r.value as unknown as Job;
  });
  const order = jobs.map((_, i) => i).sort((a, b) => jobs[a].seq - jobs[b].seq);
  const body = concat(order.map((i) => lines[i]));
  header.version = 5;
  delete header.ended;
  header.ids = order.map((i) => jobs[i].id);
  header.lengths = order.map((i) => lines[i].length);
  header.states = order.map((i) => jobs[i].state);
  header.keys = order.flatMap((i, k) => {
    const j = jobs[i];
    return isWaiting(j.state) ? [[k, j.queue, j.priority, j.seq, j.run_at]] : [];
  });
  header.body_crc = crc32(body);
  return concat([encodeLine(header), body, encodeLine({ end: true, jobs: jobs.length })]);
}

/** As queuectl before version 5 wrote it: no `keys` in the header. */
function version4(bytes: Uint8Array): Uint8Array {
  return withHeader(version5(bytes), (h) => {
    h.version = 4;
    delete h.keys;
  });
}

/** As queuectl before version 4 wrote it: no `states` (nor `keys`) in the header. */
function version3(bytes: Uint8Array): Uint8Array {
  return withHeader(version5(bytes), (h) => {
    h.version = 3;
    delete h.states;
    delete h.keys;
  });
}

/** The keys of JOBS as version 6 writes them: the waiting jobs p1 and f1, by their place among p1, r1, f1. */
const KEYS = [[0, "default", 0, 2, null], [2, "default", 0, 6, "2026-03-01T13:00:00.000Z"]];
const LIVE = ["p1", "r1", "f1"];

/** The line (1-based) of the file holding job `id`. */
function lineOf(bytes: Uint8Array, id: string): number {
  const lines = splitLines(bytes).lines;
  const i = lines.findIndex(([s, e]) => {
    const r = decodeLine(bytes, s, e);
    return r.ok && r.value.id === id;
  });
  assert.ok(i >= 0, `no line holds ${id}`);
  return i + 1;
}

function readBoth(path: string, check: (state: QueueState, whole: boolean) => void): void {
  for (const whole of [true, false]) {
    const state = readSnapshot(path, whole);
    try {
      check(state, whole);
    } finally {
      state.jobs.release();
    }
  }
}

function throwsCorruption(fn: () => unknown, line: number, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CorruptionError, `expected a CorruptionError, got ${e}`);
    assert.match(e.message, new RegExp(`line ${line}\\b`));
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test(
  "a snapshot is written as version 6: the jobs that may still run named in its header, the ended ones on line 2",
  () => {
    const bytes = encodeSnapshot(stateOf(JOBS), 2);
    const header = headerOf(bytes);
    assert.strictEqual(header.version, 6);
    assert.strictEqual(header.jobs, JOBS.length);
    assert.deepStrictEqual(header.ids, LIVE);
    assert.deepStrictEqual(header.states, ["pending", "processing", "failed"]);
    assert.deepStrictEqual(header.keys, KEYS);
    const lines = splitLines(bytes).lines;
    const directory = decodeLine(bytes, lines[1][0], lines[1][1]);
    assert.ok(directory.ok);
    assert.deepStrictEqual(directory.value.ids, ENDED);
    assert.deepStrictEqual(directory.value.states, ["dead", "completed", "dead"]);
    const ended = header.ended as Record<string, unknown>;
    assert.strictEqual(ended.jobs, ENDED.length);
    assert.strictEqual(ended.directory_bytes, lines[1][1] - lines[1][0] + 1);
    const filter = IdFilter.read(ended.filter);
    assert.ok(typeof filter !== "string");
    for (const id of ENDED) assert.ok(filter.mayHold(id));
    // the lines: the three that may still run, then the three ended ones, each run in enqueue order
    assert.deepStrictEqual([...LIVE, ...ENDED].map((id) => lineOf(bytes, id)), [3, 4, 5, 6, 7, 8]);
  },
);

Deno.test(
  "a version 6 snapshot reads as it was written, whole and lazily, jobs in enqueue order either way",
  inTemp((written) => {
    readBoth(written(encodeSnapshot(stateOf(JOBS), 2)), (state) => {
      assert.deepStrictEqual([...state.jobs.inOrder()], JOBS);
      assert.deepStrictEqual([...state.jobs.inOrderDesc()], [...JOBS].reverse());
      assert.deepStrictEqual(state.jobs.get("d2"), JOBS[4]);
      assert.strictEqual(state.jobs.size, JOBS.length);
    });
  }),
);

Deno.test(
  "a claim, a check that a new id is free and a lookup of an unknown id never read line 2; an ended job's lookup does",
  inTemp((written) => {
    const bytes = encodeSnapshot(stateOf(JOBS), 2);
    const at = new TextDecoder().decode(bytes).indexOf(`"directory":"ended","ids":["d1"`) +
      `"directory":"ended","ids":["`.length;
    const damaged = bytes.slice();
    damaged[at] = "x".charCodeAt(0); // line 2 names "x1" instead of "d1": its checksum fails
    const path = written(damaged);
    throwsCorruption(() => readSnapshot(path, true), 2, /checksum/);
    const state = readSnapshot(path, false);
    try {
      assert.deepStrictEqual([...state.waiting].sort(), ["f1", "p1"]);
      assert.strictEqual(state.runnable.next("default", new Set(), [])?.id, "p1");
      assert.deepStrictEqual([...state.dependents], []);
      assert.strictEqual(state.jobs.has("new-1"), false);
      assert.strictEqual(state.jobs.get("unknown"), undefined);
      throwsCorruption(() => state.jobs.get("d1"), 2, /checksum/);
    } finally {
      state.jobs.release();
    }
  }),
);

Deno.test(
  "a version 6 header or line 2 that does not account for the ended lines is refused",
  inTemp((written) => {
    const bytes = encodeSnapshot(stateOf(JOBS), 2);
    const headerRefused: Array<[(h: Record<string, unknown>) => void, RegExp]> = [
      [(h) => delete h.ended, /directory of job lines is incomplete|account of the ended job lines/],
      [(h) => (h.ended as Record<string, unknown>).bytes = -1, /account of the ended job lines is invalid/],
      [(h) => (h.ended as Record<string, unknown>).filter = { bits: "", hashes: 7 }, /filter of ended jobs/],
      [(h) => (h.states as string[])[1] = "dead", /unknown state "dead"/],
    ];
    for (const [change, pattern] of headerRefused) {
      const path = written(withHeader(bytes, change));
      for (const whole of [true, false]) throwsCorruption(() => readSnapshot(path, whole), 1, pattern);
    }
    // a filter that leaves out an ended id: the whole read (doctor) finds it
    const path = written(withHeader(bytes, (h) => {
      (h.ended as Record<string, unknown>).filter = IdFilter.of(["c1", "d2"], 2).toJSON();
    }));
    throwsCorruption(() => readSnapshot(path, true), 2, /invalid at its entry 1/);
  }),
);

Deno.test(
  "a version 6 line 2 that does not match its header is refused when it is read",
  inTemp((written) => {
    const bytes = encodeSnapshot(stateOf(JOBS), 2);
    const lines = splitLines(bytes).lines;
    const with2 = (change: (d: Record<string, unknown>) => void): Uint8Array => {
      const r = decodeLine(bytes, lines[1][0], lines[1][1]);
      assert.ok(r.ok);
      change(r.value);
      const line2 = encodeLine(r.value);
      // the header's account of line 2's length follows it, sealed again
      const header = headerOf(bytes);
      (header.ended as Record<string, unknown>).directory_bytes = line2.length;
      return concat([encodeLine(header), line2, bytes.subarray(lines[1][1] + 1)]);
    };
    const refused: Array<[(d: Record<string, unknown>) => void, RegExp]> = [
      [(d) => (d.ids as string[]).pop(), /directory of ended job lines is incomplete/],
      [(d) => (d.states as string[])[0] = "pending", /invalid at its entry 1/],
      [(d) => (d.lengths as number[])[0]++, /does not match the header's length of them/],
      [(d) => d.directory = "other", /directory of ended job lines is incomplete/],
    ];
    for (const [change, pattern] of refused) {
      const path = written(with2(change));
      throwsCorruption(() => readSnapshot(path, true), 2, pattern);
      const state = readSnapshot(path, false);
      try {
        assert.deepStrictEqual([...state.waiting].sort(), ["f1", "p1"]);
        throwsCorruption(() => [...state.jobs.inOrder()], 2, pattern);
      } finally {
        state.jobs.release();
      }
    }
  }),
);

for (const [version, as] of [[6, (b: Uint8Array) => b], [5, version5]] as const) {
  Deno.test(
    `a claim's view of a version ${version} snapshot parses only the job it inspects`,
    inTemp((written) => {
      const moreJobs = [...JOBS, job("p2", 7, "pending", { priority: 3, queue: "q2" })];
      const order = version === 6 ? ["p1", "r1", "f1", "p2", ...ENDED] : moreJobs.map((j) => j.id);
      readBoth(written(as(encodeSnapshot(stateOf(moreJobs), 2))), (state) => {
        assert.deepStrictEqual([...state.waiting].sort(), ["f1", "p1", "p2"]);
        assert.deepStrictEqual([...state.processing], ["r1"]);
        const index = state.runnable;
        assert.deepStrictEqual(state.jobs.unparsedIds(), order);
        // the heads: p2 heads q2; p1 heads the default queue while f1 waits for its time
        assert.strictEqual(index.next("q2", new Set(), [])?.id, "p2");
        assert.strictEqual(index.next("default", new Set(), [])?.id, "p1");
        assert.deepStrictEqual(state.jobs.unparsedIds(), order.filter((id) => !["p1", "p2"].includes(id)));
        assert.strictEqual(index.nextDue(Date.parse(AT)), Date.parse("2026-03-01T13:00:00.000Z"));
        assert.deepStrictEqual(
          state.jobs.unparsedIds(),
          order.filter((id) => !["p1", "p2", "f1"].includes(id)),
        );
        assert.deepStrictEqual(state.jobs.get("f1"), JOBS[5]);
      });
    }),
  );
}

Deno.test(
  "a claim's view of a version 4 snapshot (no keys in its header) parses only the jobs that may still run",
  inTemp((written) => {
    readBoth(written(version4(encodeSnapshot(stateOf(JOBS), 2))), (state) => {
      assert.deepStrictEqual([...state.waiting].sort(), ["f1", "p1"]);
      assert.deepStrictEqual([...state.processing], ["r1"]);
      assert.deepStrictEqual([...state.uniques], [["k1", "p1"]]);
      assert.strictEqual(state.runnable.next("default", new Set(), [])?.id, "p1");
      assert.deepStrictEqual(state.jobs.unparsedIds(), ENDED);
      // ended jobs are still read when asked for, whole
      assert.deepStrictEqual(state.jobs.get("d2"), JOBS[4]);
      assert.deepStrictEqual([...state.inOrder("dead")].map((j) => j.id), ["d1", "d2"]);
    });
  }),
);

Deno.test(
  "a version 3 snapshot (no states in its header) is still read, and compacts into a version 6 one",
  inTemp((written) => {
    const path = written(version3(encodeSnapshot(stateOf(JOBS), 2)));
    readBoth(path, (state) => {
      assert.deepStrictEqual([...state.waiting].sort(), ["f1", "p1"]);
      assert.deepStrictEqual([...state.uniques], [["k1", "p1"]]);
      assert.deepStrictEqual([...state.jobs.values()], JOBS);
    });
    const again = readSnapshot(path);
    const header = headerOf(encodeSnapshot(again, 3));
    assert.strictEqual(header.version, 6);
    assert.deepStrictEqual(header.ids, LIVE);
    assert.deepStrictEqual(header.keys, KEYS);
  }),
);

Deno.test(
  "a damaged byte in the header's states fails the header's checksum",
  inTemp((written) => {
    const bytes = encodeSnapshot(stateOf(JOBS), 2);
    const at = new TextDecoder().decode(bytes).indexOf(`"states":["pending"`) + `"states":["`.length;
    const damaged = bytes.slice();
    damaged[at] = "x".charCodeAt(0); // "pending" becomes "xending"
    const path = written(damaged);
    for (const whole of [true, false]) throwsCorruption(() => readSnapshot(path, whole), 1, /checksum/);
  }),
);

Deno.test(
  "a header whose states do not match its job lines is refused",
  inTemp((written) => {
    const bytes = version4(encodeSnapshot(stateOf(JOBS), 2));
    const short = written(withHeader(bytes, (h) => (h.states as string[]).pop()));
    const unknown = written(withHeader(bytes, (h) => (h.states as string[])[0] = "lost"));
    for (const whole of [true, false]) {
      throwsCorruption(() => readSnapshot(short, whole), 1, /states of job lines are incomplete/);
      throwsCorruption(() => readSnapshot(unknown, whole), 1, /unknown state "lost"/);
    }
  }),
);

Deno.test(
  "a job line whose job is not in the state its header gives fails when it is parsed",
  inTemp((written) => {
    const bytes = encodeSnapshot(stateOf(JOBS), 2);
    // the header calls pending p1 failed (line 3)
    const path = written(withHeader(bytes, (h) => {
      (h.states as string[])[0] = "failed";
    }));
    readBoth(path, (state) => {
      throwsCorruption(() => state.runnable.next("default", new Set(), []), 3, /does not match the header/);
      throwsCorruption(() => state.jobs.get("p1"), 3, /does not match the header/);
    });
    readBoth(written(version4(bytes)), (state) => {
      // without keys the waiting jobs are parsed to build the index
      const v4 = written(withHeader(version4(bytes), (h) => {
        (h.states as string[])[0] = "pending";
        (h.states as string[])[1] = "dead";
      }));
      state.jobs.release();
      readBoth(v4, (s) => throwsCorruption(() => s.runnable, 2, /does not match the header/));
    });
  }),
);

Deno.test(
  "a damaged byte in an ended job's line is found before that job is used",
  inTemp((written) => {
    const bytes = encodeSnapshot(stateOf(JOBS), 2);
    const at = new TextDecoder().decode(bytes).indexOf(`"exit 4"`) + 1;
    const damaged = bytes.slice();
    damaged[at] = "E".charCodeAt(0);
    const path = written(damaged);
    // doctor's whole read checks every line at once; the store's read when it parses the job
    throwsCorruption(() => readSnapshot(path, true), 6, /checksum/);
    const state = readSnapshot(path, false);
    try {
      assert.deepStrictEqual([...state.waiting].sort(), ["f1", "p1"]);
      throwsCorruption(() => state.jobs.get("d1"), 6, /checksum/);
    } finally {
      state.jobs.release();
    }
  }),
);

Deno.test(
  "a damaged byte in the header's keys fails the header's checksum",
  inTemp((written) => {
    const bytes = encodeSnapshot(stateOf(JOBS), 2);
    const at = new TextDecoder().decode(bytes).indexOf(`"keys":[[0,"default",0,2,`) +
      `"keys":[[0,"default",0,`.length;
    const damaged = bytes.slice();
    damaged[at] = "3".charCodeAt(0); // p1's seq 2 becomes 3
    const path = written(damaged);
    for (const whole of [true, false]) throwsCorruption(() => readSnapshot(path, whole), 1, /checksum/);
  }),
);

Deno.test(
  "a header whose keys do not match its waiting job lines is refused",
  inTemp((written) => {
    const bytes = encodeSnapshot(stateOf(JOBS), 2);
    const refused: Array<[(h: Record<string, unknown>) => void, RegExp]> = [
      [(h) => delete h.keys, /keys of waiting jobs are missing/],
      [(h) => (h.keys as unknown[]).pop(), /keys of waiting jobs are incomplete/],
      [(h) => (h.keys as unknown[][])[0][0] = 1, /key of a waiting job is invalid/], // r1 is processing
      [(h) => (h.keys as unknown[]).reverse(), /key of a waiting job is invalid/], // out of line order
      [(h) => (h.keys as unknown[][])[1][4] = "soon", /key of a waiting job is invalid/],
      [(h) => (h.keys as unknown[][])[1].pop(), /key of a waiting job is invalid/],
    ];
    for (const [change, pattern] of refused) {
      const path = written(withHeader(bytes, change));
      for (const whole of [true, false]) throwsCorruption(() => readSnapshot(path, whole), 1, pattern);
    }
  }),
);

Deno.test(
  "a waiting job line whose job does not have its header's claim key fails when it is parsed",
  inTemp((written) => {
    const bytes = encodeSnapshot(stateOf(JOBS), 2);
    const changes: Array<(key: unknown[]) => void> = [
      (key) => key[1] = "other",
      (key) => key[2] = 5,
      (key) => key[3] = 7,
      (key) => key[4] = "2026-03-01T12:30:00.000Z",
    ];
    for (const change of changes) {
      // f1 (line 5), scheduled: its key says what the index orders it by
      const path = written(withHeader(bytes, (h) => change((h.keys as unknown[][])[1])));
      readBoth(path, (state) => {
        assert.strictEqual(state.runnable.next("default", new Set(), [])?.id, "p1");
        throwsCorruption(() => state.jobs.get("f1"), 5, /claim key does not match the header's/);
      });
    }
  }),
);

Deno.test(
  "the dependents of a snapshot's jobs are found from the lines that may still run: ended ones stay unparsed",
  inTemp((written) => {
    const jobs = [
      job("a", 1, "pending"),
      job("d1", 2, "dead", { attempts: 1, after: ["a"] }),
      job("c1", 3, "completed", { attempts: 1, after: ["x"] }),
      job("w1", 4, "pending", { after: ["a"] }),
    ];
    readBoth(written(encodeSnapshot(stateOf(jobs), 2)), (state) => {
      assert.deepStrictEqual([...state.dependents.get("a") ?? []], ["w1"]);
      assert.deepStrictEqual(state.jobs.unparsedIds(), ["d1", "c1"]);
    });
  }),
);

Deno.test(
  "a header naming one id on two lines: doctor's whole read refuses it at once, a reader when it indexes the ids",
  inTemp((written) => {
    const path = written(withHeader(encodeSnapshot(stateOf(JOBS), 2), (h) => {
      (h.ids as string[])[2] = "p1"; // line 5 names line 3's job again
    }));
    throwsCorruption(() => readSnapshot(path, true), 5, /invalid or repeated/);
    const state = readSnapshot(path, false);
    try {
      throwsCorruption(
        () => {
          for (let i = 0; i < 20; i++) state.jobs.get(`missing-${i}`);
        },
        5,
        /invalid or repeated/,
      );
    } finally {
      state.jobs.release();
    }
  }),
);

Deno.test(
  "the header gives the first and last ended line's seq; a file without them reads as before",
  inTemp((written) => {
    const bytes = encodeSnapshot(stateOf(JOBS), 2);
    const ended = headerOf(bytes).ended as Record<string, unknown>;
    assert.equal(ended.min_seq, 1); // d1
    assert.equal(ended.max_seq, 5); // d2
    const none = encodeSnapshot(stateOf(JOBS.filter((j) => !ENDED.includes(j.id))), 2);
    assert.equal((headerOf(none).ended as Record<string, unknown>).min_seq, undefined);
    const older = written(withHeader(bytes, (h) => {
      delete (h.ended as Record<string, unknown>).min_seq;
      delete (h.ended as Record<string, unknown>).max_seq;
    }));
    for (const path of [written(bytes), older]) {
      readBoth(path, (state) => {
        assert.deepStrictEqual([...state.jobs.inOrderDesc()].map((j) => j.id), [
          "f1",
          "d2",
          "r1",
          "c1",
          "p1",
          "d1",
        ]);
      });
    }
  }),
);

Deno.test(
  "a header whose seqs of the ended lines make no sense is refused",
  inTemp((written) => {
    const bytes = encodeSnapshot(stateOf(JOBS), 2);
    const changes: Array<(e: Record<string, unknown>) => void> = [
      (e) => delete e.max_seq,
      (e) => e.min_seq = "1",
      (e) => e.min_seq = -1,
      (e) => e.min_seq = 7,
      (e) => e.max_seq = 1.5,
    ];
    for (const change of changes) {
      const path = written(withHeader(bytes, (h) => change(h.ended as Record<string, unknown>)));
      for (const whole of [true, false]) {
        throwsCorruption(() => readSnapshot(path, whole), 1, /seqs of the ended job lines are invalid/);
      }
    }
  }),
);

Deno.test(
  "an ended job line whose seq lies outside its header's seqs fails when it is parsed",
  inTemp((written) => {
    const bytes = encodeSnapshot(stateOf(JOBS), 2);
    // the header says the ended lines run from seq 1 to 4: d2 (seq 5, line 8) lies outside
    const path = written(withHeader(bytes, (h) => (h.ended as Record<string, unknown>).max_seq = 4));
    readBoth(path, (state) => {
      assert.strictEqual(state.jobs.get("d1")?.state, "dead");
      throwsCorruption(() => state.jobs.get("d2"), lineOf(bytes, "d2"), /seq is outside the header's seqs/);
    });
  }),
);
