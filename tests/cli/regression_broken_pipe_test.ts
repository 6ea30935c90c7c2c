/**
 * Regression (review of the CLI): a reader that exits early (`queuectl logs ID | head -1`,
 * `queuectl list | true`) made the CLI print `error: Broken pipe (os error 32)` and exit 1. It now
 * stops writing quietly and exits 0, as ripgrep does; an enqueue whose stdout is gone has done its
 * work (it writes after it), so it exits 0 too, and an enqueue handed to a worker is neither
 * reported failed nor run a second time. Each test closes the read end of a real pipe before the
 * CLI writes. A command whose exit code is its answer (`wait`, `enqueue --wait`) keeps it: its output
 * is dropped and it goes on.
 */
import assert from "node:assert/strict";
import {
  CLI_FLAGS,
  cliJson,
  cliOk,
  DENO,
  MAIN,
  spawnCli,
  stopBackground,
  untilOutput,
  withHome,
} from "../../testkit/mod.ts";

/** Runs `queuectl <args>` with its stdout a pipe whose reader is closed at once; exit code and stderr. */
async function withClosedStdout(home: string, args: string[]): Promise<{ code: number; stderr: string }> {
  const child = new Deno.Command(DENO, {
    args: ["run", ...CLI_FLAGS, MAIN, ...args],
    env: { QUEUECTL_HOME: home, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await child.stdout.cancel(); // closes our end: the child's writes fail with EPIPE
  const out = await child.output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("reads whose stdout reader went away exit 0 and print no error", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "big", "seq 1 20000"]);
    await cliOk(home, ["worker", "start", "--drain"]);
    for (
      const args of [["logs", "big"], ["list", "--limit", "0"], ["show", "big"], ["status"], ["--help"], [
        "schedule",
        "--help",
      ]]
    ) {
      const r = await withClosedStdout(home, args);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /error|Broken pipe/i, args.join(" "));
    }
  }));

Deno.test("an enqueue whose stdout reader went away did its work once and exits 0", () =>
  withHome(async (home) => {
    const r = await withClosedStdout(home, ["enqueue", "--id", "a1", "echo x"]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /error|Broken pipe/i);
    const jobs = await cliJson<Array<{ id: string }>>(home, ["list"]);
    assert.deepEqual(jobs.map((j) => j.id), ["a1"]);
  }));

Deno.test("an enqueue handed to a worker whose stdout reader went away exits 0 and runs once", () =>
  withHome(async (home) => {
    const worker = spawnCli(home, ["worker", "start"]);
    try {
      await untilOutput(worker, /started with/);
      const r = await withClosedStdout(home, ["enqueue", "--id", "h1", "echo handed"]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /error|Broken pipe/i);
      const jobs = await cliJson<Array<{ id: string }>>(home, ["list"]);
      assert.deepEqual(jobs.map((j) => j.id), ["h1"]);
    } finally {
      await stopBackground(worker);
    }
  }));

// Regression (noticed at the ninth stop): the exit code of `wait` and `enqueue --wait` is their
// answer, and a reader that went away turned a dead job's 1 into 0; a handed-off enqueue kept it.
Deno.test("`wait` whose stdout reader went away still exits 1 for a dead job, 0 for a completed one", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "bad", "--max-retries", "0", "exit 3"]);
    await cliOk(home, ["enqueue", "--id", "good", "true"]);
    await cliOk(home, ["worker", "start", "--drain"]);
    const dead = await withClosedStdout(home, ["wait", "good", "bad"]);
    assert.equal(dead.code, 1, dead.stderr);
    assert.match(dead.stderr, /^error: Not every job completed: 1 of 2 ended dead: bad /m);
    assert.doesNotMatch(dead.stderr, /Broken pipe/i);
    const done = await withClosedStdout(home, ["wait", "good"]);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stderr, "");
  }));

Deno.test("`enqueue --wait` whose stdout reader went away waits, and exits 1 when the job ends dead", () =>
  withHome(async (home) => {
    const worker = spawnCli(home, ["worker", "start"]);
    try {
      await untilOutput(worker, /started with/);
      const dead = await withClosedStdout(home, [
        "enqueue",
        "--wait",
        "--id",
        "w1",
        "--max-retries",
        "0",
        "exit 3",
      ]);
      assert.equal(dead.code, 1, dead.stderr);
      assert.match(dead.stderr, /^error: Job w1 ended dead after 1 attempt\(s\)/m);
      const done = await withClosedStdout(home, ["enqueue", "--wait", "--id", "w2", "true"]);
      assert.equal(done.code, 0, done.stderr);
      const jobs = await cliJson<Array<{ id: string; state: string }>>(home, ["list"]);
      assert.deepEqual(jobs.map((j) => [j.id, j.state]).sort(), [["w1", "dead"], ["w2", "completed"]]);
    } finally {
      await stopBackground(worker);
    }
  }));
