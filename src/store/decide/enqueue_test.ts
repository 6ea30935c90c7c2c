import assert from "node:assert/strict";
import { DependencyNotFoundError, DuplicateJobError, UsageError } from "../../errors.ts";
import { newId } from "../../ids.ts";
import type { Job } from "../../job.ts";
import {
  archive,
  assertConsistent,
  claim,
  commit,
  decided,
  DEFAULTS,
  enqueue,
  finish,
  iso,
  refusesWith,
  snapshot,
  T0,
} from "../_testing.ts";
import type { JobSpec } from "../mod.ts";
import { QueueState } from "../state.ts";
import { decideEnqueue, type EnqueueResult } from "./enqueue.ts";

/** Decides `specs` on `state` (checking the decision leaves it unchanged), applies it, returns the results. */
function enqueueChecked(state: QueueState, specs: JobSpec[], rand?: () => number): EnqueueResult[] {
  const d = decided(state, () => decideEnqueue(state, specs, DEFAULTS, T0, rand));
  const results = commit(state, d, T0);
  for (const r of results) {
    assert.deepStrictEqual(state.jobs.get(r.job.id), r.job, "the result is the job as applied");
  }
  assertConsistent(state);
  return results;
}

/** A state holding a (completed), d (dead), and p (pending, unique key "k"). */
function finishedAndWaiting(): QueueState {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "true" }, { id: "d", command: "false", max_retries: 0 }]);
  const [a, d] = claim(s, "w1", 2);
  finish(s, a, { kind: "exited", code: 0 });
  finish(s, d, { kind: "exited", code: 1 });
  enqueue(s, [{ id: "p", command: "x", unique: "k" }]);
  return s;
}

Deno.test("decideEnqueue() builds pending jobs from the specs and the defaults, recording only what was given", () => {
  const s = new QueueState();
  const { records, result } = decided(s, () =>
    decideEnqueue(
      s,
      [
        { id: "a", command: "echo a" },
        {
          id: "b",
          command: "'ls' '-l'",
          argv: ["ls", "-l"],
          queue: "q",
          max_retries: 0,
          priority: 7,
          run_at: "2026-03-02T00:00:00.000Z",
          timeout: 5,
          cwd: "/tmp",
          env: { A: "1" },
          unique: "u",
        },
      ],
      { max_retries: 4 },
      T0,
    ));
  const at = T0.toISOString();
  assert.deepStrictEqual(result[0], {
    existing: false,
    job: {
      id: "a",
      command: "echo a",
      queue: "default",
      state: "pending",
      attempts: 0,
      max_retries: 4,
      priority: 0,
      run_at: null,
      timeout: null,
      cwd: null,
      created_at: at,
      updated_at: at,
      exit_code: null,
      last_error: null,
      worker: null,
      claim: null,
      lease_until: null,
      pid: null,
      pid_start: null,
      started_at: null,
      finished_at: null,
      output_tail: null,
      seq: 1,
    },
  });
  assert.deepStrictEqual(result[1].job, {
    ...result[0].job,
    id: "b",
    command: "'ls' '-l'",
    argv: ["ls", "-l"],
    queue: "q",
    max_retries: 0,
    priority: 7,
    run_at: "2026-03-02T00:00:00.000Z",
    timeout: 5,
    cwd: "/tmp",
    env: { A: "1" },
    unique: "u",
    seq: 2,
  });
  assert.deepStrictEqual(records, [{
    type: "enqueue",
    jobs: [
      {
        id: "a",
        command: "echo a",
        max_retries: 4,
        priority: 0,
        run_at: null,
        timeout: null,
        cwd: null,
        seq: 1,
      },
      {
        id: "b",
        command: "'ls' '-l'",
        max_retries: 0,
        priority: 7,
        run_at: "2026-03-02T00:00:00.000Z",
        timeout: 5,
        cwd: "/tmp",
        seq: 2,
        argv: ["ls", "-l"],
        queue: "q",
        env: { A: "1" },
        unique: "u",
      },
    ],
  }]);
  commit(s, { records, result }, T0);
  assert.deepStrictEqual(
    [...s.jobs.values()],
    result.map((r) => r.job),
    "applying rebuilds exactly the result",
  );
});

Deno.test("decideEnqueue() numbers jobs after those already enqueued, deleted ones included", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }, { id: "b", command: "x" }]);
  commit(s, { records: [{ type: "delete", ids: ["b"] }], result: null });
  const [c] = enqueueChecked(s, [{ id: "c", command: "x" }]);
  assert.strictEqual(c.job.seq, 3);
});

Deno.test("decideEnqueue() generates time-sortable ids from now and rand", () => {
  const s = new QueueState();
  let n = 0;
  const rand = () => (n++ % 32) / 32;
  const [x, y] = enqueueChecked(s, [{ command: "x" }, { command: "y" }], rand);
  n = 0;
  assert.strictEqual(x.job.id, newId(T0.getTime(), rand));
  assert.strictEqual(y.job.id, newId(T0.getTime(), rand));
  assert.notStrictEqual(x.job.id, y.job.id);
});

Deno.test("decideEnqueue() draws again when a generated id repeats one in the batch or the queue", () => {
  const s = new QueueState();
  // a random source that repeats itself: the first two ids would be equal
  const draws = [0.1, 0.2, 0.1, 0.2, 0.1, 0.2, 0.3, 0.4];
  let i = 0;
  const rand = () => draws[i++ % draws.length];
  const results = enqueueChecked(s, [{ command: "a" }, { command: "b" }], rand);
  assert.strictEqual(new Set(results.map((r) => r.job.id)).size, 2);
  assert.strictEqual(i, 8, "the repeated id was drawn again, twice");
});

Deno.test("decideEnqueue() gives up on a generated id with a DuplicateJobError when every draw repeats a job", () => {
  const s = new QueueState();
  enqueue(s, [{ id: newId(T0.getTime(), () => 0), command: "x" }]);
  const before = snapshot(s);
  refusesWith(
    () => decideEnqueue(s, [{ command: "y" }], DEFAULTS, T0, () => 0),
    DuplicateJobError,
    /already exists/,
  );
  assert.deepStrictEqual(snapshot(s), before);
});

Deno.test("decideEnqueue() of no specs writes nothing", () => {
  assert.deepStrictEqual(decideEnqueue(new QueueState(), [], DEFAULTS, T0), { records: [], result: [] });
});

Deno.test("decideEnqueue() refuses an id that already exists, and the whole batch with it", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a1", command: "x" }]);
  refusesWith(
    () =>
      decided(
        s,
        () => decideEnqueue(s, [{ id: "new", command: "x" }, { id: "a1", command: "y" }], DEFAULTS, T0),
      ),
    DuplicateJobError,
    /^Cannot enqueue job "a1": a job with this id already exists$/,
  );
  assert.deepStrictEqual([...s.jobs.keys()], ["a1"]);
});

Deno.test("decideEnqueue() refuses an id that appears twice in one batch", () => {
  refusesWith(
    () =>
      decideEnqueue(new QueueState(), [{ id: "x", command: "a" }, { id: "x", command: "b" }], DEFAULTS, T0),
    DuplicateJobError,
    /^Cannot enqueue job "x": the id appears twice in this batch$/,
  );
});

Deno.test("decideEnqueue() refuses the id of an archived job, and accepts it again once that job is deleted", () => {
  const s = finishedAndWaiting();
  archive(s, ["a"]);
  refusesWith(
    () => decided(s, () => decideEnqueue(s, [{ id: "a", command: "again" }], DEFAULTS, T0)),
    DuplicateJobError,
    /^Cannot enqueue job "a": a job with this id already exists$/,
  );
  commit(s, {
    records: [{ type: "delete", ids: [], archived: ["a"], archived_queues: { default: 1 } }],
    result: 0,
  });
  const [again] = enqueueChecked(s, [{ id: "a", command: "again" }]);
  assert.strictEqual(again.job.command, "again");
});

// ---- unique keys

Deno.test("decideEnqueue() creates nothing for a key a live job holds, and returns that job", () => {
  const s = finishedAndWaiting();
  const [r] = enqueueChecked(s, [{ id: "q", command: "x", unique: "k" }]);
  assert.deepStrictEqual(r, { existing: true, job: s.jobs.get("p") });
  assert.ok(!s.jobs.has("q"));
  assert.deepStrictEqual(
    decideEnqueue(s, [{ id: "q", command: "x", unique: "k" }], DEFAULTS, T0).records,
    [],
  );
  // processing and failed holders absorb too
  const [p] = claim(s, "w1", 1, T0);
  assert.strictEqual(enqueueChecked(s, [{ command: "x", unique: "k" }])[0].job.id, "p");
  finish(s, p, { kind: "exited", code: 1 });
  assert.strictEqual(s.jobs.get("p")!.state, "failed");
  assert.strictEqual(enqueueChecked(s, [{ command: "x", unique: "k" }])[0].job.id, "p");
});

Deno.test("decideEnqueue() lets the first job of a batch hold a key, and later ones of the batch find it", () => {
  const s = new QueueState();
  const results = enqueueChecked(s, [
    { id: "c", command: "x", unique: "other" },
    { id: "d", command: "x", unique: "other" },
    { id: "e", command: "x" },
  ]);
  assert.deepStrictEqual(results.map((r) => [r.job.id, r.existing]), [["c", false], ["c", true], [
    "e",
    false,
  ]]);
  assert.strictEqual(results[2].job.seq, 2, "an absorbed spec takes no place in the enqueue order");
  assert.deepStrictEqual(s.uniques, new Map([["other", "c"]]));
});

Deno.test("decideEnqueue() lets a new job hold a key whose job completed, died or was deleted", () => {
  const s = new QueueState();
  enqueue(s, [
    { id: "c", command: "x", unique: "kc" },
    { id: "d", command: "x", unique: "kd", max_retries: 0 },
    { id: "x", command: "x", unique: "kx" },
  ]);
  const [c, d] = claim(s, "w1", 2);
  finish(s, c, { kind: "exited", code: 0 });
  finish(s, d, { kind: "exited", code: 1 });
  commit(s, { records: [{ type: "delete", ids: ["x"] }], result: null });
  const results = enqueueChecked(s, [
    { id: "c2", command: "x", unique: "kc" },
    { id: "d2", command: "x", unique: "kd" },
    { id: "x2", command: "x", unique: "kx" },
  ]);
  assert.deepStrictEqual(results.map((r) => r.existing), [false, false, false]);
  assert.deepStrictEqual(s.uniques, new Map([["kc", "c2"], ["kd", "d2"], ["kx", "x2"]]));
});

// ---- dependencies

Deno.test("decideEnqueue() records dependencies once each, and drops an empty list", () => {
  const s = finishedAndWaiting();
  const [x, y] = enqueueChecked(s, [
    { id: "x", command: "x", after: ["a", "p", "a"] },
    { id: "y", command: "y", after: [] },
  ]);
  assert.deepStrictEqual(x.job.after, ["a", "p"]);
  assert.ok(!("after" in y.job));
  assert.deepStrictEqual([...s.dependents.get("p")!], ["x"]);
});

Deno.test("decideEnqueue() accepts a dependency enqueued earlier in the same batch, not a later one", () => {
  const s = new QueueState();
  const [, b] = enqueueChecked(s, [{ id: "a", command: "x" }, { id: "b", command: "x", after: ["a"] }]);
  assert.deepStrictEqual(b.job.after, ["a"]);
  refusesWith(
    () =>
      decideEnqueue(s, [{ id: "c", command: "x", after: ["d"] }, { id: "d", command: "x" }], DEFAULTS, T0),
    UsageError,
    /^Cannot enqueue job "c": its dependency "d" comes later in this batch \(a job can wait only for jobs before it\)$/,
  );
});

Deno.test("decideEnqueue() refuses an unknown dependency as not found, a job depending on itself as bad input", () => {
  const s = finishedAndWaiting();
  refusesWith(
    () => decided(s, () => decideEnqueue(s, [{ id: "x", command: "x", after: ["a", "nope"] }], DEFAULTS, T0)),
    DependencyNotFoundError,
    /^Cannot enqueue job "x": its dependency "nope" does not exist$/,
  );
  refusesWith(
    () => decideEnqueue(s, [{ id: "x", command: "x", after: ["x"] }], DEFAULTS, T0),
    UsageError,
    /^Cannot enqueue job "x": it cannot depend on itself$/,
  );
});

Deno.test("decideEnqueue() accepts an archived dependency: it completed", () => {
  const s = finishedAndWaiting();
  archive(s, ["a"]);
  const [x] = enqueueChecked(s, [{ id: "x", command: "x", after: ["a"] }]);
  assert.strictEqual(x.job.state, "pending");
  assert.strictEqual(s.blocked(s.jobs.get("x")!), false);
});

Deno.test("decideEnqueue() sends a job with a dead dependency to the DLQ at once, with its dependents in the batch", () => {
  const s = finishedAndWaiting();
  const d = decided(s, () =>
    decideEnqueue(
      s,
      [
        { id: "x", command: "x", after: ["d"] },
        { id: "y", command: "y", after: ["x"] },
        { id: "z", command: "z", after: ["a"] },
      ],
      DEFAULTS,
      T0,
    ));
  assert.deepStrictEqual(d.records[1], {
    type: "bury",
    jobs: [["x", 'dependency "d" is dead'], ["y", 'dependency "x" is dead']],
  });
  const results = commit(s, d, T0);
  assert.deepStrictEqual(results.map((r) => [r.job.id, r.job.state, r.job.last_error]), [
    ["x", "dead", 'dependency "d" is dead'],
    ["y", "dead", 'dependency "x" is dead'],
    ["z", "pending", null],
  ]);
  for (const r of results) {
    assert.deepStrictEqual(s.jobs.get(r.job.id), r.job, "the result is the job as applied");
  }
  assert.strictEqual(s.jobs.get("x")!.finished_at, iso(0));
  assertConsistent(s);
});

Deno.test("decideEnqueue() buries a job once however many of its dependencies are dead, naming the first", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "d1", command: "x" }, { id: "d2", command: "x" }]);
  commit(s, { records: [{ type: "bury", jobs: [["d1", "cancelled"], ["d2", "cancelled"]] }], result: null });
  const d = decided(s, () =>
    decideEnqueue(
      s,
      [
        { id: "x", command: "x", after: ["d1", "d2"] },
        { id: "y", command: "y", after: ["d2", "d2"] },
      ],
      DEFAULTS,
      T0,
    ));
  assert.deepStrictEqual(d.records[1], {
    type: "bury",
    jobs: [["x", 'dependency "d1" is dead'], ["y", 'dependency "d2" is dead']],
  });
  const results = commit(s, d, T0);
  for (const r of results) assert.deepStrictEqual(s.jobs.get(r.job.id), r.job);
  assertConsistent(s);
});

Deno.test("decideEnqueue() does not let a job that goes to the DLQ at once hold a key for the rest of its batch", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "gone", command: "x" }]);
  commit(s, { records: [{ type: "bury", jobs: [["gone", "cancelled"]] }], result: null });
  const results = enqueueChecked(s, [
    { id: "a", command: "x", after: ["gone"], unique: "k" },
    { id: "b", command: "x", after: ["a"], unique: "k" },
    { id: "c", command: "x", unique: "k" },
    { id: "d", command: "x", unique: "k" },
  ]);
  assert.deepStrictEqual(results.map((r) => [r.job.id, r.job.state, r.existing]), [
    ["a", "dead", false],
    ["b", "dead", false],
    ["c", "pending", false],
    ["c", "pending", true],
  ]);
  assert.strictEqual(s.jobs.get("b")!.last_error, 'dependency "a" is dead');
  assert.deepStrictEqual(s.uniques, new Map([["k", "c"]]));
});

Deno.test("decideEnqueue() is pure: the same state, specs, time and random source give the same decision", () => {
  const s = finishedAndWaiting();
  const specs: JobSpec[] = [{ command: "x", after: ["p"] }, { command: "y", unique: "k" }, { command: "z" }];
  const make = () => {
    let n = 0;
    return () => ((n++ * 7) % 13) / 13;
  };
  const one = decided(s, () => decideEnqueue(s, specs, DEFAULTS, T0, make()));
  const two = decided(s, () => decideEnqueue(s, specs, DEFAULTS, T0, make()));
  assert.deepStrictEqual(one, two);
  const jobs: Job[] = commit(s, one, T0).map((r) => r.job);
  assert.deepStrictEqual(jobs.map((j) => s.jobs.get(j.id)), jobs);
});
