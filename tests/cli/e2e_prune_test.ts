/**
 * End-to-end: retention through the real CLI. `prune` on a home with archived and live finished
 * jobs (QUEUECTL_COMPACT_AFTER_BYTES makes compaction archive often), output files removed only
 * once no remaining job needs them, retention-completed and retention-dead applied by compaction,
 * and bad input refused with exit 2 and the home unchanged.
 */
import assert from "node:assert/strict";
import { cli, cliJson, cliOk, expectRefused, refused, withHome } from "../../testkit/mod.ts";
import { scanGenerations } from "../../src/store/paths.ts";

const ENV = { QUEUECTL_COMPACT_AFTER_BYTES: "4096" };

function outputFiles(home: string): string[] {
  try {
    return [...Deno.readDirSync(`${home}/logs`)].map((e) => e.name).filter((n) => n.endsWith(".out")).sort();
  } catch {
    return [];
  }
}

async function batch(home: string, prefix: string, n: number, command: string): Promise<void> {
  const lines = Array.from(
    { length: n },
    (_, i) => JSON.stringify({ id: `${prefix}${i}`, command, max_retries: 0 }),
  );
  await cliOk(home, ["enqueue", "--file", "-"], { stdin: lines.join("\n") + "\n", env: ENV });
}

Deno.test("prune removes old finished jobs, archived and live, and each output file once no remaining job needs it", () =>
  withHome(async (home) => {
    // one worker runs only failing jobs, a later one only succeeding jobs: their slot files differ
    await batch(home, "bad", 12, 'echo "fail $QUEUECTL_JOB_ID"; exit 1');
    await cliOk(home, ["worker", "start", "--drain", "--count", "2"], { env: ENV });
    const badFiles = outputFiles(home);
    assert.ok(badFiles.length >= 1, "the first worker wrote output files");
    await batch(home, "good", 40, 'echo "ok $QUEUECTL_JOB_ID"');
    await cliOk(home, ["worker", "start", "--drain", "--count", "2"], { env: ENV });
    await cliOk(home, ["enqueue", "--id", "waiting", "--delay", "1h", "true"], { env: ENV });
    const goodFiles = outputFiles(home).filter((f) => !badFiles.includes(f));
    assert.ok(goodFiles.length >= 1);
    assert.ok(scanGenerations(home).archives.length >= 1, "completed jobs were archived");
    assert.deepEqual((await cliJson(home, ["status"])).counts, {
      pending: 1,
      processing: 0,
      completed: 40,
      failed: 0,
      dead: 12,
    });

    const dead = await cliJson(home, ["prune", "--dead-before", "0s"], { env: ENV });
    assert.deepEqual([dead.completed, dead.dead, dead.batches], [0, 12, 1]);
    assert.equal(dead.completed_before, null);
    assert.deepEqual(
      outputFiles(home),
      goodFiles,
      "the dead jobs' worker's files went; the others are needed",
    );
    assert.equal((await cli(home, ["show", "bad0"])).code, 1);
    assert.match(await cliOk(home, ["show", "good0"]), /ok good0/);

    const text = await cliOk(home, ["prune", "--completed-before", "0s"], { env: ENV });
    assert.match(
      text,
      /^pruned 40 completed and 0 dead job\(s\)(, \d+ archive segment\(s\) dropped whole)? in 1 batch\(es\)\n$/,
    );
    assert.deepEqual(outputFiles(home), [], "no job needs any output file now");
    assert.deepEqual((await cliJson(home, ["status"])).counts, {
      pending: 1,
      processing: 0,
      completed: 0,
      failed: 0,
      dead: 0,
    });
    assert.deepEqual((await cliJson<Array<{ id: string }>>(home, ["list"])).map((j) => j.id), ["waiting"]);
    await cliOk(home, ["compact"]);
    assert.deepEqual(scanGenerations(home).archives, [], "the dropped segments' files are gone");
    const doctor = await cliJson<{ ok: boolean }>(home, ["doctor"]);
    assert.equal(doctor.ok, true);
    // nothing left to prune: one batch, nothing done
    const again = await cliJson(home, ["prune", "--completed-before", "0s", "--dead-before", "0s"]);
    assert.deepEqual([again.completed, again.dead, again.segments, again.batches], [0, 0, 0, 1]);
  }));

Deno.test("retention-completed and retention-dead make compaction prune, and `config set` takes durations", () =>
  withHome(async (home) => {
    await cliOk(home, ["config", "set", "retention-dead", "30d"]);
    assert.deepEqual(await cliJson(home, ["config", "get", "retention-dead"]), { retention_dead: 2_592_000 });
    await batch(home, "bad", 3, "exit 1");
    await batch(home, "good", 5, "true");
    await cliOk(home, ["worker", "start", "--drain"]);
    await cliOk(home, ["compact"]);
    assert.deepEqual((await cliJson(home, ["status"])).counts.dead, 3, "not 30 days old");
    // a thousandth of a second: every job finished longer ago than that by the next command
    await cliOk(home, ["config", "set", "retention-completed", "0.001"]);
    await cliOk(home, ["compact"]);
    assert.deepEqual((await cliJson(home, ["status"])).counts, {
      pending: 0,
      processing: 0,
      completed: 0,
      failed: 0,
      dead: 3,
    });
    await cliOk(home, ["config", "set", "retention-dead", "0.001"]);
    // an enqueue whose records outgrow the log's threshold (twice the dead jobs' size) compacts
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: `more${i}`, command: "true" }));
    await cliOk(home, ["enqueue", "--file", "-"], {
      stdin: lines.join("\n") + "\n",
      env: { QUEUECTL_COMPACT_AFTER_BYTES: "1" },
    });
    assert.deepEqual((await cliJson(home, ["status"])).counts.dead, 0, "an automatic compaction prunes too");
    assert.deepEqual(outputFiles(home), []);
  }));

Deno.test("bad prune input is refused with exit 2, one line naming the problem, and the home unchanged", () =>
  withHome(async (home) => {
    await batch(home, "j", 2, "true");
    await cliOk(home, ["worker", "start", "--drain"]);
    const cases: Array<[string[], RegExp]> = [
      [["prune"], /give --completed-before, --dead-before or both/],
      [["prune", "--completed-before", "soon"], /Invalid --completed-before "soon"/],
      [["prune", "--dead-before", "-1d"], /Invalid --dead-before "-1d"/],
      [["prune", "--dead-before", "99999999999d"], /--dead-before/],
      [["prune", "--completed-before", "1d", "extra"], /extra|argument/i],
      [
        ["config", "set", "retention-dead", "soon"],
        /retention-dead to "soon": it must be a number of seconds or a duration/,
      ],
      [["config", "set", "retention-completed", "-5"], /retention-completed/],
    ];
    await expectRefused(home, cases.map(([args, names]) => refused(args, names)));
    assert.equal((await cliJson(home, ["status"])).counts.completed, 2);
  }));
