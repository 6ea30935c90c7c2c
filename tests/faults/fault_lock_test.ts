/**
 * A stranger process holds store.lock (exclusive, then shared): commands wait, say so on stderr
 * after about a second, and proceed once it is released. Scenario: torture/faults/lock_held.ts.
 */
import assert from "node:assert/strict";
import { lockHeld } from "../../torture/faults/lock_held.ts";

Deno.test("a lock held by a stranger: commands wait, say they wait, and proceed once it is released", async () => {
  const report = await lockHeld({ quick: true, progress: () => {} });
  assert.deepEqual(report.violations, []);
});
