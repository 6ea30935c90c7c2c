/**
 * End-to-end: an argv job runs its program with the arguments verbatim, with no shell between
 * (issue 4, security): quotes, `$`, `;`, newlines and flag-like words reach the program unchanged.
 */
import assert from "node:assert/strict";
import { cli, cliJson, cliOk, dirOfHome, withHome } from "../../testkit/mod.ts";

const TRICKY = ["a b", "$HOME", "; touch pwned", "it's", "", "multi\nline", "--home", "`id`", "*"];

Deno.test("enqueue --argv runs the program with each argument verbatim, no shell parsing", () =>
  withHome(async (home) => {
    const cwd = dirOfHome(home);
    const id =
      (await cliOk(home, ["enqueue", "--id", "argv-1", "--argv", "--", "printf", "[%s]\\n", ...TRICKY], {
        cwd,
      })).trim();
    assert.equal(id, "argv-1");
    const job = await cliJson(home, ["show", id]);
    assert.deepEqual(job.argv, ["printf", "[%s]\\n", ...TRICKY]);
    assert.match(job.command, /^printf '\[%s\]\\n' 'a b' '\$HOME' '; touch pwned' 'it'\\''s' ''/);
    await cliOk(home, ["worker", "start", "--drain", "--count", "1"]);
    const done = await cliJson(home, ["show", id]);
    assert.equal(done.state, "completed", JSON.stringify(done));
    const logs = await cli(home, ["logs", id]);
    const printed = logs.stdout.split("\n").slice(1, -2).join("\n");
    assert.equal(printed, TRICKY.map((a) => `[${a}]`).join("\n"));
    // nothing the arguments spell was run by a shell
    assert.throws(() => Deno.statSync(`${cwd}/pwned`));
  }));

Deno.test("an argv job from JSON runs without a shell; a program that does not exist fails with exit 127", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", '{"id":"sh-words","argv":["echo","$((1+1))","|","cat"]}']);
    await cliOk(home, ["enqueue", '{"id":"missing","argv":["no-such-program-qctl"],"max_retries":0}']);
    await cliOk(home, ["worker", "start", "--drain", "--count", "2"]);
    const words = await cliJson(home, ["show", "sh-words"]);
    assert.equal(words.state, "completed");
    assert.equal(words.output_tail, "$((1+1)) | cat\n");
    const missing = await cliJson(home, ["show", "missing"]);
    assert.equal(missing.state, "dead");
    assert.equal(missing.exit_code, 127);
  }));

Deno.test("enqueue refuses several arguments without --argv, and --argv with no program, writing nothing", () =>
  withHome(async (home) => {
    const many = await cli(home, ["enqueue", "echo", "hi"]);
    assert.equal(many.code, 2);
    assert.match(
      many.stderr,
      /^error: Cannot enqueue: unexpected argument "hi" after the command; quote the command as one argument, or pass --argv/,
    );
    const none = await cli(home, ["enqueue", "--argv"]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--argv needs a program to run/);
    const both = await cli(home, ["enqueue", "--argv", "-c", "ls", "--", "ls"]);
    assert.equal(both.code, 2);
    assert.throws(() => Deno.statSync(home), "a refused enqueue must not create the home");
  }));

Deno.test("a job gets QUEUECTL_JOB_ID and QUEUECTL_JOB_ATTEMPT in its environment, per attempt", () =>
  withHome(async (home) => {
    await cliOk(home, [
      "enqueue",
      '{"id":"env-1","command":"echo $QUEUECTL_JOB_ID/$QUEUECTL_JOB_ATTEMPT; exit 1","max_retries":1}',
    ]);
    await cliOk(home, ["config", "set", "backoff-base", "1"]);
    await cliOk(home, ["worker", "start", "--drain", "--count", "1"]);
    const logs = await cli(home, ["logs", "env-1"]);
    assert.deepEqual(logs.stdout.split("\n").filter((l) => l.startsWith("env-1/")), ["env-1/1", "env-1/2"]);
  }));

Deno.test("the attempt's closing line starts its own line after output that does not end one", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "no-newline", "--argv", "--", "printf", "a|b"]);
    await cliOk(home, ["worker", "start", "--drain", "--count", "1"]);
    const lines = (await cli(home, ["logs", "no-newline"])).stdout.split("\n");
    assert.equal(lines[1], "a|b");
    assert.match(lines[2], /^=== exit code 0 · [\d.]+s ===$/);
    assert.equal((await cliJson(home, ["show", "no-newline"])).output_tail, "a|b");
  }));
