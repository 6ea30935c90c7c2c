import assert from "node:assert/strict";
import {
  checkExactlyOnce,
  checkTrial,
  type Expectation,
  type FinalJob,
  type TrialFacts,
} from "./invariants.ts";
import { parseLedger } from "./ledger.ts";

const ok: Expectation = { kind: "ok", maxRetries: 3 };
const fail: Expectation = { kind: "fail", maxRetries: 1 };

/** A trial with workers 100 and 200 (200 killed) and the given jobs and ledger lines. */
function facts(jobs: Array<[string, Expectation, FinalJob["state"], number]>, ledger: string[]): TrialFacts {
  const { events, bad } = parseLedger(ledger.join("\n"));
  return {
    attempted: new Map(jobs.map(([id, e]) => [id, e])),
    acked: new Set(jobs.map(([id]) => id)),
    jobs: jobs.map(([id, , state, attempts]) => ({ id, state, attempts, last_error: null })),
    events,
    badLines: bad,
    workers: new Set([100, 200]),
    killedWorkers: new Set([200]),
    killedJobs: new Set([77]),
  };
}

Deno.test("checkTrial() passes a clean trial, a retried failure and a rerun after a worker kill", () => {
  const result = checkTrial(facts(
    [["a", ok, "completed", 1], ["f", fail, "dead", 2], ["k", ok, "completed", 2]],
    [
      "S a 1 100 1",
      "E a 1 100 2 0",
      "S f 2 100 3",
      "E f 2 100 4 1",
      "S f 3 100 5",
      "E f 3 100 6 1",
      "S k 4 200 7", // its worker 200 was killed: the run never ends
      "S k 5 100 8",
      "E k 5 100 9 0",
    ],
  ));
  assert.deepEqual(result.violations, []);
  assert.equal(result.runs, 5);
  assert.equal(result.rerunsAfterWorkerKill, 1);
});

Deno.test("checkTrial() finds a lost acknowledged job and a job stuck in processing", () => {
  const f = facts([["a", ok, "processing", 1]], ["S a 1 100 1"]);
  f.acked.add("gone");
  const v = checkTrial(f).violations.join("\n");
  assert.match(v, /job gone was acknowledged but is missing/);
  assert.match(v, /job a is still processing/);
  assert.match(v, /stopped without its end line/);
});

Deno.test("checkTrial() finds two overlapping runs even when the first worker was killed", () => {
  const v = checkTrial(facts([["a", ok, "completed", 2]], [
    "S a 1 200 1",
    "S a 2 100 2",
    "E a 2 100 3 0",
    "E a 1 200 4 0", // the first run outlived the start of the second
  ])).violations;
  assert.equal(v.length, 1);
  assert.match(v[0], /run by pid 2 started at ledger line 2 while the run by pid 1 was still running/);
});

Deno.test("checkTrial() finds a second run after a success under a live worker", () => {
  const v = checkTrial(facts([["a", ok, "completed", 2]], [
    "S a 1 100 1",
    "E a 1 100 2 0",
    "S a 2 100 3",
    "E a 2 100 4 0",
  ])).violations;
  assert.equal(v.length, 1);
  assert.match(
    v[0],
    /job a ran again \(ledger line 3\) after a run by pid 1 under worker pid 100 that succeeded/,
  );
});

Deno.test("checkTrial() finds a run taken over while its live worker held it", () => {
  const v = checkTrial(facts([["a", ok, "completed", 2]], [
    "S a 1 100 1", // worker 100 lives and nobody killed pid 1
    "S a 2 100 2",
    "E a 2 100 3 0",
  ])).violations.join("\n");
  assert.match(v, /stopped without its end line/);
  assert.match(v, /ran again \(ledger line 2\).*was not killed/);
});

Deno.test("checkTrial() never takes a run naming an unknown worker for one whose worker was killed", () => {
  // worker 999 is no worker of the trial: its unended run and the rerun after it are not excused
  const r = checkTrial(facts([["a", ok, "completed", 2]], [
    "S a 1 999 1",
    "S a 2 100 2",
    "E a 2 100 3 0",
  ]));
  const v = r.violations.join("\n");
  assert.match(v, /the run by pid 1 \(ledger line 1\) names worker pid 999, which is no worker of the trial/);
  assert.match(v, /stopped without its end line, and neither it nor its worker was killed/);
  assert.match(v, /ran again \(ledger line 2\) after a run by pid 1 under worker pid 999/);
  assert.equal(r.rerunsAfterWorkerKill, 0);
});

Deno.test("checkTrial() finds a run that names no worker at all (worker 0: the variable did not reach the job)", () => {
  const v = checkTrial(facts([["a", ok, "completed", 1]], ["S a 1 0 1", "E a 1 0 2 0"])).violations;
  assert.deepEqual(v, [
    "job a: the run by pid 1 (ledger line 1) names worker pid 0, which is no worker of the trial",
  ]);
});

Deno.test("checkTrial() accepts a run whose process group the harness killed", () => {
  const v = checkTrial(facts([["a", ok, "completed", 2]], [
    "S a 77 100 1",
    "S a 2 100 2",
    "E a 2 100 3 0",
  ])).violations;
  assert.deepEqual(v, []);
});

Deno.test("checkTrial() finds more runs than attempts, a completed failing job and an unknown job", () => {
  const f = facts([["a", ok, "completed", 1], ["f", fail, "completed", 1]], [
    "S a 1 100 1",
    "E a 1 100 2 1",
    "S a 3 100 3",
    "E a 3 100 4 0",
    "S f 2 100 5",
    "E f 2 100 6 1",
  ]);
  f.jobs.push({ id: "stranger", state: "completed", attempts: 1, last_error: null });
  const v = checkTrial(f).violations.join("\n");
  assert.match(v, /job a ran 2 times but the store counts 1 attempt/);
  assert.match(v, /job f is completed but every run of it fails/);
  assert.match(v, /job stranger is in the store but was never enqueued/);
  assert.match(v, /job stranger is completed but the ledger shows no successful run/);
});

Deno.test("checkTrial() finds a dead job that succeeds and was never killed, and a duplicate listing", () => {
  const f = facts([["a", ok, "dead", 1]], ["S a 1 100 1", "E a 1 100 2 0"]);
  f.jobs.push({ ...f.jobs[0] });
  const v = checkTrial(f).violations.join("\n");
  assert.match(v, /job a is listed twice/);
  assert.match(v, /job a is dead \(null\) though it succeeds and nothing killed it/);
});

Deno.test("checkTrial() counts jobs that exist without an acknowledgement, and flags bad ledger lines", () => {
  const f = facts([["a", ok, "completed", 1]], ["S a 1 100 1", "E a 1 100 2 0", "S a 1"]);
  f.acked.clear();
  const r = checkTrial(f);
  assert.equal(r.unackedPresent, 1);
  assert.deepEqual(r.violations, ["ledger line 3 is not a ledger line"]);
});

Deno.test("checkExactlyOnce() finds a double run, a missing run, an unfinished run and a stranger", () => {
  const { events, bad } = parseLedger([
    "S a 1 100 1",
    "E a 1 100 2 0",
    "S a 2 100 3",
    "E a 2 100 4 0",
    "S c 3 100 5",
    "S z 4 100 6",
    "E z 4 100 7 0",
  ].join("\n"));
  const v = checkExactlyOnce(["a", "b", "c"], events, bad).join("\n");
  assert.match(v, /job a ran 2 times/);
  assert.match(v, /job b never ran/);
  assert.match(v, /job c started but never ended/);
  assert.match(v, /job z ran but was never enqueued/);
  assert.deepEqual(checkExactlyOnce(["a"], events.slice(0, 2), []), []);
});
