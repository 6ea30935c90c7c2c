import assert from "node:assert/strict";
import { CorruptionError } from "../errors.ts";
import type { Job } from "../job.ts";
import { jobIn as job } from "./_testing.ts";
import { concat, decodeLine, encodeLine } from "./codec.ts";
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

/** As queuectl before version 5 wrote it: no `keys` in the header. */
function version4(bytes: Uint8Array): Uint8Array {
  return withHeader(bytes, (h) => {
    h.version = 4;
    delete h.keys;
  });
}

/** As queuectl before version 4 wrote it: no `states` (nor `keys`) in the header. */
function version3(bytes: Uint8Array): Uint8Array {
  return withHeader(bytes, (h) => {
    h.version = 3;
    delete h.states;
    delete h.keys;
  });
}

/** The keys of JOBS as version 5 writes them: the waiting jobs p1 and f1. */
const KEYS = [[1, "default", 0, 2, null], [5, "default", 0, 6, "2026-03-01T13:00:00.000Z"]];

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
  "a snapshot is written as version 5, its header giving each job line's state and each waiting one's claim key",
  () => {
    const header = headerOf(encodeSnapshot(stateOf(JOBS), 2));
    assert.strictEqual(header.version, 5);
    assert.deepStrictEqual(header.ids, JOBS.map((j) => j.id));
    assert.deepStrictEqual(header.states, JOBS.map((j) => j.state));
    assert.deepStrictEqual(header.keys, KEYS);
  },
);

Deno.test(
  "a claim's view of a version 5 snapshot parses only the job it inspects",
  inTemp((written) => {
    const moreJobs = [...JOBS, job("p2", 7, "pending", { priority: 3, queue: "q2" })];
    readBoth(written(encodeSnapshot(stateOf(moreJobs), 2)), (state) => {
      assert.deepStrictEqual([...state.waiting].sort(), ["f1", "p1", "p2"]);
      assert.deepStrictEqual([...state.processing], ["r1"]);
      const index = state.runnable;
      assert.deepStrictEqual(state.jobs.unparsedIds(), moreJobs.map((j) => j.id));
      // the heads: p2 heads q2; p1 heads the default queue while f1 waits for its time
      assert.strictEqual(index.next("q2", new Set(), [])?.id, "p2");
      assert.strictEqual(index.next("default", new Set(), [])?.id, "p1");
      assert.deepStrictEqual(state.jobs.unparsedIds(), ["d1", "c1", "r1", "d2", "f1"]);
      assert.strictEqual(index.nextDue(Date.parse(AT)), Date.parse("2026-03-01T13:00:00.000Z"));
      assert.deepStrictEqual(state.jobs.unparsedIds(), ["d1", "c1", "r1", "d2"]);
      assert.deepStrictEqual(state.jobs.get("f1"), JOBS[5]);
    });
  }),
);

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
  "a version 3 snapshot (no states in its header) is still read, and compacts into a version 5 one",
  inTemp((written) => {
    const path = written(version3(encodeSnapshot(stateOf(JOBS), 2)));
    readBoth(path, (state) => {
      assert.deepStrictEqual([...state.waiting].sort(), ["f1", "p1"]);
      assert.deepStrictEqual([...state.uniques], [["k1", "p1"]]);
      assert.deepStrictEqual([...state.jobs.values()], JOBS);
    });
    const again = readSnapshot(path);
    const header = headerOf(encodeSnapshot(again, 3));
    assert.strictEqual(header.version, 5);
    assert.deepStrictEqual(header.states, JOBS.map((j) => j.state));
    assert.deepStrictEqual(header.keys, KEYS);
  }),
);

Deno.test(
  "a damaged byte in the header's states fails the header's checksum",
  inTemp((written) => {
    const bytes = encodeSnapshot(stateOf(JOBS), 2);
    const at = new TextDecoder().decode(bytes).indexOf(`"states":["dead"`) + `"states":["`.length;
    const damaged = bytes.slice();
    damaged[at] = "x".charCodeAt(0); // "dead" becomes "xead"
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
    // the header calls pending p1 dead (and dead d1 pending, with p1's key)
    const path = written(withHeader(bytes, (h) => {
      (h.states as string[])[0] = "pending";
      (h.states as string[])[1] = "dead";
      (h.keys as unknown[][])[0][0] = 0;
    }));
    readBoth(path, (state) => {
      throwsCorruption(() => state.runnable.next("default", new Set(), []), 2, /does not match the header/);
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
    readBoth(path, (state) => {
      throwsCorruption(() => state.jobs.get("p1"), 3, /does not match the header/);
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
    throwsCorruption(() => readSnapshot(path, true), 2, /checksum/);
    const state = readSnapshot(path, false);
    try {
      assert.deepStrictEqual([...state.waiting].sort(), ["f1", "p1"]);
      throwsCorruption(() => state.jobs.get("d1"), 2, /checksum/);
    } finally {
      state.jobs.release();
    }
  }),
);

Deno.test(
  "a damaged byte in the header's keys fails the header's checksum",
  inTemp((written) => {
    const bytes = encodeSnapshot(stateOf(JOBS), 2);
    const at = new TextDecoder().decode(bytes).indexOf(`"keys":[[1,"default",0,2,`) +
      `"keys":[[1,"default",0,`.length;
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
      [(h) => (h.keys as unknown[][])[0][0] = 2, /key of a waiting job is invalid/], // c1 is completed
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
      // f1 (line 7), scheduled: its key says what the index orders it by
      const path = written(withHeader(bytes, (h) => change((h.keys as unknown[][])[1])));
      readBoth(path, (state) => {
        assert.strictEqual(state.runnable.next("default", new Set(), [])?.id, "p1");
        throwsCorruption(() => state.jobs.get("f1"), 7, /claim key does not match the header's/);
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
      (h.ids as string[])[4] = "d1"; // line 6 names line 2's job again
    }));
    throwsCorruption(() => readSnapshot(path, true), 6, /invalid or repeated/);
    const state = readSnapshot(path, false);
    try {
      throwsCorruption(
        () => {
          for (let i = 0; i < 20; i++) state.jobs.get(`missing-${i}`);
        },
        6,
        /invalid or repeated/,
      );
    } finally {
      state.jobs.release();
    }
  }),
);
