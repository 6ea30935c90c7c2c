import assert from "node:assert/strict";
import { waitFor } from "../testkit/mod.ts";
import { parseLedger } from "./lib/ledger.ts";
import { checkRound, liveJobCommand, type RoundFacts } from "./live_repair_check.ts";

const ledger = (lines: string[]) => parseLedger(lines.join("\n") + "\n").events;

function facts(more: Partial<RoundFacts> = {}): RoundFacts {
  return {
    acked: ["a", "b"],
    jobs: [{ id: "a", state: "completed" }, { id: "b", state: "completed" }],
    events: ledger(["S a 10 1 0", "E a 10 1 0 0", "S b 11 1 0", "E b 11 1 0 0"]),
    overlaps: [],
    named: new Set(),
    untellable: false,
    damaged: "wal-00000002.jsonl",
    workerOutputs: [""],
    ...more,
  };
}

Deno.test("checkRound passes a round where every job ran once to its end and nothing was said", () => {
  assert.deepEqual(checkRound(facts()), { violations: [], stoppedByDamage: 0, lost: 0 });
});

Deno.test("checkRound finds a run that started while another lived, and runs that overlap in the ledger", () => {
  const found = checkRound(facts({
    overlaps: [["a", 12, 10]],
    events: ledger([
      "S a 10 1 0",
      "S a 12 1 0",
      "E a 10 1 0 0",
      "E a 12 1 0 0",
      "S b 11 1 0",
      "E b 11 1 0 0",
    ]),
  }));
  assert.equal(found.violations.length, 2, found.violations.join("\n"));
  assert.match(
    found.violations[0],
    /job a: the run by pid 12 started while its run by pid 10 was still alive/,
  );
  assert.match(
    found.violations[1],
    /job a: run by pid 12 started \(ledger line 2\) before the run by pid 10 ended/,
  );
});

Deno.test("checkRound finds a job lost unnamed, a job not completed, and accepts a named loss", () => {
  const lostUnnamed = checkRound(facts({ jobs: [{ id: "a", state: "completed" }] }));
  assert.deepEqual(lostUnnamed.violations, ["job b was acknowledged, is gone, and no repair named it"]);
  assert.deepEqual(
    checkRound(facts({ jobs: [{ id: "a", state: "completed" }], named: new Set(["b"]) })).violations,
    [],
  );
  const dead = checkRound(
    facts({ jobs: [{ id: "a", state: "completed" }, { id: "b", state: "dead", last_error: "worker lost" }] }),
  );
  assert.deepEqual(dead.violations, ["job b ends dead (worker lost), though every run of it succeeds"]);
});

Deno.test("checkRound accepts a worker that met the damaged file, and nothing else called corrupt", () => {
  const met =
    "error: Store file wal-00000002.jsonl is corrupt at line 4: checksum mismatch; nothing was changed";
  assert.equal(checkRound(facts({ workerOutputs: [met] })).stoppedByDamage, 1);
  const other = "error: Store file snapshot-00000003.snap is corrupt at line 1: checksum mismatch; x";
  assert.match(checkRound(facts({ workerOutputs: [other] })).violations[0], /naming snapshot-00000003\.snap/);
  const shrank =
    "error: Store file wal-00000002.jsonl is corrupt at line 9: the file shrank under a running process; x";
  assert.match(checkRound(facts({ workerOutputs: [shrank] })).violations[0], /shrank/);
});

Deno.test("a live-repair job command notes a run of its own job that is still alive", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "qlive-check-" });
  const first = new Deno.Command("/bin/sh", { args: ["-c", liveJobCommand(`${dir}/ledger`, dir, "j1", 30)] })
    .spawn();
  try {
    // the first run has noted its pid and sleeps: a second run starts beside it
    const noted = () => {
      try {
        return Deno.readTextFileSync(`${dir}/j1.pids`).trim() !== "";
      } catch {
        return false;
      }
    };
    await waitFor(noted, "the first run to note its pid");
    const second = await new Deno.Command("/bin/sh", {
      args: ["-c", liveJobCommand(`${dir}/ledger`, dir, "j1", 0)],
    })
      .output();
    assert.equal(second.code, 0);
    const x = Deno.readTextFileSync(`${dir}/ledger`).split("\n").filter((l) => l.startsWith("X "));
    assert.equal(x.length, 1, Deno.readTextFileSync(`${dir}/ledger`));
    assert.match(x[0], new RegExp(`^X j1 \\d+ ${first.pid}$`));
  } finally {
    first.kill("SIGKILL");
    await first.status;
    Deno.removeSync(dir, { recursive: true });
  }
});
