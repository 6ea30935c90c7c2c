/**
 * Jobs that misbehave as processes: one that leaves a daemon behind (it completes, the worker
 * does not wait for the daemon; a timed-out job's daemon dies with its group) and one that
 * ignores SIGTERM (killed by SIGKILL after the grace period; on a second interrupt at once).
 * Scenarios: torture/faults/daemon.ts and torture/faults/sigterm.ts.
 */
import assert from "node:assert/strict";
import { daemonJob } from "../../torture/faults/daemon.ts";
import { sigtermIgnored } from "../../torture/faults/sigterm.ts";

Deno.test("a job that leaves a daemon completes, and the worker does not wait for the daemon", async () => {
  const report = await daemonJob({ quick: true, progress: () => {} });
  assert.deepEqual(report.violations, []);
});

Deno.test("a job that ignores SIGTERM is SIGKILLed after its timeout's grace, or at once on a second interrupt", async () => {
  const report = await sigtermIgnored({ quick: true, progress: () => {} });
  assert.deepEqual(report.violations, []);
});
