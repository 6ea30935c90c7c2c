/**
 * Homes that cannot be written: on a read-only file system (reads answer, writes exit 1 with one
 * error line, no byte changes); missing (reads create nothing, the first write creates it 0700
 * under umask 000); under a regular file (one error line naming the path). Scenarios in
 * torture/faults/readonly_home.ts and torture/faults/missing_home.ts.
 */
import assert from "node:assert/strict";
import { readOnlyHome } from "../../torture/faults/readonly_home.ts";
import { missingHome } from "../../torture/faults/missing_home.ts";
import { methodsOf } from "../../torture/faults/common.ts";

Deno.test("a read-only home: reads answer as before, writes fail with one error line, nothing changes", async (t) => {
  const report = await readOnlyHome({ quick: true, progress: () => {} });
  // the result names how the home was made read-only (a bind mount, chmod, or Deno's permissions)
  const methods = methodsOf(report);
  for (const method of methods) await t.step(method, () => {});
  assert.equal(methods.length, 1, `the scenario says which method ran: ${methods.join("; ")}`);
  assert.deepEqual(report.violations, []);
});

Deno.test("a missing home is read as empty and created 0700 by the first write; a home under a file fails naming it", async () => {
  const report = await missingHome({ quick: true, progress: () => {} });
  assert.deepEqual(report.violations, []);
});
