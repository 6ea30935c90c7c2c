/**
 * Regression (found by the hostile-input fuzzer): `enqueue --delay 99999999999999999999999d` put
 * the start time past what a Date can hold and failed with "internal error: Invalid time value"
 * and exit 1. A delay that ends after the year 9999 (the latest --run-at) is now a usage error.
 */
import assert from "node:assert/strict";
import { cli, cliJson, exists, withHome } from "../../testkit/mod.ts";

Deno.test("enqueue refuses a --delay that ends after the year 9999 (exit 2, names --delay), creates nothing", () =>
  withHome(async (home) => {
    for (const delay of ["99999999999999999999999d", "3000000d"]) {
      const r = await cli(home, ["enqueue", "--delay", delay, "true"]);
      assert.strictEqual(r.code, 2, r.stderr);
      assert.strictEqual(r.stderr, `error: Invalid --delay "${delay}": it ends after the year 9999\n`);
    }
    assert.strictEqual(exists(home), false);
    // a long delay that stays within the range is still fine
    const job = await cliJson(home, ["enqueue", "--delay", "2000000d", "true"]);
    assert.ok(job.run_at.startsWith("+") === false && Date.parse(job.run_at) > Date.UTC(7000, 0, 1));
  }));
