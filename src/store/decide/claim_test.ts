import assert from "node:assert/strict";
import fc from "fast-check";
import { type Job, transition } from "../../job.ts";
import {
  archive,
  assertConsistent,
  at,
  bruteForceClaim,
  claim,
  claimRequest,
  commit,
  decided,
  enqueue,
  finish,
  iso,
  slotsOf,
  states,
  T0,
} from "../_testing.ts";
import { QueueState } from "../state.ts";
import { type ClaimRequest, decideClaim, room } from "./claim.ts";
import { decideQueue } from "./manage.ts";

const ids = (jobs: Job[]) => jobs.map((j) => j.id);

/** Decides a claim (checking it leaves the state unchanged and agrees with a brute-force scan), applies it. */
function claimChecked(state: QueueState, req: ClaimRequest, now: Date = T0): Job[] {
  const expected = bruteForceClaim(state, req, now);
  const d = decided(state, () => decideClaim(state, req, now));
  assert.deepStrictEqual(
    decided(state, () => decideClaim(state, req, now)),
    d,
    "deciding again gives the same",
  );
  assert.deepStrictEqual(ids(d.result), expected, "the picks are the best due jobs");
  const claimed = commit(state, d, now);
  for (const job of claimed) {
    assert.deepStrictEqual(state.jobs.get(job.id), job, "the result is the job as applied");
  }
  assertConsistent(state);
  return claimed;
}

function setQueue(state: QueueState, name: string, change: { concurrency?: number; paused?: boolean }): void {
  commit(state, decideQueue(state, name, change));
}

Deno.test("decideClaim() takes higher priority first, then enqueue order; run_at only decides when a job is due", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "neg", command: "x", priority: -1 }]);
  enqueue(s, [{ id: "old", command: "x", run_at: iso(-3600) }]);
  enqueue(s, [{ id: "a", command: "x" }, { id: "b", command: "x" }]);
  enqueue(s, [{ id: "high", command: "x", priority: 5, run_at: iso(-1) }]);
  enqueue(s, [{ id: "later", command: "x", priority: 9, run_at: iso(60) }]);
  assert.deepStrictEqual(ids(claimChecked(s, claimRequest("w1", 2))), ["high", "old"]);
  assert.deepStrictEqual(ids(claimChecked(s, claimRequest("w2", 5))), ["a", "b", "neg"]);
  assert.deepStrictEqual(claimChecked(s, claimRequest("w3", 5)), []);
  assert.deepStrictEqual(ids(claimChecked(s, claimRequest("w3", 5), at(60))), ["later"]);
});

Deno.test("decideClaim() writes one claim record whose seq is every job's token, with the slots given out in order", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }, { id: "b", command: "x", priority: 1 }, { id: "c", command: "x" }]);
  const now = at(5);
  const req = claimRequest("w7", 4, { process: [4321, 99], leaseSeconds: 45 });
  const { records, result } = decided(s, () => decideClaim(s, req, now));
  assert.deepStrictEqual(records, [{
    type: "claim",
    worker: "w7",
    lease_until: iso(50),
    ids: ["b", "a", "c"],
    by: [4321, 99],
    slots: slotsOf("w7", 3),
  }]);
  assert.deepStrictEqual(
    result.map((j) => [j.id, j.state, j.attempts, j.worker, j.claim, j.pid, j.runs?.[0].out]),
    [
      ["b", "processing", 1, "w7", 2, 1000, ["w7-0.out", 0, null]],
      ["a", "processing", 1, "w7", 2, 1001, ["w7-1.out", 100, null]],
      ["c", "processing", 1, "w7", 2, 1002, ["w7-2.out", 200, null]],
    ],
  );
  assert.strictEqual(s.seq + 1, 2, "the token is the seq the record gets");
  const applied = commit(s, { records, result }, now);
  for (const job of applied) assert.deepStrictEqual(s.jobs.get(job.id), job);
});

Deno.test("decideClaim() without the worker's process records no `by`, and slots without a session record none", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }]);
  const d = decideClaim(s, { worker: "w1", slots: [{ sid: null, out: null }], leaseSeconds: 30 }, T0);
  assert.ok(!("by" in d.records[0]));
  assert.deepStrictEqual([d.result[0].pid, d.result[0].pid_start, d.result[0].runs?.[0].out], [
    null,
    null,
    null,
  ]);
});

Deno.test("decideClaim() with nothing due, or no free slot, writes nothing", () => {
  const empty = new QueueState();
  assert.deepStrictEqual(decideClaim(empty, claimRequest("w1", 4), T0), { records: [], result: [] });
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x", run_at: iso(60) }, { id: "b", command: "x" }]);
  assert.deepStrictEqual(decideClaim(s, claimRequest("w1", 0), T0), { records: [], result: [] });
  claim(s, "w1", 4);
  assert.deepStrictEqual(decideClaim(s, claimRequest("w1", 4), at(59)), { records: [], result: [] });
});

Deno.test("decideClaim() takes a job due as soon as possible whatever the wall clock says", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "now", command: "x" }, { id: "dated", command: "x", run_at: iso(0) }]);
  assert.deepStrictEqual(ids(claimChecked(s, claimRequest("w1", 5), at(-3600))), ["now"]);
});

Deno.test("decideClaim() leaves a failed job until its retry is due", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "f", command: "false" }]);
  const [f] = claim(s, "w1", 1);
  finish(s, f, { kind: "exited", code: 1 }, at(1)); // retry due 2 s later
  assert.deepStrictEqual(claimChecked(s, claimRequest("w1", 1), at(2)), []);
  const [again] = claimChecked(s, claimRequest("w1", 1), at(3));
  assert.deepStrictEqual([again.id, again.attempts, again.last_error], ["f", 2, "exit code 1"]);
});

Deno.test("decideClaim() serves only the queues it names, and never a paused queue", () => {
  const s = new QueueState();
  enqueue(s, [
    { id: "a", command: "x", queue: "builds" },
    { id: "b", command: "x", queue: "uploads", priority: 3 },
    { id: "c", command: "x" },
  ]);
  setQueue(s, "uploads", { paused: true });
  assert.deepStrictEqual(claimChecked(s, claimRequest("w1", 5, { queues: ["uploads"] })), []);
  assert.deepStrictEqual(ids(claimChecked(s, claimRequest("w1", 5, { queues: ["builds", "uploads"] }))), [
    "a",
  ]);
  assert.deepStrictEqual(ids(claimChecked(s, claimRequest("w2", 5))), ["c"]);
  setQueue(s, "uploads", { paused: false });
  assert.deepStrictEqual(
    ids(claimChecked(s, claimRequest("w2", 5, { queues: [] }))),
    [],
    "no queue named: none",
  );
  assert.deepStrictEqual(ids(claimChecked(s, claimRequest("w2", 5))), ["b"]);
});

Deno.test("decideClaim() never exceeds a queue's concurrency limit, within one claim and across claims", () => {
  const s = new QueueState();
  enqueue(s, [
    { id: "u1", command: "x", queue: "uploads", priority: 1 },
    { id: "u2", command: "x", queue: "uploads", priority: 1 },
    { id: "u3", command: "x", queue: "uploads", priority: 1 },
    { id: "x", command: "x" },
  ]);
  setQueue(s, "uploads", { concurrency: 2 });
  const [u1] = claimChecked(s, claimRequest("w1", 1));
  assert.strictEqual(u1.id, "u1");
  assert.deepStrictEqual(
    ids(claimChecked(s, claimRequest("w2", 5))),
    ["u2", "x"],
    "one more upload, then the limit",
  );
  assert.deepStrictEqual(claimChecked(s, claimRequest("w3", 5)), []);
  finish(s, u1, { kind: "exited", code: 0 });
  assert.deepStrictEqual(ids(claimChecked(s, claimRequest("w3", 5))), ["u3"]);
});

Deno.test("room() is unlimited without a limit, none while paused, and the limit less what runs, never below 0", () => {
  const s = new QueueState();
  enqueue(s, [1, 2, 3].map((i) => ({ id: `q${i}`, command: "x", queue: "q" })));
  assert.strictEqual(room(s, "q"), Infinity);
  assert.strictEqual(room(s, "never-named"), Infinity);
  setQueue(s, "q", { concurrency: 2 });
  assert.strictEqual(room(s, "q"), 2);
  claim(s, "w1", 3);
  assert.strictEqual(s.queueCounts("q").processing, 2);
  assert.strictEqual(room(s, "q"), 0);
  setQueue(s, "q", { concurrency: 1 });
  assert.strictEqual(room(s, "q"), 0, "a limit lowered below what runs leaves no room, not less");
  setQueue(s, "q", { concurrency: 5, paused: true });
  assert.strictEqual(room(s, "q"), 0);
});

Deno.test("decideClaim() leaves a job until every dependency completed, whatever its priority", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "build", command: "x", max_retries: 1 }, { id: "test", command: "x" }]);
  enqueue(s, [{ id: "deploy", command: "x", after: ["build", "test"], priority: 9 }]);
  const [build, test] = claimChecked(s, claimRequest("w1", 5));
  assert.deepStrictEqual([build.id, test.id], ["build", "test"]);
  finish(s, test, { kind: "exited", code: 0 });
  finish(s, build, { kind: "exited", code: 1 }, at(1));
  assert.deepStrictEqual(
    ids(claimChecked(s, claimRequest("w1", 5), at(100))),
    ["build"],
    "a failed dependency blocks",
  );
  finish(s, s.jobs.get("build")!, { kind: "exited", code: 0 }, at(100));
  assert.deepStrictEqual(ids(claimChecked(s, claimRequest("w1", 5), at(100))), ["deploy"]);
});

Deno.test("decideClaim() takes a job whose dependency completed and left the live jobs (archived, or deleted)", () => {
  for (const leave of ["archive", "delete"]) {
    const s = new QueueState();
    enqueue(s, [{ id: "a", command: "x" }]);
    enqueue(s, [{ id: "b", command: "x", after: ["a"], run_at: iso(10) }]);
    finish(s, claim(s, "w1", 1)[0], { kind: "exited", code: 0 });
    if (leave === "archive") archive(s, ["a"]);
    else commit(s, { records: [{ type: "delete", ids: ["a"] }], result: null });
    assert.ok(!s.jobs.has("a"));
    assert.deepStrictEqual(ids(claimChecked(s, claimRequest("w1", 5), at(10))), ["b"], leave);
  }
});

Deno.test("decideClaim() never takes a processing, completed or dead job", () => {
  const s = new QueueState();
  enqueue(s, ["run", "c", "d", "p"].map((id) => ({ id, command: "x", max_retries: 0 })));
  const [, c, d] = claim(s, "w1", 3);
  finish(s, c, { kind: "exited", code: 0 });
  finish(s, d, { kind: "exited", code: 1 });
  assert.deepStrictEqual(states(s), { run: "processing", c: "completed", d: "dead", p: "pending" });
  assert.deepStrictEqual(ids(claimChecked(s, claimRequest("w2", 10), at(1000))), ["p"]);
});

Deno.test("decideClaim() takes a job once even when the index holds it twice (a DLQ retry after a claim)", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "j", command: "x", max_retries: 0 }, { id: "k", command: "x", priority: -1 }]);
  s.runnable; // the index exists from here on, and is kept by the reducer
  const [j] = claim(s, "w1", 1);
  finish(s, j, { kind: "exited", code: 1 });
  commit(s, { records: [{ type: "retry", ids: ["j"] }], result: [] });
  assert.deepStrictEqual(ids(claimChecked(s, claimRequest("w1", 5))), ["j", "k"]);
});

Deno.test("decideClaim()'s result is each job as the claim record makes it", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }]);
  const now = at(3);
  const d = decideClaim(s, claimRequest("w1", 1), now);
  const expected = transition(s.jobs.get("a")!, {
    type: "claim",
    worker: "w1",
    claim: s.seq + 1,
    lease_until: iso(33),
    pid: 1000,
    pid_start: 7,
    out: ["w1-0.out", 0],
  }, now.toISOString());
  assert.deepStrictEqual(d.result, [expected]);
});

Deno.test("property: decideClaim() never exceeds a queue's concurrency limit across claims, finishes and limit changes", () => {
  const queue = (q: number) => `q${q}`;
  const arbOp = fc.oneof(
    fc.record({ k: fc.constant("claim" as const), slots: fc.integer({ min: 1, max: 4 }), q: fc.nat(3) }),
    fc.record({ k: fc.constant("finish" as const), pick: fc.nat() }),
    fc.record({ k: fc.constant("limit" as const), q: fc.nat(2), concurrency: fc.nat(3) }),
  );
  fc.assert(
    fc.property(
      fc.array(fc.record({ q: fc.nat(2), priority: fc.integer({ min: -1, max: 1 }) }), { maxLength: 20 }),
      fc.array(fc.nat(3), { minLength: 3, maxLength: 3 }),
      fc.array(arbOp, { maxLength: 30 }),
      (specs, limits, ops) => {
        const s = new QueueState();
        limits.forEach((concurrency, q) => setQueue(s, queue(q), { concurrency }));
        enqueue(
          s,
          specs.map((sp, i) => ({ id: `j${i}`, command: "x", queue: queue(sp.q), priority: sp.priority })),
        );
        for (const [i, op] of ops.entries()) {
          const now = at(i);
          if (op.k === "claim") {
            const before = [0, 1, 2].map((q) => s.queueCounts(queue(q)).processing);
            claimChecked(s, claimRequest("w", op.slots, op.q === 3 ? {} : { queues: [queue(op.q)] }), now);
            for (const q of [0, 1, 2]) {
              const { concurrency } = s.settings(queue(q));
              const running = s.queueCounts(queue(q)).processing;
              // a limit lowered below what already runs stops new claims; it kills nothing
              assert.ok(
                concurrency === 0 || running <= Math.max(concurrency, before[q]),
                `${queue(q)}: ${running}`,
              );
            }
          } else if (op.k === "finish") {
            const running = [...s.processing];
            if (running.length) {
              finish(s, s.jobs.get(running[op.pick % running.length])!, { kind: "exited", code: 0 }, now);
            }
          } else {
            setQueue(s, queue(op.q), { concurrency: op.concurrency });
          }
        }
      },
    ),
    { numRuns: 200 },
  );
});
