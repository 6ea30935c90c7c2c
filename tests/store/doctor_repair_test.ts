/**
 * End-to-end: `doctor --repair` on each kind of damaged store file. Each test damages one file of
 * a store with a snapshot, archive segments and a log, then checks that a reader refuses it naming
 * the file, `doctor` reports it (exit 1, nothing written), `doctor --repair` keeps the damaged
 * bytes in a side file, keeps every job it can and names the ones it cannot, writes the result as
 * a new generation, and that afterwards the store opens, `doctor` is clean, and `compact` and
 * `enqueue` work.
 */
import assert from "node:assert/strict";
import { cli, cliJson, cliOk, snapshotFiles, withHome } from "../../testkit/mod.ts";

interface Job {
  id: string;
  state: string;
}

/**
 * Writes a history into `home`: 8 jobs run (one dead), compacted into a snapshot and an archive segment,
 * then 3 live ones logged.
 */
async function writeHistory(home: string): Promise<void> {
  const lines = Array.from(
    { length: 8 },
    (_, i) => JSON.stringify({ id: `a${i}`, command: i === 5 ? "exit 3" : `echo a${i}`, max_retries: 0 }),
  );
  const file = `${home}.jsonl`;
  Deno.writeTextFileSync(file, lines.join("\n") + "\n");
  await cliOk(home, ["enqueue", "--file", file]);
  Deno.removeSync(file);
  await cliOk(home, ["worker", "start", "--drain", "--count", "2"]);
  await cliOk(home, ["compact"]);
  for (const id of ["b1", "b2", "b3"]) await cliOk(home, ["enqueue", "--id", id, "--delay", "1h", "true"]);
}

const jobs = async (home: string) => await cliJson<Job[]>(home, ["list", "--limit", "0", "--oldest-first"]);
const file = (home: string, prefix: string) =>
  [...Deno.readDirSync(home)].find((e) => e.name.startsWith(prefix))!.name;
const lineStarts = (
  bytes: Uint8Array,
) => [0, ...[...bytes.keys()].filter((i) => bytes[i] === 0x0a).map((i) => i + 1)];

/** The checks every repair ends with: opens, doctor clean, compact and enqueue work. */
async function worksAgain(home: string): Promise<void> {
  assert.equal((await cli(home, ["doctor"])).code, 0);
  await cliOk(home, ["compact"]);
  await cliOk(home, ["enqueue", "--id", "after-repair", "true"]);
  assert.equal((await cli(home, ["doctor"])).code, 0);
}

/** Refused naming the file; doctor reports it and writes nothing; returns doctor --repair's output. */
async function refusedThenRepaired(home: string, name: string, where: RegExp): Promise<string> {
  const r = await cli(home, ["list", "--json", "--limit", "0"]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`^error: Store file ${name.replace(".", "\\.")} is corrupt at ${where.source}`),
  );
  const before = snapshotFiles(home);
  const d = await cli(home, ["doctor"]);
  assert.equal(d.code, 1);
  assert.match(d.stdout, new RegExp(`problem: Store file ${name.replace(".", "\\.")}`));
  assert.deepEqual(snapshotFiles(home), before, "doctor without --repair changes nothing");
  const fixed = await cli(home, ["doctor", "--repair"]);
  assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
  return fixed.stdout;
}

Deno.test("doctor --repair rebuilds a snapshot with a damaged job line from its other lines and header, naming the lost job", () =>
  withHome(async (home) => {
    await writeHistory(home);
    const before = await jobs(home);
    const snap = file(home, "snapshot-");
    const bytes = Deno.readFileSync(`${home}/${snap}`);
    const text = new TextDecoder().decode(bytes);
    const deadLine = text.split("\n").findIndex((l) => l.startsWith('{"id":"a5"'));
    const at = lineStarts(bytes)[deadLine] + 20;
    const damaged = bytes.slice();
    damaged[at] ^= 0x04;
    Deno.writeFileSync(`${home}/${snap}`, damaged);

    const out = await refusedThenRepaired(home, snap, new RegExp(`line ${deadLine + 1}`));
    assert.match(
      out,
      new RegExp(
        `repaired: moved ${snap.replace(".", "\\.")} \\(${bytes.length} bytes\\) into ${snap}\\.quarantined-`,
      ),
    );
    assert.match(out, /lost or set back: 1 job\(s\): a5\n/);
    const side = file(home, `${snap}.quarantined-`);
    assert.deepEqual(Deno.readFileSync(`${home}/${side}`), damaged, "the side file keeps the damaged bytes");
    assert.deepEqual(
      (await jobs(home)).map((j) => j.id),
      before.map((j) => j.id).filter((id) => id !== "a5"),
    );
    const status = await cliJson(home, ["status"]);
    assert.equal(status.counts.dead, 0);
    assert.equal(status.counts.completed, 7);
    await worksAgain(home);
  }));

Deno.test("doctor --repair rebuilds a snapshot whose header is damaged from its job lines, the log and the archive on disk", () =>
  withHome(async (home) => {
    await writeHistory(home);
    const before = await jobs(home);
    const snap = file(home, "snapshot-");
    const bytes = Deno.readFileSync(`${home}/${snap}`);
    bytes[30] ^= 0x01;
    Deno.writeFileSync(`${home}/${snap}`, bytes);
    const out = await refusedThenRepaired(home, snap, /line 1/);
    assert.match(out, /derived the header: seq \d+, 1 archive segment\(s\) with 7 job\(s\) from disk/);
    assert.doesNotMatch(out, /lost or set back/);
    assert.deepEqual(await jobs(home), before);
    await worksAgain(home);
  }));

Deno.test("doctor --repair rewrites a damaged archive jobs file from its intact lines and records it in the snapshot", () =>
  withHome(async (home) => {
    await writeHistory(home);
    const before = await jobs(home);
    const name = file(home, "archive-");
    const jobsFile = name.replace(/\.index$/, ".jobs");
    const bytes = Deno.readFileSync(`${home}/${jobsFile}`);
    const starts = lineStarts(bytes);
    bytes[starts[2] + 15] ^= 0x10; // the third archived job's line
    Deno.writeFileSync(`${home}/${jobsFile}`, bytes);
    const out = await refusedThenRepaired(home, jobsFile, new RegExp(`byte ${starts[2]}`));
    assert.match(
      out,
      /rewrote archive-\d+\.jobs from 6 intact job line\(s\).* \(1 archived job\(s\) fewer\)/,
    );
    assert.match(
      out,
      /wrote the repaired store as generation \d+ \(snapshot-\d+\.snap, an empty wal-\d+\.jsonl\)/,
    );
    assert.match(out, /lost or set back: 1 job\(s\): a2\n/);
    assert.deepEqual(
      (await jobs(home)).map((j) => j.id),
      before.map((j) => j.id).filter((id) => id !== "a2"),
    );
    assert.equal((await cliJson(home, ["status"])).counts.completed, 6);
    await worksAgain(home);
  }));

Deno.test("doctor --repair keeps every intact record after a damaged log line: a copied line is dropped, swapped lines go back in order", async () => {
  for (const damage of ["duplicate", "swap"] as const) {
    await withHome(async (home) => {
      await writeHistory(home);
      const before = await jobs(home);
      const wal = file(home, "wal-");
      const lines = Deno.readTextFileSync(`${home}/${wal}`).split("\n").slice(0, -1);
      assert.ok(lines.length >= 3);
      const changed = damage === "duplicate"
        ? [lines[0], lines[1], lines[0], lines[2], ...lines.slice(3)]
        : [lines[1], lines[0], ...lines.slice(2)];
      Deno.writeTextFileSync(`${home}/${wal}`, changed.join("\n") + "\n");
      const out = await refusedThenRepaired(home, wal, new RegExp(`line ${damage === "duplicate" ? 3 : 1}`));
      assert.match(out, /kept \d+ intact record\(s\) from there on, in seq order with their own seqs/);
      assert.doesNotMatch(out, /lost or set back/);
      assert.deepEqual(await jobs(home), before, damage);
      await worksAgain(home);
    });
  }
});

Deno.test("doctor --repair keeps the records after an unreadable log line and names the job of the lost one", () =>
  withHome(async (home) => {
    await writeHistory(home);
    const wal = file(home, "wal-");
    const bytes = Deno.readFileSync(`${home}/${wal}`);
    const starts = lineStarts(bytes);
    const text = new TextDecoder().decode(bytes);
    const b1 = text.split("\n").findIndex((l) => l.includes('"id":"b1"'));
    bytes[starts[b1] + 3] ^= 0x08; // inside "seq": the id is still readable
    Deno.writeFileSync(`${home}/${wal}`, bytes);
    const out = await refusedThenRepaired(home, wal, new RegExp(`line ${b1 + 1}`));
    assert.match(out, new RegExp(`unreadable: line ${b1 + 1} \\(naming b1\\)`));
    assert.match(out, /lost or set back: 1 job\(s\): b1\n/);
    const ids = (await jobs(home)).map((j) => j.id);
    assert.ok(!ids.includes("b1") && ids.includes("b2") && ids.includes("b3"), ids.join(","));
    await worksAgain(home);
  }));

Deno.test("doctor finds an archive index out of id order that status and list never read, and --repair rebuilds it", () =>
  withHome(async (home) => {
    await writeHistory(home);
    const index = file(home, "archive-").replace(/\.jobs$/, ".index");
    const original = Deno.readTextFileSync(`${home}/${index}`);
    const lines = original.split("\n");
    [lines[0], lines[1]] = [lines[1], lines[0]];
    Deno.writeTextFileSync(`${home}/${index}`, lines.join("\n"));
    const d = await cli(home, ["doctor"]);
    assert.equal(d.code, 1);
    assert.match(
      d.stdout,
      new RegExp(
        `problem: Store file ${
          index.replace(".", "\\.")
        } is corrupt at its entries: its entry 2 is out of id order`,
      ),
    );
    const fixed = await cli(home, ["doctor", "--repair"]);
    assert.equal(fixed.code, 0, fixed.stdout);
    assert.equal(Deno.readTextFileSync(`${home}/${index}`), original);
    await worksAgain(home);
  }));

Deno.test("doctor --repair reads both records of two log lines joined by a damaged newline, losing nothing", () =>
  withHome(async (home) => {
    await writeHistory(home);
    const before = await jobs(home);
    const wal = file(home, "wal-");
    const bytes = Deno.readFileSync(`${home}/${wal}`);
    bytes[bytes.indexOf(0x0a)] = 0x41; // line 1 runs on into line 2
    Deno.writeFileSync(`${home}/${wal}`, bytes);
    const out = await refusedThenRepaired(home, wal, /line 1/);
    assert.doesNotMatch(out, /lost or set back|unreadable/);
    assert.deepEqual(await jobs(home), before);
    await worksAgain(home);
  }));

Deno.test("doctor --repair says so when a deleted log line leaves no trace of the jobs it named", () =>
  withHome(async (home) => {
    await writeHistory(home);
    const wal = file(home, "wal-");
    const lines = Deno.readTextFileSync(`${home}/${wal}`).split("\n");
    Deno.writeTextFileSync(`${home}/${wal}`, lines.slice(1).join("\n")); // b1's enqueue, gone
    const out = await refusedThenRepaired(home, wal, /line 1/);
    assert.match(out, /1 record\(s\) missing from the sequence: the jobs they named cannot be told/);
    assert.deepEqual((await jobs(home)).map((j) => j.id).filter((id) => id.startsWith("b")), ["b2", "b3"]);
    await worksAgain(home);
  }));
