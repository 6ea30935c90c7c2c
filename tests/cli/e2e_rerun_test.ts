/**
 * End-to-end: `rerun ID` enqueues a copy of a completed or dead job under a new id (same command or
 * argv, queue, env, cwd, priority, max_retries, timeout, unique key; no dependencies) and prints
 * the new id, or the job with --json; a job that has not finished is refused naming its state,
 * and bad input changes nothing. `dlq retry` keeps moving the dead job itself.
 */
import assert from "node:assert/strict";
import {
  cli,
  cliJson,
  cliOk,
  dirOfHome,
  expectRefused,
  refused,
  snapshotFiles,
  withHome,
} from "../../testkit/mod.ts";

Deno.test("rerun runs a copy of a finished job under a new id, keeping what it runs and how", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    await cliOk(home, ["enqueue", "--id", "first", "true"]);
    await cliOk(home, [
      "enqueue",
      "--id",
      "report",
      "--queue",
      "reports",
      "--env",
      "WHO=world",
      "--cwd",
      dir,
      "--priority",
      "3",
      "--max-retries",
      "0",
      "--timeout",
      "1m",
      "--unique",
      "nightly",
      "--after",
      "first",
      'echo "hello $WHO from $(pwd)"; exit 4',
    ]);
    await cliOk(home, ["enqueue", "--id", "argv-job", "--argv", "--", "echo", "two  spaces"]);
    assert.equal((await cli(home, ["worker", "start", "--drain"])).code, 0);
    const report = await cliJson(home, ["show", "report"]);
    assert.equal(report.state, "dead");

    const printed = await cli(home, ["rerun", "report"]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.equal(printed.stderr, "");
    const id = printed.stdout.trim();
    assert.match(printed.stdout, /^[0-9a-z]{18}\n$/, "the new id, alone on its line");
    const copy = await cliJson(home, ["show", id]);
    for (const key of ["command", "queue", "env", "cwd", "priority", "max_retries", "timeout", "unique"]) {
      assert.deepEqual(copy[key], report[key], key);
    }
    assert.equal(copy.after, undefined, "no dependencies: they ran already");
    assert.equal(copy.state, "pending");
    assert.equal(copy.attempts, 0);
    assert.equal((await cliJson(home, ["show", "report"])).state, "dead", "the original stays in the DLQ");

    assert.equal((await cli(home, ["worker", "start", "--drain"])).code, 0);
    assert.equal((await cliJson(home, ["show", id])).state, "dead");
    assert.match(await cliOk(home, ["logs", id]), new RegExp(`^hello world from ${dir}$`, "m"));

    const viaJson = await cliJson(home, ["rerun", "argv-job"]);
    assert.deepEqual(viaJson.argv, ["echo", "two  spaces"]);
    assert.equal(viaJson.state, "pending");
    assert.deepEqual(await cliJson(home, ["show", viaJson.id]), viaJson, "--json prints the job as stored");
    assert.equal((await cli(home, ["worker", "start", "--drain"])).code, 0);
    assert.match(await cliOk(home, ["logs", viaJson.id]), /^two {2}spaces$/m);

    // dlq retry still moves the dead job itself back, attempts reset, same id
    assert.deepEqual(await cliJson(home, ["dlq", "retry", "report"]), ["report"]);
    assert.equal((await cliJson(home, ["show", "report"])).state, "pending");
  }));

Deno.test("rerun refuses a job that has not finished, naming its state, and changes nothing", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "later", "--delay", "1h", "true"]);
    await cliOk(home, ["enqueue", "--id", "keyed", "--unique", "k", "--max-retries", "0", "false"]);
    const pending = await cli(home, ["rerun", "later"]);
    assert.equal(pending.code, 1);
    assert.equal(pending.stdout, "");
    assert.equal(
      pending.stderr,
      'error: Cannot rerun job "later": it is pending, not finished (only completed and dead jobs can be rerun)\n',
    );
    const missing = await cli(home, ["rerun", "nope"]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'error: Cannot rerun job "nope": no such job\n');

    assert.equal((await cli(home, ["worker", "start", "--drain"])).code, 0);
    assert.equal((await cliJson(home, ["show", "keyed"])).state, "dead");
    const copy = (await cliOk(home, ["rerun", "keyed"])).trim();
    // the copy holds the unique key while it waits: a second copy would not run, so it is refused
    const before = snapshotFiles(home);
    const held = await cli(home, ["rerun", "keyed"]);
    assert.equal(held.code, 1);
    assert.equal(
      held.stderr,
      `error: Cannot rerun job "keyed": its unique key "k" is held by live job "${copy}"\n`,
    );
    assert.deepEqual(snapshotFiles(home), before);

    await expectRefused(home, [
      refused(["rerun"], /argument|id/i),
      refused(["rerun", "a", "b"], /b/),
      refused(["rerun", ""], /Invalid job id "": it is empty/),
      refused(["rerun", "-x"], /-x/),
      refused(["rerun", "bad id"], /Invalid job id "bad id"/),
      refused(["rerun", "keyed", "--bogus"], /--bogus/),
    ]);
  }));
