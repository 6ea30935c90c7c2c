/**
 * Regression (found in review): a refused write command in a home that has no log yet (only config.jsonc, say) creates
 * an empty wal-00000001.jsonl (and store.lock): FileLog.#flush catches up with `exclusive`, and
 * #catchUp -> #openWal(true) creates the segment before any decision is known. The contract of
 * the bad-input tests is "the home's files byte-identical" after a refused command.
 */
import assert from "node:assert/strict";
import { cli, cliOk, snapshotFiles, withHome } from "../../testkit/mod.ts";

Deno.test("a refused `delete` in a home without a log yet leaves the home's files unchanged", () =>
  withHome(async (home) => {
    await cliOk(home, ["config", "set", "backoff-base", "1"]);
    const before = snapshotFiles(home);
    const r = await cli(home, ["delete", "nope"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no such job/);
    assert.deepEqual([...snapshotFiles(home).keys()].sort(), [...before.keys()].sort());
  }));
