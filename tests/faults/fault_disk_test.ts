/**
 * A full disk (a 2 MiB tmpfs, or `ulimit -f` where mounting is not allowed): refused commands
 * exit 1 with one error line and write nothing; a worker whose job fills the disk keeps running
 * without spinning; once space is freed everything completes and `doctor` is clean. The scenario
 * is torture/faults/disk_full.ts (the torture step runs it with more rounds).
 */
import assert from "node:assert/strict";
import { diskFull } from "../../torture/faults/disk_full.ts";

Deno.test("a full disk: clear errors, nothing acknowledged lost, a worker that neither dies nor spins, all well once space is freed", async () => {
  const report = await diskFull({ quick: true, progress: () => {} });
  assert.deepEqual(report.violations, []);
});
