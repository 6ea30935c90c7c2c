/**
 * Regression (issue 13 #8): `config set` read config.jsonc, edited it and renamed a new file into
 * place without a lock, so of several sets of different keys running at once each printed success
 * and some values were lost (the last rename won). The read-edit-write now holds an OS lock.
 */
import assert from "node:assert/strict";
import { cli, cliJson, withHome } from "../../testkit/mod.ts";

const ROUNDS = 5;

Deno.test("concurrent config sets of different keys all land, round after round", () =>
  withHome(async (home) => {
    const lost: string[] = [];
    // round 0 starts with no home at all: the sets race to create it too
    for (let round = 0; round < ROUNDS; round++) {
      const want = {
        max_retries: 10 + round,
        backoff_base: 3 + round,
        backoff_max: 100 + round,
        job_timeout: 20 + round,
        lease_timeout: 40 + round,
        poll_interval: 2 + round,
      };
      const results = await Promise.all(
        Object.entries(want).map(([key, value]) => cli(home, ["config", "set", key, String(value)])),
      );
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      const got = await cliJson<Record<string, number>>(home, ["config", "list"]);
      const missing = Object.entries(want).filter(([key, value]) => got[key] !== value).map(([key]) => key);
      if (missing.length > 0) lost.push(`round ${round}: ${missing.join(", ")}`);
    }
    assert.deepEqual(lost, [], "values lost although every set printed success");
  }));
