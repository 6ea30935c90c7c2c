import assert from "node:assert/strict";
import type { Job, Outcome } from "../../job.ts";
import {
  applyAll,
  assertConsistent,
  at,
  BACKOFF,
  claim,
  commit,
  decided,
  enqueue,
  finish,
  iso,
  olderJob,
  states,
  T0,
} from "../_testing.ts";
import { QueueState } from "../state.ts";
import { decideFinish, decideRenew, decideUnclaim, type FinishRequest, held } from "./finish.ts";
import { decideKill } from "./manage.ts";

const NOTHING = { records: [], result: null };

function request(job: Job, outcome: Outcome, extra: Partial<FinishRequest> = {}): FinishRequest {
  return { worker: job.worker, id: job.id, claim: job.claim, outcome, tail: null, config: BACKOFF, ...extra };
}

/** Decides a finish (checking it leaves the state unchanged), applies it, and checks the result is the job applied. */
function finishChecked(state: QueueState, req: FinishRequest, now: Date): Job | null {
  const d = decided(state, () => decideFinish(state, req, now));
  const job = commit(state, d, now);
  if (job) assert.deepStrictEqual(state.jobs.get(job.id), job, "the result is the job as applied");
  assertConsistent(state);
  return job;
}

/** A state with job a claimed by w1 (token 2). */
function oneClaimed(fields: { max_retries?: number } = {}): [QueueState, Job] {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x", ...fields }]);
  const [a] = claim(s, "w1", 1, at(1));
  return [s, a];
}

// ---- decideFinish

Deno.test("decideFinish() completes an attempt that exited 0, recording its token, tail and output end", () => {
  const [s, a] = oneClaimed();
  const { records, result } = decided(
    s,
    () => decideFinish(s, request(a, { kind: "exited", code: 0 }, { tail: "done\n", out_end: 77 }), at(4)),
  );
  assert.deepStrictEqual(records, [{
    type: "finish",
    id: "a",
    worker: "w1",
    attempt: 1,
    claim: 2,
    to: "completed",
    exit_code: 0,
    error: null,
    run_at: null,
    tail: "done\n",
    out_end: 77,
  }]);
  assert.strictEqual(result!.state, "completed");
  assert.strictEqual(result!.run_at, null, "a job due as soon as possible keeps its run_at");
  assert.strictEqual(result!.output_tail, "done\n");
  assert.strictEqual(result!.finished_at, iso(4));
  assert.deepStrictEqual(result!.runs, [{
    attempt: 1,
    worker: "w1",
    started_at: iso(1),
    finished_at: iso(4),
    out: ["w1-0.out", 0, 77],
    result: "exit code 0",
  }]);
  commit(s, { records, result }, at(4));
  assert.deepStrictEqual(s.jobs.get("a"), result);
});

Deno.test("decideFinish() without an output end records none", () => {
  const [s, a] = oneClaimed();
  const { records } = decideFinish(s, request(a, { kind: "exited", code: 0 }), at(2));
  assert.ok(!("out_end" in records[0]));
});

Deno.test("decideFinish() schedules a failed attempt's retry at now + base^attempts while retries remain", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "false", max_retries: 3 }]);
  for (const [attempt, delay] of [[1, 2], [2, 4], [3, 8]]) {
    const now = at(attempt * 100);
    const [job] = claim(s, "w1", 1, now);
    assert.strictEqual(job.attempts, attempt);
    const done = finishChecked(s, request(job, { kind: "exited", code: 3 }), now)!;
    assert.deepStrictEqual(
      [done.state, done.exit_code, done.last_error, done.run_at],
      ["failed", 3, "exit code 3", iso(attempt * 100 + delay)],
    );
  }
  const [last] = claim(s, "w1", 1, at(400));
  const dead = finishChecked(s, request(last, { kind: "exited", code: 3 }), at(400))!;
  assert.deepStrictEqual([dead.state, dead.attempts, dead.run_at], ["dead", 4, iso(308)]);
  assert.strictEqual(dead.runs?.length, 4);
});

Deno.test("decideFinish() sends a job with max_retries 0 to the DLQ on its first failure", () => {
  const [s, a] = oneClaimed({ max_retries: 0 });
  const job = finishChecked(s, request(a, { kind: "timeout", after: 5 }), at(5))!;
  assert.deepStrictEqual([job.state, job.exit_code, job.last_error], ["dead", null, "timed out after 5s"]);
});

Deno.test("decideFinish() caps the retry delay at backoff_max", () => {
  const [s, a] = oneClaimed({ max_retries: 50 });
  const config = { backoff_base: 1000, backoff_max: 60 };
  const job = finishChecked(s, request(a, { kind: "spawn_failed", message: "no sh" }, { config }), T0)!;
  assert.strictEqual(job.run_at, iso(60));
  assert.strictEqual(job.last_error, "could not start: no sh");
});

Deno.test("decideFinish() ends a killed attempt dead with the kill's reason, unless it exited 0", () => {
  for (
    const [outcome, to] of [[{ kind: "exited", code: 143 }, "dead"], [
      { kind: "exited", code: 0 },
      "completed",
    ]]
  ) {
    const [s, a] = oneClaimed({ max_retries: 5 });
    applyAll(s, [{ type: "kill", id: "a", claim: a.claim!, reason: "killed by bob" }]);
    const job = finishChecked(s, request(a, outcome as Outcome), at(2))!;
    assert.strictEqual(job.state, to);
    assert.strictEqual(job.last_error, to === "dead" ? "killed by bob" : null);
    assert.ok(!("kill" in job));
  }
});

Deno.test("decideFinish() by a rescuer (worker null) takes back a job held by any worker, under its token", () => {
  const [s, a] = oneClaimed();
  assert.deepStrictEqual(
    decideFinish(s, request(a, { kind: "lost" }, { worker: null, claim: 99 }), at(40)),
    NOTHING,
  );
  const d = decided(s, () => decideFinish(s, request(a, { kind: "lost" }, { worker: null }), at(40)));
  assert.strictEqual((d.records[0] as { worker: string | null }).worker, null);
  const job = commit(s, d, at(40))!;
  assert.deepStrictEqual([job.state, job.last_error, job.run_at], ["failed", "worker lost", iso(42)]);
  assert.deepStrictEqual(s.jobs.get("a"), job);
  assert.deepStrictEqual(decideFinish(s, request(a, { kind: "lost" }, { worker: null }), at(41)), NOTHING);
});

Deno.test("decideFinish() from another worker, under a stale token, or for a job not processing changes nothing", () => {
  const [s, a] = oneClaimed({ max_retries: 5 });
  const ok: Outcome = { kind: "exited", code: 0 };
  assert.deepStrictEqual(decideFinish(s, request(a, ok, { worker: "w2" }), T0), NOTHING);
  assert.deepStrictEqual(decideFinish(s, request(a, ok, { claim: a.claim! + 1 }), T0), NOTHING);
  assert.deepStrictEqual(decideFinish(s, request(a, ok, { claim: null }), T0), NOTHING);
  assert.deepStrictEqual(decideFinish(s, request(a, ok, { id: "nope" }), T0), NOTHING);
  // taken back, then claimed again by the same worker: the first attempt's end is refused
  finish(s, a, { kind: "lost" }, at(2), null);
  const [again] = claim(s, "w1", 1, at(100));
  assert.deepStrictEqual(decideFinish(s, request(a, { kind: "exited", code: 137 }), at(101)), NOTHING);
  assert.strictEqual(finishChecked(s, request(again, ok), at(101))!.state, "completed");
  assert.deepStrictEqual(
    decideFinish(s, request(again, ok), at(102)),
    NOTHING,
    "a second finish changes nothing",
  );
});

Deno.test("decideFinish() of an attempt claimed before tokens names it by its attempt number", () => {
  const s = new QueueState();
  const old = olderJob(1, iso(0), {
    state: "processing",
    attempts: 1,
    worker: "w1",
    lease_until: iso(30),
    started_at: iso(0),
  });
  applyAll(s, [{ type: "enqueue", jobs: [old] }]);
  const job = s.jobs.get("old")!;
  assert.deepStrictEqual([job.claim, job.queue], [null, "default"], "upgraded as read");
  assert.deepStrictEqual(
    decideFinish(s, request(job, { kind: "exited", code: 0 }, { claim: 1 }), at(1)),
    NOTHING,
  );
  const d = decided(s, () => decideFinish(s, request(job, { kind: "exited", code: 0 }), at(1)));
  assert.ok(!("claim" in d.records[0]));
  assert.strictEqual((d.records[0] as { attempt: number }).attempt, 1);
  assert.strictEqual(commit(s, d, at(1))!.state, "completed");
  assert.deepStrictEqual(s.jobs.get("old"), d.result);
});

Deno.test("decideFinish() of a dead attempt sends the waiting jobs depending on it to the DLQ, transitively", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x", max_retries: 0 }, { id: "other", command: "x" }]);
  enqueue(s, [
    { id: "b", command: "x", after: ["a"] },
    { id: "c", command: "x", after: ["b", "other"] },
    { id: "free", command: "x", after: ["other"] },
  ]);
  const [a] = claim(s, "w1", 1);
  const d = decided(s, () => decideFinish(s, request(a, { kind: "exited", code: 1 }), at(1)));
  assert.deepStrictEqual((d.records[0] as { bury?: unknown }).bury, [
    ["b", 'dependency "a" is dead'],
    ["c", 'dependency "b" is dead'],
  ]);
  const job = commit(s, d, at(1))!;
  assert.deepStrictEqual(s.jobs.get("a"), job);
  assert.deepStrictEqual(states(s), { a: "dead", other: "pending", b: "dead", c: "dead", free: "pending" });
  assert.strictEqual(s.jobs.get("c")!.last_error, 'dependency "b" is dead');
  assertConsistent(s);
});

Deno.test("decideFinish() of an attempt that completes or fails leaves its dependents waiting", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x", max_retries: 1 }]);
  enqueue(s, [{ id: "b", command: "x", after: ["a"] }]);
  const [a] = claim(s, "w1", 1);
  const d = decideFinish(s, request(a, { kind: "exited", code: 1 }), at(1));
  assert.ok(!("bury" in d.records[0]));
  commit(s, d, at(1));
  const [again] = claim(s, "w1", 1, at(10));
  assert.strictEqual(again.id, "a", "b still waits for a");
  assert.ok(!("bury" in decideFinish(s, request(again, { kind: "exited", code: 0 }), at(11)).records[0]));
});

// ---- decideUnclaim

Deno.test("decideUnclaim() gives a first attempt back to pending without counting it", () => {
  const [s, a] = oneClaimed();
  const d = decided(s, () => decideUnclaim(s, "w1", "a", a.claim!, at(2)));
  assert.deepStrictEqual(d.records, [{ type: "unclaim", id: "a", claim: a.claim }]);
  const job = commit(s, d, at(2))!;
  assert.deepStrictEqual(s.jobs.get("a"), job);
  assert.deepStrictEqual([job.state, job.attempts, job.runs, job.claim], ["pending", 0, undefined, null]);
  assert.deepStrictEqual(
    decideUnclaim(s, "w1", "a", a.claim!, at(3)),
    NOTHING,
    "a second unclaim changes nothing",
  );
  assertConsistent(s);
});

Deno.test("decideUnclaim() gives a retry back to failed, its earlier attempt and error kept", () => {
  const [s, a] = oneClaimed({ max_retries: 2 });
  finish(s, a, { kind: "exited", code: 1 }, at(2));
  const [again] = claim(s, "w1", 1, at(10));
  const job = commit(s, decided(s, () => decideUnclaim(s, "w1", "a", again.claim!, at(11))), at(11))!;
  assert.deepStrictEqual([job.state, job.attempts, job.last_error, job.run_at], [
    "failed",
    1,
    "exit code 1",
    iso(4),
  ]);
  assert.strictEqual(job.runs?.length, 1);
  assert.deepStrictEqual(s.jobs.get("a"), job);
});

Deno.test("decideUnclaim() from another worker or under a stale token changes nothing", () => {
  const [s, a] = oneClaimed();
  assert.deepStrictEqual(decideUnclaim(s, "w2", "a", a.claim!, T0), NOTHING);
  assert.deepStrictEqual(decideUnclaim(s, "w1", "a", a.claim! - 1, T0), NOTHING);
  assert.deepStrictEqual(decideUnclaim(s, "w1", "nope", a.claim!, T0), NOTHING);
});

// ---- decideRenew

Deno.test("decideRenew() extends from now the leases of the attempts still held under the tokens named", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "a", command: "x" }, { id: "b", command: "x" }, { id: "c", command: "x" }]);
  const [a, b] = claim(s, "w1", 2);
  const [c] = claim(s, "w2", 1);
  const d = decided(
    s,
    () =>
      decideRenew(
        s,
        "w1",
        [["a", a.claim!], ["b", b.claim! + 1000], ["c", c.claim!], ["nope", 1]],
        30,
        at(10),
      ),
  );
  assert.deepStrictEqual(d.records, [{
    type: "renew",
    worker: "w1",
    lease_until: iso(40),
    ids: ["a"],
    claims: [a.claim],
  }]);
  commit(s, d, at(10));
  assert.strictEqual(s.jobs.get("a")!.lease_until, iso(40));
  assert.strictEqual(s.jobs.get("b")!.lease_until, iso(30), "a stale token renews nothing");
  assert.strictEqual(s.jobs.get("c")!.lease_until, iso(30), "another worker's job is not renewed");
});

Deno.test("decideRenew() with nothing still held writes nothing", () => {
  const [s, a] = oneClaimed();
  assert.deepStrictEqual(decideRenew(s, "w1", [], 30, T0), { records: [], result: undefined });
  finish(s, a, { kind: "exited", code: 0 });
  assert.deepStrictEqual(decideRenew(s, "w1", [["a", a.claim!]], 30, T0), { records: [], result: undefined });
});

// ---- held

Deno.test("held() finds a job only while it is processing under that token, and that worker unless null", () => {
  const [s, a] = oneClaimed();
  assert.deepStrictEqual(held(s, "a", a.claim, "w1"), a);
  assert.deepStrictEqual(held(s, "a", a.claim, null), a);
  assert.strictEqual(held(s, "a", a.claim, "w2"), undefined);
  assert.strictEqual(held(s, "a", a.claim! + 1, null), undefined);
  assert.strictEqual(held(s, "nope", a.claim, null), undefined);
  finish(s, a, { kind: "exited", code: 0 });
  assert.strictEqual(held(s, "a", a.claim, "w1"), undefined);
});

Deno.test("decideUnclaim() of an attempt whose kill was asked for sends the job to the DLQ with the kill's reason", () => {
  const [s, a] = oneClaimed({ max_retries: 3 });
  commit(s, decided(s, () => decideKill(s, ["a"], "killed", at(2))), at(2));
  const d = decided(s, () => decideUnclaim(s, "w1", "a", a.claim!, at(3)));
  const job = commit(s, d, at(3))!;
  assert.deepStrictEqual([job.state, job.last_error, job.attempts], ["dead", "killed", 0]);
  assert.deepStrictEqual(s.jobs.get("a"), job);
  assertConsistent(s);
});
