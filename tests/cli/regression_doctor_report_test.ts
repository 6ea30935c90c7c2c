/**
 * Regression (review): `doctor --json` on a damaged store said `"generation":0,"jobs":0,"seq":0`,
 * which reads like an empty store; and after `doctor --repair` of a 3-record log the text said
 * `last record 203` with no word on why. The report now says the store is damaged with null for
 * what could not be read, and the repair says that it numbered the next record past every seq the
 * unreadable bytes may have held (a seq is a claim's token: never used twice).
 */
import assert from "node:assert/strict";
import { cli, cliOk, withHome } from "../../testkit/mod.ts";

const GARBAGE = "x".repeat(199);

/** Three jobs logged, then a line of 199 unreadable bytes after the first record. */
async function damagedHome(home: string): Promise<void> {
  for (const id of ["j1", "j2", "j3"]) await cliOk(home, ["enqueue", "--id", id, "--delay", "1h", "true"]);
  const wal = `${home}/wal-00000001.jsonl`;
  const lines = Deno.readTextFileSync(wal).split("\n");
  lines.splice(1, 0, GARBAGE);
  Deno.writeTextFileSync(wal, lines.join("\n"));
}

Deno.test("doctor --json on a damaged store says it is damaged, with null for what it could not read", () =>
  withHome(async (home) => {
    await damagedHome(home);
    const r = await cli(home, ["doctor", "--json"]);
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.ok, false);
    assert.equal(report.state, "damaged");
    assert.equal(report.generation, null);
    assert.equal(report.jobs, null);
    assert.equal(report.seq, null);
    assert.match(report.problems[0], /^Store file wal-00000001\.jsonl is corrupt at line 2/);
    const text = await cli(home, ["doctor"]);
    assert.equal(text.code, 1);
    assert.doesNotMatch(text.stdout, /store ok|generation|job\(s\)/);
  }));

Deno.test("doctor --repair says why the last record's seq is past the records the log holds", () =>
  withHome(async (home) => {
    await damagedHome(home);
    const r = await cli(home, ["doctor", "--repair", "--json"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.ok, true);
    assert.equal(report.state, "repaired");
    assert.equal(report.jobs, 3);
    // 3 records, and the 199 bytes that may have held as many
    assert.equal(report.seq, 3 + GARBAGE.length);
    assert.ok(
      report.repairs.includes(
        `numbered the next record 203, not 4: the 199 unreadable byte(s) may have held records up to seq 202, and a seq is never used twice (a claim's seq is its token)`,
      ),
      report.repairs.join("\n"),
    );
    const after = await cliOk(home, ["doctor"]);
    assert.match(after, /^store ok: generation \d+, 3 job\(s\), last record seq 202$/m);
    const clean = JSON.parse(await cliOk(home, ["doctor", "--json"]));
    assert.equal(clean.state, "ok");
  }));
