import assert from "node:assert/strict";
import fc from "fast-check";
import { OperationError } from "../errors.ts";
import { newId } from "../ids.ts";
import { claimsBefore, isRunnable, type Job, type Outcome } from "../job.ts";
import {
  decideClaim,
  decideDelete,
  decideEnqueue,
  decideFinish,
  decideRetry,
  holds,
  pickRunnable,
} from "./decide.ts";
import type { Decision } from "./log.ts";
import type { JobSpec } from "./mod.ts";
import type { LogRecord } from "./records.ts";
import { apply, QueueState } from "./state.ts";

const T0 = new Date("2026-03-01T12:00:00.000Z");
const BACKOFF = { backoff_base: 2, backoff_max: 3600 };

function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

/** Applies a decision's records the way the log does, stamped with `now`. */
function commit<T>(state: QueueState, decision: Decision<T>, now: Date): T {
  for (const body of decision.records) {
    apply(state, { ...body, seq: state.seq + 1, at: now.toISOString() } as LogRecord);
  }
  return decision.result;
}

function enqueue(state: QueueState, specs: JobSpec[], now = T0): Job[] {
  return commit(state, decideEnqueue(state, specs, 3, now), now);
}

function claim(state: QueueState, worker: string, slots: number, now: Date): Job[] {
  return commit(state, decideClaim(state, worker, slots, 30, now), now);
}

function finish(state: QueueState, job: Job, outcome: Outcome, now: Date): Job | null {
  return commit(
    state,
    decideFinish(state, {
      worker: job.worker,
      id: job.id,
      attempt: job.attempts,
      outcome,
      tail: null,
      config: BACKOFF,
    }, now),
    now,
  );
}

/** A state holding one job of each kind: pending, processing, failed, completed, dead. */
function mixedState(): QueueState {
  const s = new QueueState();
  enqueue(s, [
    { id: "p", command: "true" },
    { id: "run", command: "sleep 9" },
    { id: "f", command: "false" },
    { id: "c", command: "true" },
    { id: "d", command: "false", max_retries: 0 },
  ]);
  // claim everything but "p", finish three of them
  commit(s, {
    records: [{
      type: "claim",
      worker: "w1",
      lease_until: at(30).toISOString(),
      ids: ["run", "f", "c", "d"],
    }],
    result: null,
  }, at(1));
  const held = (id: string) => s.jobs.get(id)!;
  finish(s, held("f"), { kind: "exited", code: 1 }, at(2));
  finish(s, held("c"), { kind: "exited", code: 0 }, at(2));
  finish(s, held("d"), { kind: "exited", code: 1 }, at(2));
  assert.deepStrictEqual(
    Object.fromEntries([...s.jobs.values()].map((j) => [j.id, j.state])),
    { p: "pending", run: "processing", f: "failed", c: "completed", d: "dead" },
  );
  return s;
}

function refusesOp(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof OperationError, `expected an OperationError, got ${e}`);
    assert.strictEqual(e.exitCode, 1);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("decideEnqueue() builds pending jobs with the spec's fields and the defaults", () => {
  const s = new QueueState();
  const { records, result } = decideEnqueue(
    s,
    [
      { id: "a", command: "echo a" },
      {
        id: "b",
        command: "echo b",
        max_retries: 0,
        priority: 7,
        run_at: "2026-03-02T00:00:00.000Z",
        timeout: 5,
        cwd: "/tmp",
      },
    ],
    4,
    T0,
  );
  const iso = T0.toISOString();
  assert.deepStrictEqual(result[0], {
    id: "a",
    command: "echo a",
    state: "pending",
    attempts: 0,
    max_retries: 4,
    priority: 0,
    run_at: iso,
    timeout: null,
    cwd: null,
    created_at: iso,
    updated_at: iso,
    exit_code: null,
    last_error: null,
    worker: null,
    lease_until: null,
    pid: null,
    pid_start: null,
    started_at: null,
    finished_at: null,
    output_tail: null,
    seq: 1,
  });
  assert.deepStrictEqual(
    result[1],
    {
      ...result[0],
      id: "b",
      command: "echo b",
      max_retries: 0,
      priority: 7,
      run_at: "2026-03-02T00:00:00.000Z",
      timeout: 5,
      cwd: "/tmp",
      seq: 2,
    },
  );
  // the record carries only the given fields; applying it rebuilds exactly the jobs of the result
  const given = ["id", "command", "max_retries", "priority", "run_at", "timeout", "cwd", "seq"];
  assert.deepStrictEqual(records, [{
    type: "enqueue",
    jobs: result.map((j) => Object.fromEntries(given.map((k) => [k, j[k as keyof typeof j]]))),
  }]);
  assert.strictEqual(s.jobs.size, 0, "deciding writes nothing");
  apply(s, { seq: 1, at: iso, ...records[0] } as LogRecord);
  assert.deepStrictEqual([...s.jobs.values()], result);
});

Deno.test("decideEnqueue() numbers jobs after those already enqueued", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }, { id: "b", command: "x" }]);
  const [c] = enqueue(s, [{ id: "c", command: "x" }]);
  assert.strictEqual(c.seq, 3);
  assert.strictEqual(s.jobs.get("c")!.seq, 3);
});

Deno.test("decideEnqueue() generates time-sortable ids from now and rand", () => {
  const s = new QueueState();
  let n = 0;
  const rand = () => (n++ % 32) / 32;
  const { result } = decideEnqueue(s, [{ command: "x" }, { command: "y" }], 3, T0, rand);
  n = 0;
  assert.strictEqual(result[0].id, newId(T0.getTime(), rand));
  assert.strictEqual(result[1].id, newId(T0.getTime(), rand));
  assert.notStrictEqual(result[0].id, result[1].id);
});

Deno.test("decideEnqueue() of no specs writes nothing", () => {
  assert.deepStrictEqual(decideEnqueue(new QueueState(), [], 3, T0), { records: [], result: [] });
});

Deno.test("decideEnqueue() refuses an id that already exists, and the whole batch with it", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a1", command: "x" }]);
  const before = s.seq;
  refusesOp(
    () => decideEnqueue(s, [{ id: "new", command: "x" }, { id: "a1", command: "y" }], 3, T0),
    /^Cannot enqueue job "a1": a job with this id already exists$/,
  );
  assert.strictEqual(s.seq, before);
  assert.deepStrictEqual([...s.jobs.keys()], ["a1"]);
});

Deno.test("decideEnqueue() refuses an id that appears twice in one batch", () => {
  refusesOp(
    () => decideEnqueue(new QueueState(), [{ id: "x", command: "a" }, { id: "x", command: "b" }], 3, T0),
    /^Cannot enqueue job "x": the id appears twice in this batch$/,
  );
});

Deno.test("decideEnqueue() refuses a generated id that collides with an existing job", () => {
  const s = new QueueState();
  const id = newId(T0.getTime(), () => 0);
  enqueue(s, [{ id, command: "x" }]);
  refusesOp(() => decideEnqueue(s, [{ command: "y" }], 3, T0, () => 0), /already exists/);
});

Deno.test("pickRunnable() orders by priority, then run_at, then enqueue order", () => {
  const s = new QueueState();
  enqueue(s, [
    { id: "low", command: "x", priority: -1 },
    { id: "late", command: "x", run_at: at(5).toISOString() },
    { id: "first", command: "x" },
    { id: "second", command: "x" },
    { id: "high", command: "x", priority: 10, run_at: at(8).toISOString() },
  ]);
  assert.deepStrictEqual(pickRunnable(s, 10, at(10).toISOString()).map((j) => j.id), [
    "high",
    "first",
    "second",
    "late",
    "low",
  ]);
});

Deno.test("pickRunnable() returns at most `slots` jobs, the best ones", () => {
  const s = new QueueState();
  enqueue(s, [
    { id: "a", command: "x" },
    { id: "b", command: "x", priority: 2 },
    { id: "c", command: "x" },
    { id: "d", command: "x", priority: 1 },
  ]);
  const now = T0.toISOString();
  assert.deepStrictEqual(pickRunnable(s, 1, now).map((j) => j.id), ["b"]);
  assert.deepStrictEqual(pickRunnable(s, 2, now).map((j) => j.id), ["b", "d"]);
  assert.deepStrictEqual(pickRunnable(s, 3, now).map((j) => j.id), ["b", "d", "a"]);
});

Deno.test("pickRunnable() with no free slots picks nothing", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }]);
  assert.deepStrictEqual(pickRunnable(s, 0, T0.toISOString()), []);
});

Deno.test("pickRunnable() skips jobs whose run_at is in the future, including failed ones in backoff", () => {
  const s = new QueueState();
  enqueue(s, [
    { id: "later", command: "x", run_at: at(60).toISOString() },
    { id: "f", command: "false" },
  ]);
  const [job] = claim(s, "w1", 1, T0);
  assert.strictEqual(job.id, "f");
  finish(s, s.jobs.get("f")!, { kind: "exited", code: 1 }, at(1)); // retry due at 1 + 2 s
  assert.deepStrictEqual(pickRunnable(s, 5, at(2).toISOString()), []);
  assert.deepStrictEqual(pickRunnable(s, 5, at(3).toISOString()).map((j) => j.id), ["f"]);
  assert.deepStrictEqual(pickRunnable(s, 5, at(60).toISOString()).map((j) => j.id), ["f", "later"]);
});

Deno.test("pickRunnable() never picks processing, completed or dead jobs", () => {
  const s = mixedState();
  assert.deepStrictEqual(pickRunnable(s, 10, at(1000).toISOString()).map((j) => j.id).sort(), ["f", "p"]);
});

Deno.test("pickRunnable() returns the first `slots` runnable jobs in claim order", () => {
  const arbSpec = fc.record({
    priority: fc.integer({ min: -2, max: 2 }),
    delay: fc.integer({ min: 0, max: 20 }),
  });
  fc.assert(
    fc.property(
      fc.array(arbSpec, { maxLength: 25 }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 0, max: 20 }),
      (
        specs,
        slots,
        nowSec,
      ) => {
        const s = new QueueState();
        enqueue(
          s,
          specs.map((sp, i) => ({
            id: `j${i}`,
            command: "x",
            priority: sp.priority,
            run_at: at(sp.delay).toISOString(),
          })),
        );
        const now = at(nowSec).toISOString();
        const expected = [...s.jobs.values()]
          .filter((j) => isRunnable(j, now))
          .sort((a, b) => claimsBefore(a, b) ? -1 : claimsBefore(b, a) ? 1 : 0)
          .slice(0, slots)
          .map((j) => j.id);
        assert.deepStrictEqual(pickRunnable(s, slots, now).map((j) => j.id), expected);
      },
    ),
  );
});

Deno.test("decideClaim() claims runnable jobs for the worker with a lease from now", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }, { id: "b", command: "x", priority: 1 }, { id: "c", command: "x" }]);
  const now = at(5);
  const { records, result } = decideClaim(s, "w7", 2, 45, now);
  const lease_until = at(50).toISOString();
  assert.deepStrictEqual(records, [{ type: "claim", worker: "w7", lease_until, ids: ["b", "a"] }]);
  assert.deepStrictEqual(result.map((j) => [j.id, j.state, j.attempts, j.worker, j.lease_until]), [
    ["b", "processing", 1, "w7", lease_until],
    ["a", "processing", 1, "w7", lease_until],
  ]);
  assert.strictEqual(s.jobs.get("a")!.state, "pending", "deciding writes nothing");
});

Deno.test("decideClaim() returns the jobs as they are once the claim applies", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }]);
  const now = at(5);
  const [claimed] = commit(s, decideClaim(s, "w1", 1, 30, now), now);
  assert.deepStrictEqual(claimed, s.jobs.get("a"));
});

Deno.test("decideClaim() with nothing runnable writes nothing", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x", run_at: at(60).toISOString() }]);
  assert.deepStrictEqual(decideClaim(s, "w1", 4, 30, T0), { records: [], result: [] });
  assert.deepStrictEqual(decideClaim(new QueueState(), "w1", 4, 30, T0), { records: [], result: [] });
});

Deno.test("decideFinish() marks a job that exited 0 completed and keeps its run_at", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "true" }]);
  const [job] = claim(s, "w1", 1, at(1));
  const { records, result } = decideFinish(s, {
    worker: "w1",
    id: "a",
    attempt: 1,
    outcome: { kind: "exited", code: 0 },
    tail: "done\n",
    config: BACKOFF,
  }, at(4));
  assert.deepStrictEqual(records, [{
    type: "finish",
    id: "a",
    worker: "w1",
    attempt: 1,
    to: "completed",
    exit_code: 0,
    error: null,
    run_at: null,
    tail: "done\n",
  }]);
  assert.strictEqual(result!.state, "completed");
  assert.strictEqual(result!.run_at, job.run_at);
  assert.strictEqual(result!.output_tail, "done\n");
  assert.strictEqual(result!.finished_at, at(4).toISOString());
});

Deno.test("decideFinish() schedules a failed attempt's retry at now + base^attempts while retries remain", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "false", max_retries: 3 }]);
  let now = T0;
  for (const [attempt, delay] of [[1, 2], [2, 4], [3, 8]]) {
    now = at(attempt * 100);
    const [job] = claim(s, "w1", 1, now);
    assert.strictEqual(job.attempts, attempt);
    const done = finish(s, s.jobs.get("a")!, { kind: "exited", code: 3 }, now)!;
    assert.strictEqual(done.state, "failed");
    assert.strictEqual(done.exit_code, 3);
    assert.strictEqual(done.last_error, "exit code 3");
    assert.strictEqual(done.run_at, new Date(now.getTime() + delay * 1000).toISOString());
    assert.deepStrictEqual(s.jobs.get("a"), done);
  }
  // attempt 4 = max_retries + 1: no retries left
  now = at(400);
  claim(s, "w1", 1, now);
  const dead = finish(s, s.jobs.get("a")!, { kind: "exited", code: 3 }, now)!;
  assert.strictEqual(dead.state, "dead");
  assert.strictEqual(dead.attempts, 4);
  assert.strictEqual(dead.run_at, at(300 + 8).toISOString(), "a dead job keeps its last run_at");
  assert.deepStrictEqual(s.jobs.get("a"), dead);
});

Deno.test("decideFinish() sends a job with max_retries 0 to the DLQ on its first failure", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "false", max_retries: 0 }]);
  claim(s, "w1", 1, T0);
  const job = finish(s, s.jobs.get("a")!, { kind: "timeout", after: 5 }, at(5))!;
  assert.strictEqual(job.state, "dead");
  assert.strictEqual(job.exit_code, null);
  assert.strictEqual(job.last_error, "timed out after 5s");
});

Deno.test("decideFinish() caps the retry delay at backoff_max", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "false", max_retries: 50 }]);
  claim(s, "w1", 1, T0);
  const { result } = decideFinish(s, {
    worker: "w1",
    id: "a",
    attempt: 1,
    outcome: { kind: "spawn_failed", message: "no sh" },
    tail: null,
    config: { backoff_base: 1000, backoff_max: 60 },
  }, T0);
  assert.strictEqual(result!.run_at, at(60).toISOString());
  assert.strictEqual(result!.last_error, "could not start: no sh");
});

Deno.test("decideFinish() from another worker or an older attempt changes nothing", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }]);
  claim(s, "w1", 1, T0);
  const req = {
    worker: "w1",
    id: "a",
    attempt: 1,
    outcome: { kind: "exited", code: 0 } as Outcome,
    tail: null,
    config: BACKOFF,
  };
  assert.deepStrictEqual(decideFinish(s, { ...req, worker: "w2" }, T0), { records: [], result: null });
  assert.deepStrictEqual(decideFinish(s, { ...req, attempt: 2 }, T0), { records: [], result: null });
  assert.deepStrictEqual(decideFinish(s, { ...req, attempt: 0 }, T0), { records: [], result: null });
  assert.deepStrictEqual(decideFinish(s, { ...req, id: "nope" }, T0), { records: [], result: null });
  assert.notStrictEqual(decideFinish(s, req, T0).result, null);
});

Deno.test("decideFinish() of a job no longer processing changes nothing", () => {
  const s = mixedState();
  for (const id of ["p", "f", "c", "d"]) {
    const job = s.jobs.get(id)!;
    const d = decideFinish(s, {
      worker: null,
      id,
      attempt: job.attempts,
      outcome: { kind: "lost" },
      tail: null,
      config: BACKOFF,
    }, at(10));
    assert.deepStrictEqual(d, { records: [], result: null }, id);
  }
});

Deno.test("decideFinish() by a rescuer (worker null) takes back a job held by any worker", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }]);
  claim(s, "w1", 1, T0);
  const d = decideFinish(s, {
    worker: null,
    id: "a",
    attempt: 1,
    outcome: { kind: "lost" },
    tail: null,
    config: BACKOFF,
  }, at(40));
  assert.strictEqual(d.records.length, 1);
  const job = commit(s, d, at(40))!;
  assert.strictEqual(job.state, "failed");
  assert.strictEqual(job.last_error, "worker lost");
  assert.strictEqual(job.run_at, at(42).toISOString());
  assert.deepStrictEqual(s.jobs.get("a"), job);
});

Deno.test("holds() is true only for a processing job under that worker and attempt", () => {
  const s = mixedState();
  const run = s.jobs.get("run")!;
  assert.strictEqual(holds(run, "w1", 1), true);
  assert.strictEqual(holds(run, null, 1), true);
  assert.strictEqual(holds(run, "w2", 1), false);
  assert.strictEqual(holds(run, "w1", 2), false);
  assert.strictEqual(holds(undefined, "w1", 1), false);
  assert.strictEqual(holds(s.jobs.get("f"), null, 1), false);
});

Deno.test("decideRetry() moves the named dead jobs back, once each", () => {
  const s = mixedState();
  const { records, result } = decideRetry(s, ["d", "d"]);
  assert.deepStrictEqual(records, [{ type: "retry", ids: ["d"] }]);
  assert.deepStrictEqual(result.map((j) => j.id), ["d"]);
  commit(s, { records, result }, at(20));
  const job = s.jobs.get("d")!;
  assert.strictEqual(job.state, "pending");
  assert.strictEqual(job.attempts, 0);
  assert.strictEqual(job.run_at, at(20).toISOString());
});

Deno.test("decideRetry() refuses a job that is not dead or does not exist", () => {
  const s = mixedState();
  for (const [id, state] of [["p", "pending"], ["run", "processing"], ["f", "failed"], ["c", "completed"]]) {
    refusesOp(
      () => decideRetry(s, ["d", id]),
      new RegExp(`^Cannot retry job "${id}": it is ${state}, not dead \\(only DLQ jobs can be retried\\)$`),
    );
  }
  refusesOp(() => decideRetry(s, ["ghost"]), /^Cannot retry job "ghost": no such job$/);
});

Deno.test("decideRetry('all') retries every dead job, and writes nothing when there is none", () => {
  const s = mixedState();
  enqueue(s, [{ id: "d2", command: "false", max_retries: 0 }], at(3));
  claim(s, "w2", 5, at(3));
  finish(s, s.jobs.get("d2")!, { kind: "exited", code: 9 }, at(4));
  const { records } = decideRetry(s, "all");
  assert.deepStrictEqual(records, [{ type: "retry", ids: ["d", "d2"] }]);
  commit(s, { records, result: null }, at(5));
  assert.strictEqual(s.counts.dead, 0);
  assert.deepStrictEqual(decideRetry(s, "all"), { records: [], result: [] });
  assert.deepStrictEqual(decideRetry(s, []), { records: [], result: [] });
});

Deno.test("decideDelete() deletes jobs in the allowed states, once each", () => {
  const s = mixedState();
  const { records, result } = decideDelete(s, ["c", "d", "c"], ["completed", "dead"]);
  assert.deepStrictEqual(records, [{ type: "delete", ids: ["c", "d"] }]);
  assert.deepStrictEqual(result.map((j) => j.id), ["c", "d"]);
  commit(s, { records, result }, at(9));
  assert.deepStrictEqual([...s.jobs.keys()].sort(), ["f", "p", "run"]);
  assert.deepStrictEqual(decideDelete(s, [], ["pending"]), { records: [], result: [] });
});

Deno.test("decideDelete() refuses a processing job, and the whole batch with it", () => {
  const s = mixedState();
  refusesOp(
    () => decideDelete(s, ["p", "run"], ["pending", "failed", "completed", "dead"]),
    /^Cannot delete job "run": it is processing; wait for it to finish or stop its worker$/,
  );
  assert.ok(s.jobs.has("p"));
});

Deno.test("decideDelete() refuses a processing job even when the caller allows processing (apply() would refuse the record)", () => {
  const s = mixedState();
  refusesOp(() => decideDelete(s, ["run"], ["processing"]), /^Cannot delete job "run": it is processing/);
});

Deno.test("decideDelete() refuses jobs outside the allowed states, and unknown ids", () => {
  const s = mixedState();
  refusesOp(
    () => decideDelete(s, ["c", "p"], ["completed", "dead"]),
    /^Cannot delete job "p": it is pending, not completed or dead$/,
  );
  refusesOp(() => decideDelete(s, ["ghost"], ["pending"]), /^Cannot delete job "ghost": no such job$/);
});

Deno.test("decideEnqueue() draws again when a generated id repeats one in the batch or the queue", () => {
  const s = new QueueState();
  // a random source that repeats itself: the first two ids would be equal
  const draws = [0.1, 0.2, 0.1, 0.2, 0.1, 0.2, 0.3, 0.4];
  let i = 0;
  const rand = () => draws[i++ % draws.length];
  const { result } = decideEnqueue(s, [{ command: "a" }, { command: "b" }], 3, T0, rand);
  assert.equal(new Set(result.map((j) => j.id)).size, 2);
  assert.equal(i, 8, "the repeated id was drawn again, twice");
});
