/**
 * End-to-end: every command that takes a job id takes a unique start of one, or `@last` (the
 * newest job of the home, by enqueue order), through the one resolver (src/job_ref.ts). A whole
 * id wins over the longer ids it starts; an ambiguous start is refused (exit 2, naming the
 * candidates, nothing changed); a start that matches nothing is the command's usual "no such job".
 */
import assert from "node:assert/strict";
import {
  cli,
  cliJson,
  cliOk,
  exists,
  expectRefused,
  refused,
  snapshotFiles,
  withHome,
} from "../../testkit/mod.ts";

const ids = (jobs: Array<{ id: string }>) => jobs.map((j) => j.id);

Deno.test("show, logs, rerun, wait, dlq retry, delete and enqueue --after take a unique start of an id", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "build-7f3a", "echo built"]);
    await cliOk(home, ["enqueue", "--id", "test-91c2", "--max-retries", "0", "echo tested; exit 3"]);
    assert.equal((await cli(home, ["worker", "start", "--drain"])).code, 0);

    assert.equal((await cliJson(home, ["show", "build"])).id, "build-7f3a");
    assert.match(await cliOk(home, ["logs", "bu"]), /^built$/m);
    const waited = await cli(home, ["wait", "b", "t"]);
    assert.equal(waited.code, 1, "one of them is dead");
    assert.match(waited.stdout, /^build-7f3a completed$/m);
    assert.match(waited.stderr, /test-91c2 \(exit code 3\)/);

    const copy = (await cliOk(home, ["rerun", "build-7"])).trim();
    assert.notEqual(copy, "build-7f3a");
    assert.equal((await cliJson(home, ["show", copy])).command, "echo built");
    // a job's whole id works, and so does its start
    assert.equal((await cliJson(home, ["show", copy.slice(0, 14)])).id, copy);

    await cliOk(home, ["enqueue", "--id", "deploy", "--after", "build", "echo deploying"]);
    assert.deepEqual((await cliJson(home, ["show", "deploy"])).after, ["build-7f3a"]);

    assert.deepEqual(await cliJson(home, ["dlq", "retry", "test"]), ["test-91c2"]);
    assert.equal((await cliJson(home, ["show", "test-91c2"])).state, "pending");
    assert.deepEqual(await cliJson(home, ["delete", "test"]), ["test-91c2"]);
    assert.equal((await cli(home, ["show", "test-91c2"])).code, 1);
  }));

Deno.test("cancel, kill and dlq delete take a start of an id, and their refusals name the whole id", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "nightly-backup", "--delay", "1h", "true"]);
    await cliOk(home, ["enqueue", "--id", "upload-1", "--delay", "1h", "true"]);
    const kill = await cli(home, ["kill", "night"]);
    assert.equal(kill.code, 1);
    assert.match(kill.stderr, /"nightly-backup": it is pending/);
    assert.deepEqual(ids(await cliJson(home, ["cancel", "night"])), ["nightly-backup"]);
    assert.equal((await cliJson(home, ["show", "nightly-backup"])).last_error, "cancelled");
    assert.deepEqual(await cliJson(home, ["dlq", "delete", "nigh"]), ["nightly-backup"]);
    const refused = await cli(home, ["dlq", "delete", "upl"]);
    assert.equal(refused.code, 1, "upload-1 is not dead");
    assert.match(refused.stderr, /"upload-1"/);
  }));

Deno.test("a whole id wins over the longer ids it starts; an ambiguous start is refused naming the candidates", () =>
  withHome(async (home) => {
    for (const id of ["ab", "abc1", "abd2", "abe3", "abf4", "abg5", "abh6"]) {
      await cliOk(home, ["enqueue", "--id", id, "--delay", "1h", `echo ${id}`]);
    }
    assert.equal((await cliJson(home, ["show", "ab"])).id, "ab", "an exact match wins");
    assert.equal((await cliJson(home, ["show", "abd"])).id, "abd2");

    const three = await cli(home, ["show", "abc"]);
    assert.equal(three.code, 0, "abc names abc1 alone");
    const ambiguous = await cli(home, ["show", "a"]);
    assert.equal(ambiguous.code, 2);
    assert.equal(ambiguous.stdout, "");
    assert.equal(
      ambiguous.stderr,
      'error: Cannot show "a": the prefix matches more than 5 jobs: ab, abc1, abd2, abe3, abf4, ...; give more of the id\n',
    );
    await cliOk(home, ["delete", "abf4", "abg5", "abh6"]);
    const few = await cli(home, ["logs", "ab", "--json"]);
    assert.equal(few.code, 0, "ab is a whole id");
    // every command refuses an ambiguous start the same way, changing nothing
    const some = /the prefix matches 3 jobs: abc1, abd2, abe3; give more of the id/;
    await cliOk(home, ["enqueue", "--id", "x", "true"]);
    assert.equal((await cli(home, ["delete", "ab"])).code, 0);
    await expectRefused(home, [
      refused(["show", "a"], /Cannot show "a": the prefix matches 3 jobs: abc1, abd2, abe3/),
      refused(["logs", "a"], /Cannot show the output of "a": the prefix matches 3 jobs/),
      refused(["logs", "a", "-f"], /Cannot show the output of "a": the prefix matches 3 jobs/),
      refused(["delete", "x", "a"], some),
      refused(["cancel", "a"], some),
      refused(["kill", "a"], some),
      refused(["wait", "a"], some),
      refused(["dlq", "retry", "a"], some),
      refused(["dlq", "delete", "a"], some),
      refused(["rerun", "a"], /Cannot rerun "a": the prefix matches 3 jobs/),
      refused(
        ["enqueue", "--after", "a", "true"],
        /Cannot enqueue with --after "a": the prefix matches 3 jobs/,
      ),
      refused(["show", "@first"], /Invalid job id "@first"/),
      refused(["rerun", "a b"], /Invalid job id "a b"/),
      refused(["wait", "x", "../x"], /Invalid job id "..\/x"/),
      refused(["enqueue", "--after", "@lastt", "true"], /--after "@lastt"/),
    ]);
    // a start that matches nothing: the command's own "no such job"
    const none = await cli(home, ["show", "zz"]);
    assert.equal(none.code, 1);
    assert.equal(none.stderr, 'error: Cannot show job "zz": no such job\n');
    const dep = await cli(home, ["enqueue", "--after", "zz", "true"]);
    assert.equal(dep.code, 1);
    assert.match(dep.stderr, /its dependency "zz" does not exist/);
  }));

Deno.test("@last names the newest job of the home, also once it is archived; in an empty home it is refused", () =>
  withHome(async (home) => {
    const empty = await cli(home, ["show", "@last"]);
    assert.equal(empty.code, 1);
    assert.equal(empty.stderr, 'error: Cannot show "@last": this home holds no jobs\n');
    assert.equal(exists(home), false, "nothing was created");

    await cliOk(home, ["enqueue", "--id", "zzz-first", "echo first"]);
    await cliOk(home, ["enqueue", "--id", "aaa-second", "--priority", "-5", "echo second"]);
    // the newest by enqueue order, not by id, priority or run_at
    assert.equal((await cliJson(home, ["show", "@last"])).id, "aaa-second");
    const id = (await cliOk(home, ["enqueue", "echo third"])).trim();
    assert.equal((await cliJson(home, ["show", "@last"])).id, id);
    await cliOk(home, ["enqueue", "--id", "fourth", "--after", "@last", "echo fourth"]);
    assert.deepEqual((await cliJson(home, ["show", "fourth"])).after, [id]);

    assert.equal((await cli(home, ["worker", "start", "--drain"])).code, 0);
    assert.equal((await cliJson(home, ["compact"])).archived, 4, "every job is in the archive now");
    assert.equal((await cliJson(home, ["show", "@last"])).id, "fourth");
    assert.match(await cliOk(home, ["logs", "@last"]), /^fourth$/m);
    const copy = (await cliOk(home, ["rerun", "@last"])).trim();
    assert.equal((await cliJson(home, ["show", "@last"])).id, copy, "the copy is the newest now");
    const before = snapshotFiles(home);
    const again = await cli(home, ["rerun", "@last"]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`Cannot rerun job "${copy}": it is pending, not finished`));
    assert.deepEqual(snapshotFiles(home), before);
    assert.deepEqual(ids(await cliJson(home, ["cancel", "@last"])), [copy]);
  }));

Deno.test("@last and starts of ids find jobs waiting in pending segments", () =>
  withHome(async (home) => {
    const env = { QUEUECTL_PENDING_MIN: "2" };
    const lines = Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: `seg-${i}`, command: "true" }));
    await cliOk(home, ["enqueue", "--file", "-"], { stdin: lines.join("\n") + "\n", env });
    assert.equal((await cliJson(home, ["compact"], { env })).jobs, 0, "every job moved into a segment");
    assert.equal((await cliJson(home, ["show", "@last"], { env })).id, "seg-5");
    assert.equal((await cliJson(home, ["show", "seg-3"], { env })).state, "pending");
    const ambiguous = await cli(home, ["cancel", "seg"], { env });
    assert.equal(ambiguous.code, 2);
    assert.match(
      ambiguous.stderr,
      /the prefix matches more than 5 jobs: seg-0, seg-1, seg-2, seg-3, seg-4, \.\.\./,
    );
    assert.deepEqual(ids(await cliJson(home, ["cancel", "seg-4", "@last"], { env })), ["seg-4", "seg-5"]);
  }));

Deno.test("enqueue --after: an id of a job of the same --file batch names that job; JSON and --after do not mix", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "build-old", "--delay", "1h", "true"]);
    const stdin = [
      JSON.stringify({ id: "build", command: "true", after: [] }),
      JSON.stringify({ id: "deploy", command: "true" }),
      JSON.stringify({ id: "own", command: "true", after: ["build-old"] }),
    ].join("\n");
    await cliOk(home, ["enqueue", "--file", "-", "--after", "build"], { stdin });
    assert.deepEqual((await cliJson(home, ["show", "deploy"])).after, ["build"], "the batch's build, whole");
    assert.deepEqual((await cliJson(home, ["show", "own"])).after, ["build-old"], "a line's own after wins");
    assert.equal((await cliJson(home, ["show", "build"])).after, undefined);
    await cliOk(home, ["enqueue", "--id", "argv-dep", "--after", "@last", "--argv", "--", "echo", "x"]);
    assert.deepEqual((await cliJson(home, ["show", "argv-dep"])).after, ["own"]);
    await expectRefused(home, [
      refused(
        ["enqueue", "--after", "build", JSON.stringify({ command: "true", after: ["own"] })],
        /"after" is given both in the JSON and as a flag/,
      ),
      refused(["enqueue", "--id", "self", "--after", "self", "true"], /depend on itself/),
    ]);
  }));
