import assert from "node:assert/strict";
import { pickKill, planJob, planTrial } from "./kill_plan.ts";
import { rng } from "./lib/prng.ts";

Deno.test("planTrial() draws 1-3 workers of 2-4 slots and 2-4 enqueuers, the same for the same seed", () => {
  for (let seed = 0; seed < 200; seed++) {
    const plan = planTrial(rng(seed), false);
    assert.ok(plan.workers.length >= 1 && plan.workers.length <= 3);
    assert.ok(plan.workers.every((n) => n >= 2 && n <= 4));
    assert.ok(plan.enqueuers >= 2 && plan.enqueuers <= 4);
    assert.ok(plan.killGapMs[0] < plan.killGapMs[1]);
    assert.deepEqual(planTrial(rng(seed), false), plan);
  }
  assert.ok(planTrial(rng(1), true).chaosMs <= 700, "a quick trial is short");
});

Deno.test("planJob() makes failing jobs fail every run and succeeding ones succeed", () => {
  const r = rng(3);
  const kinds = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const job = planJob(r);
    kinds.add(job.expect.kind);
    assert.equal(job.behaviour.exit, job.expect.kind === "fail" ? 1 : 0);
    assert.ok(job.expect.maxRetries >= 0 && job.expect.maxRetries <= 5);
  }
  assert.deepEqual([...kinds].sort(), ["fail", "ok"]);
});

Deno.test("pickKill() picks only among the kinds that have a target", () => {
  const r = rng(5);
  assert.equal(pickKill(r, []), null);
  for (let i = 0; i < 100; i++) assert.equal(pickKill(r, ["job"]), "job");
  const seen = new Set<string | null>();
  for (let i = 0; i < 300; i++) seen.add(pickKill(r, ["worker", "enqueue"]));
  assert.deepEqual([...seen].sort(), ["enqueue", "worker"]);
});
