/**
 * A bounded, seeded run of the hostile-input fuzzer (torture/fuzz): about 1,000 generated bad
 * command lines and job JSON in this process and 30 through the real binary. Each must be refused
 * with exit 2 and one `error:` line naming the field or flag, leaving the home byte-identical
 * (a home that does not exist yet stays absent), or, for valid-but-odd input, be accepted.
 */
import assert from "node:assert/strict";
import { fuzz } from "../../torture/fuzz/runner.ts";

for (const seed of [1, 2]) {
  Deno.test(`fuzzed bad input (seed ${seed}) is refused with exit 2, one line naming the field, files unchanged`, async () => {
    const report = await fuzz({ seed, inProcess: 500, binary: 15 });
    assert.strictEqual(report.inProcess + report.binary, 515);
    assert.deepStrictEqual(report.violations, []);
    // every case is either refused or (valid but odd) accepted: the counts add up
    assert.strictEqual(report.refused + report.accepted, 515);
    assert.ok(report.refused > 400, `only ${report.refused} refusals`);
  });
}
