/**
 * End-to-end, through the real CLI: the small things a new user types all day (issue 14):
 * `help [command...]`, `enqueue --argv` without `--`, the usage lines of enqueue, plain command
 * lines in `enqueue --file`, and the hint that jobs wait while no worker runs.
 */
import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { commandEntries } from "../../scripts/cli_reference.ts";
import {
  cli,
  cliJson,
  cliOk,
  expectRefused,
  refused,
  snapshotFiles,
  spawnCli,
  stopBackground,
  untilOutput,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";

const hint = (n: number) =>
  `hint: ${n === 1 ? "1 job is" : `${n} jobs are`} waiting and no worker is running; ` +
  "start one with: queuectl worker start\n";

Deno.test("help COMMAND prints what COMMAND --help prints, for every command and group, and touches no home", () =>
  withHome(async (home) => {
    const env = { QUEUECTL_HOME: home };
    const paths = new Set<string>([""]);
    for (const { path } of await commandEntries()) {
      const words = path.split(" ");
      for (let i = 1; i <= words.length; i++) paths.add(words.slice(0, i).join(" "));
    }
    assert.ok(paths.has("worker start") && paths.has("help"), [...paths].join(", "));
    for (const path of paths) {
      const words = path === "" ? [] : path.split(" ");
      const viaHelp = await runCli(["help", ...words], { env });
      const viaFlag = await runCli([...words, "--help"], { env });
      assert.equal(viaHelp.code, 0, `help ${path}: ${viaHelp.stderr}`);
      assert.equal(viaHelp.stderr, "");
      assert.equal(viaHelp.stdout, viaFlag.stdout, `help ${path}`);
      assert.match(viaHelp.stdout, new RegExp(`^USAGE\\n  queuectl ${path}`));
    }
    // and through the real CLI
    const real = await cli(home, ["help", "worker", "start"]);
    assert.equal(real.code, 0, real.stderr);
    assert.equal(real.stdout, await cliOk(home, ["worker", "start", "--help"]));
    assert.match(await cliOk(home, ["help"]), /^ {2}help +Show the help of a command/m);
    assert.throws(() => Deno.statSync(home), Deno.errors.NotFound);
  }));

Deno.test("help shows no negated form of a flag and says Examples above several examples", async () => {
  const negated: string[] = [];
  const examples: string[] = [];
  for (const { path } of await commandEntries()) {
    const { stdout } = await runCli([...path.split(" "), "--help"], {
      env: { QUEUECTL_HOME: "/nonexistent" },
    });
    if (/--no[A-Z]/.test(stdout)) negated.push(path);
    const block = /^Example(s?):\n((?: {2}.*\n?)+)/m.exec(stdout);
    const count = block ? block[2].trimEnd().split("\n").length : 0;
    if (block && (block[1] === "s") !== (count > 1)) {
      examples.push(`${path} (${count} under "Example${block[1]}:")`);
    }
  }
  assert.deepEqual(negated, []);
  assert.deepEqual(examples, []);
  const enqueue = await runCli(["enqueue", "--help"]);
  assert.match(enqueue.stdout, /\[--argv\]/);
});

Deno.test("bad input is refused in one sentence, exit 2, nothing changed: help of no command, --argv without --, --file lines", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "first", "true"]); // the home exists, and must not change
    await expectRefused(home, [
      refused(
        ["help", "wrker"],
        /^error: Cannot show help for "wrker": queuectl has no command "wrker"; did you mean "worker"\?$/,
      ),
      refused(["help", "worker", "strt"], /`queuectl worker` has no command "strt"; did you mean "start"/),
      refused(["help", "worker", "start", "now"], /`queuectl worker start` has no command "now"/),
      refused(["help", "--json"], /--json/),
      refused(
        ["enqueue", "--argv", "ls", "-la"],
        /^error: Cannot enqueue: "-la" after the program "ls" would be read as a flag of queuectl; with --argv, put -- before the program: queuectl enqueue --argv -- ls -la$/,
      ),
      // -c is queuectl's --command, -h its --help: after the program, they are the program's
      refused(
        ["enqueue", "--argv", "grep", "-c", "a b", "f"],
        /put -- before the program: queuectl enqueue --argv -- grep -c 'a b' f$/,
      ),
      refused(["enqueue", "--argv", "ls", "-h"], /"-h" after the program "ls"/),
      // queuectl's own long flags after the program stay queuectl's, before the --
      refused(
        ["enqueue", "--argv", "ls", "--queue", "q", "-l"],
        /queuectl enqueue --argv --queue q -- ls -l$/,
      ),
      refused(
        ["schedule", "add", "n", "@daily", "--argv", "ls", "-l"],
        /^error: Cannot add the schedule: "-l" after the program "ls" .*: queuectl schedule add n @daily --argv -- ls -l$/,
      ),
      refused(
        ["enqueue", "--file", "-"],
        /^error: Cannot enqueue line 3 of stdin: .*JSON/,
        "echo a\n# b\n{oops\n",
      ),
      refused(
        ["enqueue", "--file", "-"],
        /^error: Cannot enqueue line 2 of stdin: unknown field "comand"/,
        'true\n{"comand":"x"}\n',
      ),
      refused(
        ["enqueue", "--file", "-"],
        /^error: Cannot enqueue: stdin holds no job$/,
        "# only a comment\n\n   \n",
      ),
      refused(["enqueue", "--file", "-", "--priority", "x"], /--priority/, "true\n"),
    ]);
  }));

Deno.test("enqueue --argv -- takes the program's flags verbatim, and the usage lines say which forms enqueue takes", () =>
  withHome(async (home) => {
    const job = JSON.parse(
      await cliOk(home, ["enqueue", "--json", "--argv", "--queue", "q", "--", "ls", "-la", "--queue"]),
    );
    assert.deepEqual(job.argv, ["ls", "-la", "--queue"]);
    assert.equal(job.queue, "q");
    // queuectl's long flags after the program are still queuectl's (as before)
    const late = await cliJson(home, ["enqueue", "--argv", "echo", "hi", "--priority", "3"]);
    assert.deepEqual([late.argv, late.priority], [["echo", "hi"], 3]);

    const help = await cliOk(home, ["enqueue", "--help"]);
    const usage = help.slice(0, help.indexOf("\n\n")).split("\n").slice(1).map((l) => l.trim());
    assert.deepEqual(usage, [
      "queuectl enqueue [flags] <command | json>",
      "queuectl enqueue [flags] --file <path | ->",
      "queuectl enqueue [flags] --argv -- <program> [<arg>...]",
      "queuectl enqueue --help",
    ]);
    assert.match(await cliOk(home, ["--help"]), /^ {2}queuectl enqueue \[flags\] <command \| json>$/m);
    // each form, as the usage line writes it, is accepted
    await cliOk(home, ["enqueue", "--priority", "1", "echo one"]);
    await cliOk(home, ["enqueue", "--priority", "1", '{"command":"echo two"}']);
    await cliOk(home, ["enqueue", "--priority", "1", "--file", "-"], { stdin: "echo three\n" });
    await cliOk(home, ["enqueue", "--priority", "1", "--argv", "--", "echo", "four"]);
    assert.equal((await cliJson(home, ["list"])).length, 6);
  }));

Deno.test("enqueue --file takes shell command lines beside JSON lines, skips blank and # lines, all in one batch", () =>
  withHome(async (home) => {
    const dir = Deno.makeTempDirSync({ prefix: "qctl-file-" });
    try {
      const file = `${dir}/jobs.txt`;
      Deno.writeTextFileSync(
        file,
        [
          "# nightly jobs",
          "echo plain",
          "",
          '  {"id":"as-json","command":"echo json","priority":5}  ',
          "   # an indented comment",
          "[ -d / ] && echo test-bracket",
          '"/bin/echo" quoted',
          "\techo tabbed\r",
        ].join("\n"),
      );
      const jobs = await cliJson(home, ["enqueue", "--file", file, "--queue", "nightly"]);
      assert.deepEqual(jobs.map((j: { command: string }) => j.command), [
        "echo plain",
        "echo json",
        "[ -d / ] && echo test-bracket",
        '"/bin/echo" quoted',
        "echo tabbed",
      ]);
      assert.ok(jobs.every((j: { queue: string }) => j.queue === "nightly"), "the flags apply to every line");
      assert.equal(jobs[1].id, "as-json");
      assert.equal(jobs[1].priority, 5);

      // one bad line anywhere: nothing of the file is enqueued, and the error names the line
      const broken = `${dir}/broken.txt`;
      Deno.writeTextFileSync(broken, `echo fine\necho ${"x".repeat(131_072)}\necho also fine\n`);
      const snapshot = snapshotFiles(home);
      const r = await cli(home, ["enqueue", "--file", broken]);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^error: .*line 2 of .*broken\.txt.*\n$/);
      assert.deepEqual(snapshotFiles(home), snapshot);
      assert.equal((await cliJson(home, ["list"])).length, 5);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  }));

Deno.test("enqueue and status hint on stderr that jobs wait and no worker runs; never with --json, never once a worker runs", () =>
  withHome(async (home) => {
    const one = await cli(home, ["enqueue", "--id", "a", "true"]);
    assert.deepEqual([one.code, one.stdout, one.stderr], [0, "a\n", hint(1)]);
    const json = await cli(home, ["enqueue", "--id", "b", "true", "--json"]);
    assert.equal(json.stderr, "");
    assert.equal(JSON.parse(json.stdout).id, "b");
    const status = await cli(home, ["status"]);
    assert.equal(status.code, 0);
    assert.equal(status.stderr, hint(2));
    assert.doesNotMatch(status.stdout, /hint/);
    assert.equal((await cli(home, ["status", "--json"])).stderr, "");

    // a paused queue's jobs wait for `queue resume`, not for a worker
    await cliOk(home, ["queue", "pause", "later"]);
    assert.equal((await cli(home, ["enqueue", "--queue", "later", "true"])).stderr, hint(2));
    await cliOk(home, ["queue", "pause", "default"]);
    assert.equal((await cli(home, ["enqueue", "--queue", "later", "true"])).stderr, "");
    await cliOk(home, ["queue", "resume", "default"]);
    await cliOk(home, ["queue", "resume", "later"]);

    // a live worker (its lock held): no hint
    const worker = spawnCli(home, ["worker", "start", "--queue", "nowhere"]);
    try {
      await untilOutput(worker, /started with/, 60_000);
      await waitFor(
        async () => (await cliJson(home, ["status"])).workers.length === 1,
        "the worker to register",
      );
      const quiet = await cli(home, ["enqueue", "true"]);
      assert.deepEqual([quiet.code, quiet.stderr], [0, ""]);
      assert.equal((await cli(home, ["status"])).stderr, "");
    } finally {
      await stopBackground(worker);
    }
    // gone again: the hint is back (5 jobs wait, none of them ran)
    assert.equal((await cli(home, ["status"])).stderr, hint(5));
  }));

Deno.test("the hint does not call a job scheduled for later waiting for a worker: it says when the first is due", () =>
  withHome(async (home) => {
    const later =
      "hint: 1 job is queued, none due before 2030-01-01T00:00:00.000Z, and no worker is running; " +
      "start one by then with: queuectl worker start\n";
    const scheduled = await cli(home, ["enqueue", "--run-at", "2030-01-01T00:00:00Z", "true"]);
    assert.deepEqual([scheduled.code, scheduled.stderr], [0, later]);
    assert.equal((await cli(home, ["status"])).stderr, later);
    // one due now among them: a worker is wanted now
    assert.equal((await cli(home, ["enqueue", "true"])).stderr, hint(2));
    assert.equal((await cli(home, ["status"])).stderr, hint(2));
  }));
