/**
 * Regressions found by the corruption torture step (torture/corrupt.ts): three kinds of damage a
 * reader let through silently, though no crash can cause them.
 *  - The log's final newline damaged: the last, acknowledged record read as a torn append, so
 *    readers showed the store without it and the next writer truncated it away.
 *  - A snapshot job line's newline damaged: readers (which read job lines lazily) never looked at
 *    it, so the store opened, `doctor` said it was fine, and only writers refused it.
 *  - Two archive job lines swapped: each passes its checksum, so `list` showed the archived jobs
 *    out of order.
 * Each now fails naming the file and the line or byte.
 */
import assert from "node:assert/strict";
import { cli, cliJson, cliOk, withHome } from "../../testkit/mod.ts";

/** Fills `home` with a compacted history (3 jobs archived, 1 in the snapshot) and one job in the log. */
async function populateCompacted(home: string): Promise<void> {
  for (const id of ["a1", "a2", "a3"]) await cliOk(home, ["enqueue", "--id", id, "true"]);
  await cliOk(home, ["worker", "start", "--drain"]);
  await cliOk(home, ["enqueue", "--id", "live-1", "--delay", "1h", "true"]);
  await cliOk(home, ["compact"]);
  await cliOk(home, ["enqueue", "--id", "last", "--delay", "1h", "true"]);
}

const named = (home: string, prefix: string) =>
  [...Deno.readDirSync(home)].find((e) => e.name.startsWith(prefix))!.name;

Deno.test("a log whose final newline is damaged is refused by readers and writers, and the record is not truncated", () =>
  withHome(async (home) => {
    await populateCompacted(home);
    const wal = named(home, "wal-");
    const bytes = Deno.readFileSync(`${home}/${wal}`);
    bytes[bytes.length - 1] = 0x20;
    Deno.writeFileSync(`${home}/${wal}`, bytes);
    for (const args of [["list", "--json"], ["enqueue", "true"]]) {
      const r = await cli(home, args);
      assert.equal(r.code, 1, `${args[0]}: ${r.stdout}`);
      assert.match(
        r.stderr,
        new RegExp(`Store file ${wal.replace(".", "\\.")} is corrupt at line \\d+: a whole record runs on`),
      );
    }
    assert.deepEqual(Deno.readFileSync(`${home}/${wal}`), bytes, "nothing truncated");
    const fixed = await cli(home, ["doctor", "--repair"]);
    assert.equal(fixed.code, 0, fixed.stdout);
    assert.ok((await cliJson(home, ["list"])).some((j: { id: string }) => j.id === "last"));
  }));

Deno.test("a snapshot job line whose newline is damaged is refused by a reader, not only by a writer", () =>
  withHome(async (home) => {
    await populateCompacted(home);
    const snap = named(home, "snapshot-");
    const bytes = Deno.readFileSync(`${home}/${snap}`);
    // the newline of line 3 (live-1: after the header and the ended lines' directory)
    const lineEnd = bytes.indexOf(0x0a, bytes.indexOf(0x0a, bytes.indexOf(0x0a) + 1) + 1);
    bytes[lineEnd] = 0x20;
    Deno.writeFileSync(`${home}/${snap}`, bytes);
    const r = await cli(home, ["list", "--json"]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stderr,
      new RegExp(
        `Store file ${
          snap.replace(".", "\\.")
        } is corrupt at line 3: the line does not end where the header says`,
      ),
    );
    assert.equal((await cli(home, ["doctor"])).code, 1);
  }));

Deno.test("archive job lines out of seq order are refused by a reader, naming the file and byte", () =>
  withHome(async (home) => {
    await populateCompacted(home);
    const jobs = named(home, "archive-").replace(/\.index$/, ".jobs");
    const lines = Deno.readTextFileSync(`${home}/${jobs}`).split("\n");
    [lines[0], lines[1]] = [lines[1], lines[0]];
    Deno.writeTextFileSync(`${home}/${jobs}`, lines.join("\n"));
    const r = await cli(home, ["list", "--json"]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stderr,
      new RegExp(
        `Store file ${jobs.replace(".", "\\.")} is corrupt at byte \\d+: a job line is out of seq order`,
      ),
    );
    const fixed = await cli(home, ["doctor", "--repair"]);
    assert.equal(fixed.code, 0, fixed.stdout);
    assert.deepEqual((await cliJson(home, ["list", "--oldest-first"])).map((j: { id: string }) => j.id), [
      "a1",
      "a2",
      "a3",
      "live-1",
      "last",
    ]);
  }));
