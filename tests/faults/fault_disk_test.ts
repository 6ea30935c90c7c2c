/**
 * A full disk (a 2 MiB tmpfs, or `ulimit -f` where mounting is not allowed): refused commands
 * exit 1 with one error line and write nothing; a worker whose job fills the disk keeps running
 * without spinning; once space is freed everything completes and `doctor` is clean. The scenario
 * is torture/faults/disk_full.ts (the torture step runs it with more rounds). Its result names the
 * method of each phase; the phase where a job fills the disk needs a tmpfs, and fails where no
 * tmpfs can be mounted rather than pass without it.
 */
import assert from "node:assert/strict";
import { diskFull } from "../../torture/faults/disk_full.ts";
import { methodsOf } from "../../torture/faults/common.ts";

Deno.test("a full disk: clear errors, nothing acknowledged lost, a worker that neither dies nor spins, all well once space is freed", async (t) => {
  const report = await diskFull({ quick: true, progress: () => {} });
  // the result names how each phase made the disk full (a step per method, shown in the test's output)
  const methods = methodsOf(report);
  for (const method of methods) await t.step(method, () => {});
  assert.equal(methods.length, 3, `each phase says which method ran: ${methods.join("; ")}`);
  assert.deepEqual(report.violations, []);
});
