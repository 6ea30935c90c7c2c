/**
 * End-to-end: `doctor` and `doctor --repair` on pending segments. A store holds a pending segment
 * (QUEUECTL_PENDING_MIN=1) some of whose jobs were used up (claimed and run, deleted), recorded in
 * the snapshot's consumption. Each of its three files is then flipped, truncated or deleted:
 * `doctor` finds it (exit 1, naming the file, nothing written); `doctor --repair` keeps the
 * damaged bytes in a side file, writes the waiting jobs whose lines are intact as a new segment
 * that the repaired snapshot names, and names the waiting jobs it lost (none for .index and
 * .order, which are derived from .jobs); used-up jobs never wait again; afterwards the store opens,
 * `doctor` is clean, lookups work, and `compact` and `enqueue` work.
 */
import assert from "node:assert/strict";
import { cli, cliJson, cliOk, type CliOptions, snapshotFiles, withHome } from "../../testkit/mod.ts";

const ENV: CliOptions = { env: { QUEUECTL_PENDING_MIN: "1" } };

interface Job {
  id: string;
  state: string;
}

const run = (home: string, args: string[]) => cli(home, args, ENV);
const ok = (home: string, args: string[]) => cliOk(home, args, ENV);
const jobs = async (home: string) => await cliJson<Job[]>(home, ["list", "--limit", "0"], ENV);

/**
 * 12 jobs moved into a pending segment by a compaction: p00-p03 due (run by a worker, so used up),
 * p04-p11 scheduled hours ahead (p06 deleted, used up too); compacted again, so the snapshot
 * records the consumption; then one job in the log.
 */
async function writeHistory(home: string): Promise<void> {
  const now = Date.now();
  const lines = Array.from({ length: 12 }, (_, i) =>
    JSON.stringify({
      id: `p${String(i).padStart(2, "0")}`,
      command: "true",
      priority: i % 3,
      ...(i >= 4 ? { run_at: new Date(now + i * 3600_000).toISOString() } : {}),
    }));
  const file = `${home}.jsonl`;
  Deno.writeTextFileSync(file, lines.join("\n") + "\n");
  await ok(home, ["enqueue", "--file", file]);
  Deno.removeSync(file);
  await ok(home, ["compact"]);
  await ok(home, ["worker", "start", "--drain", "--count", "2"]);
  await ok(home, ["delete", "p06"]);
  await ok(home, ["compact"]);
  await ok(home, ["enqueue", "--id", "b1", "--delay", "1h", "true"]);
}

const WAITING = ["p04", "p05", "p07", "p08", "p09", "p10", "p11"];

function segmentFile(home: string, ext: string): string {
  const names = [...Deno.readDirSync(home)].map((e) => e.name).filter((n) => /^pending-\d{8}\.jobs$/.test(n));
  assert.equal(names.length, 1, `one pending segment: ${names.join(", ")}`);
  return names[0].replace(/\.jobs$/, `.${ext}`);
}

function copyDir(from: string, to: string): void {
  Deno.mkdirSync(to, { recursive: true, mode: 0o700 });
  for (const e of Deno.readDirSync(from)) {
    if (e.isDirectory) copyDir(`${from}/${e.name}`, `${to}/${e.name}`);
    else if (e.isFile) Deno.copyFileSync(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

type Damage = "flip" | "truncate" | "delete";

/** Damages `name` in `home`; returns what its bytes became (null: deleted). */
function damage(home: string, name: string, how: Damage, at: number): { after: Uint8Array | null } {
  const path = `${home}/${name}`;
  const before = Deno.readFileSync(path);
  if (how === "delete") {
    Deno.removeSync(path);
    return { after: null };
  }
  const after = how === "flip" ? before.slice() : before.slice(0, Math.floor(before.length / 2));
  if (how === "flip") after[at] ^= 0x04;
  Deno.writeFileSync(path, after);
  return { after };
}

/**
 * Runs each damage on a fresh copy of one history: `at(bytes)` picks the byte a flip changes, and
 * `lost(how)` the waiting jobs the repair must name.
 */
async function eachDamage(
  ext: "jobs" | "index" | "order",
  at: (bytes: Uint8Array) => number,
  lost: (how: Damage, name: string, bytes: Uint8Array) => string[],
): Promise<void> {
  await withHome(async (template) => {
    await writeHistory(template);
    const before = await jobs(template);
    assert.deepEqual(
      before.filter((j) => j.state === "pending" && j.id.startsWith("p")).map((j) => j.id).sort(),
      WAITING,
    );
    for (const how of ["flip", "truncate", "delete"] as const) {
      await withHome(async (home) => {
        copyDir(template, home);
        const name = segmentFile(home, ext);
        const jobsBytes = Deno.readFileSync(`${home}/${segmentFile(home, "jobs")}`);
        const { after } = damage(home, name, how, at(Deno.readFileSync(`${home}/${name}`)));
        const want = lost(how, name, jobsBytes);

        const unchanged = snapshotFiles(home);
        const d = await run(home, ["doctor"]);
        assert.equal(d.code, 1, `${ext} ${how}: ${d.stdout}${d.stderr}`);
        assert.match(
          d.stdout,
          new RegExp(`problem: Store file ${name.replace(".", "\\.")} is corrupt at `),
          how,
        );
        assert.deepEqual(snapshotFiles(home), unchanged, "doctor without --repair changes nothing");

        const fixed = await run(home, ["doctor", "--repair"]);
        assert.equal(fixed.code, 0, `${ext} ${how}: ${fixed.stdout}${fixed.stderr}`);
        assert.match(fixed.stdout, /repaired: wrote the repaired store as generation \d+/, how);
        if (after !== null) {
          const side = [...Deno.readDirSync(home)].find((e) => e.name.startsWith(`${name}.quarantined-`));
          assert.ok(side, `${how}: a side file of ${name}`);
          assert.deepEqual(
            Deno.readFileSync(`${home}/${side.name}`),
            after,
            "the side file keeps the damaged bytes",
          );
        } else assert.match(fixed.stdout, new RegExp(`missing: ${name.replace(".", "\\.")}`), how);
        if (want.length > 0) {
          assert.match(
            fixed.stdout,
            new RegExp(`lost or set back: ${want.length} job\\(s\\): ${want.join(", ")}\\n`),
            how,
          );
        } else assert.doesNotMatch(fixed.stdout, /lost or set back/, how);

        // every job as it was, but the lost ones; nothing used up waits again
        const now = await jobs(home);
        assert.deepEqual(now, before.filter((j) => !want.includes(j.id)), `${ext} ${how}`);
        for (const id of WAITING.filter((id) => !want.includes(id))) {
          assert.equal((await cliJson(home, ["show", id], ENV)).state, "pending", `${how}: show ${id}`);
        }
        assert.equal((await run(home, ["show", "p06"])).code, 1, "a deleted job stays deleted");
        const status = await cliJson(home, ["status"], ENV);
        assert.equal(status.counts.pending, 8 - want.length, `${how}: counts`);
        assert.equal(status.counts.completed, 4, `${how}: counts`);

        assert.equal((await run(home, ["doctor"])).code, 0, how);
        await ok(home, ["compact"]);
        await ok(home, ["enqueue", "--id", "after-repair", "true"]);
        assert.equal((await run(home, ["doctor"])).code, 0, how);
      });
    }
  });
}

/** The ids of the waiting jobs whose .jobs lines lie, wholly or partly, at or past byte `from`. */
function waitingFrom(bytes: Uint8Array, from: number): string[] {
  const text = new TextDecoder().decode(bytes);
  return WAITING.filter((id) =>
    text.indexOf(`{"id":"${id}"`) + text.slice(text.indexOf(`{"id":"${id}"`)).indexOf("\n") >= from
  );
}

Deno.test("doctor --repair rewrites a pending segment whose .jobs file is flipped, cut or gone from its intact lines, naming the waiting jobs it lost", () =>
  eachDamage(
    "jobs",
    (bytes) => new TextDecoder().decode(bytes).indexOf('{"id":"p08"') + 20,
    (how, _name, bytes) =>
      how === "flip"
        ? ["p08"]
        : how === "delete"
        ? WAITING
        : waitingFrom(bytes, Math.floor(bytes.length / 2)),
  ));

Deno.test("doctor --repair rebuilds a pending segment whose .index is flipped, cut or gone, losing nothing", () =>
  eachDamage("index", (bytes) => Math.floor(bytes.length / 2), () => []));

Deno.test("doctor --repair rebuilds a pending segment whose .order is flipped, cut or gone, losing nothing", () =>
  eachDamage("order", (bytes) => bytes.length - 40, () => []));
