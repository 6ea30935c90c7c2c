/**
 * Regression (review): a typo in `--home` passed for a store. `doctor` on a home that did not
 * exist printed `store ok: generation 1, 0 job(s)` (exit 0), and `compact` created the home and a
 * generation-2 snapshot. Now both say there is no store at that path (exit 1) and create nothing,
 * `--json` and `doctor --repair` too; reads of such a home still show an empty queue.
 */
import assert from "node:assert/strict";
import { cli, cliJson, cliOk, snapshotFiles, withHome } from "../../testkit/mod.ts";

const noStore = (action: string, home: string) =>
  `error: Cannot ${action}: there is no store at ${home} (nothing was ever written there)\n`;

Deno.test("doctor, doctor --repair and compact of a home that does not exist say so, exit 1, and create nothing", () =>
  withHome(async (home) => {
    for (
      const [args, action] of [
        [["doctor"], "check the store"],
        [["doctor", "--json"], "check the store"],
        [["doctor", "--repair"], "repair the store"],
        [["doctor", "--repair", "--json"], "repair the store"],
        [["compact"], "compact"],
        [["compact", "--json"], "compact"],
      ] as const
    ) {
      const r = await cli(home, [...args]);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stdout, "", args.join(" "));
      assert.equal(r.stderr, noStore(action, home), args.join(" "));
      assert.throws(() => Deno.statSync(home), Deno.errors.NotFound, `${args.join(" ")} created the home`);
    }
    // reads still show an empty queue, creating nothing
    assert.equal((await cliJson<unknown[]>(home, ["list"])).length, 0);
    assert.match(await cliOk(home, ["status"]), /^pending +0$/m);
    assert.throws(() => Deno.statSync(home), Deno.errors.NotFound);
  }));

Deno.test("doctor and compact of a home that holds only its config say there is no store there, and change nothing", () =>
  withHome(async (home) => {
    await cliOk(home, ["config", "set", "max-retries", "5"]);
    const before = snapshotFiles(home);
    for (const [args, action] of [[["doctor"], "check the store"], [["compact"], "compact"]] as const) {
      const r = await cli(home, [...args]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.equal(r.stderr, noStore(action, home));
    }
    assert.deepEqual(snapshotFiles(home), before);
  }));

Deno.test("doctor and compact of a store whose jobs are all gone still work: the store exists", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "a", "true"]);
    await cliOk(home, ["delete", "a"]);
    assert.match(await cliOk(home, ["doctor"]), /^store ok: generation 1, 0 job\(s\)/m);
    assert.match(await cliOk(home, ["compact"]), /^compacted into generation 2/);
  }));
