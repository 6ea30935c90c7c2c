/**
 * A job writing 64 MiB (1 GiB in the torture step): the worker's and `logs`' RSS stay flat,
 * `show` prints the tail only, `logs --json` refuses past its cap. Scenario:
 * torture/faults/huge_output.ts.
 */
import assert from "node:assert/strict";
import { hugeOutput } from "../../torture/faults/huge_output.ts";

Deno.test("a huge job output: flat memory in the worker and in logs, a bounded show, logs --json refused past its cap", async () => {
  const report = await hugeOutput({ quick: true, progress: () => {} });
  assert.deepEqual(report.violations, []);
});
