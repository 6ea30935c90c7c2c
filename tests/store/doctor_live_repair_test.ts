/**
 * End-to-end: `doctor --repair` beside running workers (issue 13, part 4). The repair holds the
 * store's lock from its first look to its last and writes the repaired store as a new generation;
 * a running worker reopens from it instead of calling the store corrupt, keeps the attempts the
 * repaired store still records and records their ends, and an attempt whose claim the repair could
 * not keep is killed before anyone may claim its job again. Without --force the repair refuses
 * while a worker runs, naming it, and changes nothing.
 */
import assert from "node:assert/strict";
import { FileStore } from "../../src/store/file_store.ts";
import { homePaths } from "../../src/store/paths.ts";
import { doctor } from "../../src/store/repair.ts";
import { NOTHING_RUNS } from "../../testkit/store.ts";
import {
  type Background,
  cli,
  cliJson,
  cliOk,
  dirOfHome,
  exists,
  processAlive,
  readLines,
  snapshotFiles,
  spawnCli,
  stopBackground,
  untilOutput,
  untilState,
  waitFor,
  withHome,
  workerIdOf,
} from "../../testkit/mod.ts";

/** A job that notes its start (with its shell's pid) and end in `ledger`, running until `release` exists. */
function held(dir: string, name: string): string {
  return `echo "start ${name} $$" >> ${dir}/ledger; while [ ! -e ${dir}/release ]; do sleep 0.05; done; echo "end ${name} $$" >> ${dir}/ledger`;
}

/** Flips one byte of the log line that contains `marker`, in place (the file keeps its size). */
function flipLogLine(home: string, marker: string): string {
  const wal = [...Deno.readDirSync(home)].find((e) => /^wal-\d+\.jsonl$/.test(e.name))!.name;
  const bytes = Deno.readFileSync(`${home}/${wal}`);
  const text = new TextDecoder().decode(bytes);
  const at = text.indexOf(marker);
  assert.ok(at >= 0, `no log line holds ${marker}`);
  const lineStart = text.lastIndexOf("\n", at) + 1;
  const file = Deno.openSync(`${home}/${wal}`, { read: true, write: true });
  try {
    const one = new Uint8Array([bytes[lineStart + 10] ^ 0x01]);
    file.seekSync(lineStart + 10, Deno.SeekMode.Start);
    file.writeSync(one);
  } finally {
    file.close();
  }
  return wal;
}

const ledger = (dir: string) => readLines(`${dir}/ledger`);

Deno.test("doctor --repair --force beside a running worker: the worker reopens, records its job, runs on, and nothing runs twice", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    const workers: Background[] = [];
    try {
      await cliOk(home, ["enqueue", "--id", "victim", "--delay", "1h", "true"]);
      await cliOk(home, ["enqueue", "--id", "long", held(dir, "long")]);
      // one slot: a repair that lost a record ends the runners it cannot vouch for, idle ones too
      const worker = spawnCli(home, ["worker", "start", "--count", "1"]);
      workers.push(worker);
      await waitFor(() => ledger(dir).length === 1, "the job to start");
      flipLogLine(home, '"id":"victim"'); // the enqueue of a job nobody runs: its record is lost

      const r = await cli(home, ["doctor", "--repair", "--force"]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /wrote the repaired store as generation 2/);
      assert.match(r.stdout, /lost or set back: 1 job\(s\): victim\n/);
      assert.doesNotMatch(r.stdout, /ended \d+ running session/, "the running job's claim was kept");

      Deno.writeTextFileSync(`${dir}/release`, "");
      await untilState(home, "long", "completed");
      await cliOk(home, ["enqueue", "--id", "after", `echo "after" >> ${dir}/ledger`]);
      await untilState(home, "after", "completed");
      assert.deepEqual(ledger(dir).map((l) => l.split(" ").slice(0, 2).join(" ")), [
        "start long",
        "end long",
        "after",
      ]);
      const long = await cliJson(home, ["show", "long"]);
      assert.equal(long.attempts, 1);
      assert.ok(processAlive(worker.pid), "the worker runs on");
      assert.doesNotMatch(worker.output(), /corrupt|damaged|shrank/, worker.output());
      assert.doesNotMatch(worker.output(), /taken back/, worker.output());
      assert.equal((await cli(home, ["doctor"])).code, 0);
    } finally {
      for (const w of workers) await stopBackground(w);
    }
  }));

Deno.test("doctor --repair --force kills an attempt whose claim record it cannot read before its job can run again, and the worker runs on", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    const workers: Background[] = [];
    try {
      await cliOk(home, ["enqueue", "--id", "long", "--max-retries", "0", held(dir, "long")]);
      const worker = spawnCli(home, ["worker", "start", "--count", "1"]);
      workers.push(worker);
      await waitFor(() => ledger(dir).length === 1, "the job to start");
      const firstPid = Number(ledger(dir)[0].split(" ")[2]);
      flipLogLine(home, '"type":"claim"'); // nobody can tell who runs "long" now but the worker

      const r = await cli(home, ["doctor", "--repair", "--force"]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        /ended 1 running session\(s\) the repaired store does not record: a worker's runner/,
      );
      assert.equal(processAlive(firstPid), false, "the first run was killed before the repair ended");

      // the job goes back uncounted, and runs again (it has no retries: a counted loss would bury it)
      await waitFor(
        () => ledger(dir).filter((l) => l.startsWith("start")).length === 2,
        "the job to run again",
      );
      Deno.writeTextFileSync(`${dir}/release`, "");
      await untilState(home, "long", "completed");
      const runs = ledger(dir);
      assert.deepEqual(runs.map((l) => l.split(" ").slice(0, 2).join(" ")), [
        "start long",
        "start long",
        "end long",
      ]);
      assert.notEqual(runs[1].split(" ")[2], String(firstPid));
      assert.equal((await cliJson(home, ["show", "long"])).attempts, 1);
      assert.ok(processAlive(worker.pid), "the worker runs on");
      assert.doesNotMatch(worker.output(), /corrupt|damaged|shrank/, worker.output());
      assert.equal((await cli(home, ["doctor"])).code, 0);
    } finally {
      for (const w of workers) await stopBackground(w);
    }
  }));

Deno.test("doctor --repair refuses while a worker runs, naming it, and changes nothing", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    const workers: Background[] = [];
    try {
      await cliOk(home, ["enqueue", "--id", "victim", "--delay", "1h", "true"]);
      const worker = spawnCli(home, ["worker", "start"]);
      workers.push(worker);
      await untilOutput(worker, /started with/);
      const id = workerIdOf(worker)!;
      flipLogLine(home, '"id":"victim"');
      const before = snapshotFiles(home);
      const r = await cli(home, ["doctor", "--repair"]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.equal(
        r.stderr,
        `error: Cannot repair the store while a worker runs: ${id} (pid ${worker.pid}); stop it first (\`queuectl worker stop --wait\`), or give --force to repair beside it\n`,
      );
      // the heartbeat file may be rewritten meanwhile: the store's files are what must not change
      const store = (files: Map<string, string>) =>
        [...files].filter(([name]) => !name.startsWith("workers/"));
      assert.deepEqual(store(snapshotFiles(home)), store(before));
      assert.ok(!exists(`${dir}/ledger`));
      assert.equal((await cli(home, ["doctor", "--force"])).code, 2);
    } finally {
      for (const w of workers) await stopBackground(w);
    }
  }));

Deno.test("a process holding the old log open reopens from the generation a repair wrote: it reads what the repair kept and writes into the new log", () =>
  withHome(async (home) => {
    const paths = homePaths(home);
    const open = new FileStore(home);
    try {
      await open.enqueue([{ id: "victim", command: "true" }], { max_retries: 0 });
      await open.enqueue([{ id: "kept", command: "true" }], { max_retries: 0 });
      assert.deepEqual((await open.list()).map((j) => j.id), ["victim", "kept"]);
      flipLogLine(home, '"id":"victim"');

      const report = await doctor(paths, { repair: true, now: new Date() }, NOTHING_RUNS);
      assert.equal(report.ok, true, report.repairs.join("\n"));
      assert.deepEqual(report.lost, ["victim"]);

      // the old log is gone from its path (its bytes are in a side file): no corruption, no stale state
      assert.deepEqual((await open.list()).map((j) => j.id), ["kept"]);
      await open.enqueue([{ id: "later", command: "true" }], { max_retries: 0 });
    } finally {
      open.close();
    }
    const fresh = new FileStore(home);
    try {
      assert.deepEqual((await fresh.list()).map((j) => j.id), ["kept", "later"]);
    } finally {
      fresh.close();
    }
    assert.equal((await doctor(paths, { repair: false, now: new Date() }, NOTHING_RUNS)).ok, true);
  }, { create: true }));
