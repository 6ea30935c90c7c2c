import assert from "node:assert/strict";
import { type HealthyJob, judgeHealthy } from "./healthy.ts";

const done = (
  id: string,
  runs: HealthyJob["runs"] = [{ attempt: 1, result: "exit code 0" }],
): HealthyJob => ({
  id,
  state: "completed",
  attempts: runs?.length ?? 1,
  last_error: null,
  runs,
});

Deno.test("judgeHealthy() passes one whole run per job, and counts the runs in flight across an event", () => {
  const ledger = ["S a 10 1 0", "S b 11 1 0", "E a 10 1 0 0", "E b 11 1 0 0"].join("\n") + "\n";
  // an event after line 1 (a running), after line 2 (both running), after line 4 (none)
  const v = judgeHealthy(["a", "b"], [done("a"), done("b")], ledger, [1, 2, 4]);
  assert.deepEqual(v.violations, []);
  assert.equal(v.runs, 2);
  assert.equal(v.spanning, 2);
});

Deno.test("judgeHealthy() names a second run, a run cut short, a lost attempt, an overlap and a job not completed", () => {
  const ledger = [
    "S a 10 1 0",
    "S a 12 2 0",
    "X a 12 10",
    "E a 12 2 0 0",
    "S b 11 1 0",
  ].join("\n") + "\n";
  const jobs: HealthyJob[] = [
    done("a", [{ attempt: 1, result: "worker lost" }, { attempt: 2, result: "exit code 0" }]),
    { id: "b", state: "processing", attempts: 1, last_error: null },
  ];
  const v = judgeHealthy(["a", "b", "c"], jobs, ledger, []);
  const text = v.violations.join("\n");
  assert.match(text, /job a: its run by pid 12 started while its run by pid 10 lived/);
  assert.match(text, /job a ran 2 times/);
  assert.match(text, /job a has a run that never wrote its end/);
  assert.match(text, /job a is completed after 2 attempt\(s\)/);
  assert.match(text, /job a: attempt 1 was recorded "worker lost"/);
  assert.match(text, /job b is processing after 1 attempt\(s\)/);
  assert.match(text, /job c was enqueued but is not listed/);
});

Deno.test("judgeHealthy() reports a run of a job that was never enqueued, and ledger lines it cannot read", () => {
  const v = judgeHealthy([], [], "S z 1 1 0\nE z 1 1 0 0\ngarbage\n", []);
  assert.match(v.violations.join("\n"), /z ran but was never enqueued/);
  assert.match(v.violations.join("\n"), /ledger lines 3 do not parse/);
});
