/**
 * End-to-end: `logs --tail N` prints the last N lines of what `logs` prints (framing lines
 * count, across attempts), with --json too; with --follow it prints the tail, then what comes,
 * and exits as --follow does (0 completed, 1 dead). Bad values change nothing.
 */
import assert from "node:assert/strict";
import {
  type Background,
  cli,
  cliJson,
  cliOk,
  dirOfHome,
  expectRefused,
  refused,
  spawnCli,
  stopBackground,
  untilOutput,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";

/** The last `n` lines of `text` (a final newline ends the last line). */
function lastLines(text: string, n: number): string {
  const lines = text.replace(/\n$/, "").split("\n");
  return n === 0 ? "" : lines.slice(-n).join("\n") + "\n";
}

Deno.test("logs --tail prints the last lines of the log across attempts, and --json holds the same text", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "flaky", "--max-retries", "1", "printf 'a\\nb\\nc\\n'; exit 2"]);
    await cliOk(home, ["config", "set", "backoff-base", "1"]);
    assert.equal((await cli(home, ["worker", "start", "--drain"])).code, 0);
    const whole = await cliOk(home, ["logs", "flaky"]);
    assert.equal(whole.split("\n").length - 1, 10, "two attempts of 3 lines, each framed by 2");

    assert.equal(await cliOk(home, ["logs", "flaky", "--tail", "1"]), lastLines(whole, 1));
    assert.match(await cliOk(home, ["logs", "flaky", "--tail", "1"]), /^=== exit code 2 · [\d.]+s ===\n$/);
    const four = await cliOk(home, ["logs", "flaky", "--tail", "4"]);
    assert.equal(four, lastLines(whole, 4));
    assert.match(four, /^a\nb\nc\n=== exit code 2 · [\d.]+s ===\n$/, "the second attempt's output and end");
    const six = await cliOk(home, ["logs", "@last", "--tail", "6"]);
    assert.match(six, /^=== exit code 2 .*\n=== attempt 2 of 2 .*\na\nb\nc\n=== exit code 2 .*\n$/);
    assert.equal(await cliOk(home, ["logs", "flaky", "--tail", "10"]), whole);
    assert.equal(await cliOk(home, ["logs", "flaky", "--tail", "1000"]), whole);

    const none = await cli(home, ["logs", "flaky", "--tail", "0"]);
    assert.deepEqual([none.code, none.stdout, none.stderr], [0, "", ""]);
    const json = await cliJson(home, ["logs", "flaky", "--tail", "4"]);
    assert.deepEqual(json, { id: "flaky", state: "dead", attempts: 2, output: four });
    assert.equal((await cliJson(home, ["logs", "flaky"])).output, whole);
  }));

Deno.test("logs --tail with --follow prints the end of a running job's output, then what comes, and exits 0 when it completed", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    const procs: Background[] = [];
    try {
      await cliOk(home, [
        "enqueue",
        "--id",
        "chatty",
        `for i in 1 2 3 4 5; do echo line-$i; done; while [ ! -f ${dir}/go ]; do sleep 0.05; done; echo after`,
      ]);
      const worker = spawnCli(home, ["worker", "start"]);
      procs.push(worker);
      await untilOutput(worker, /claimed chatty/);
      // every line is out once `logs` shows the fifth
      await waitFor(async () => /line-5/.test(await cliOk(home, ["logs", "chatty"])), "line-5 in the log");
      const follow = spawnCli(home, ["logs", "chatty", "--tail", "2", "-f"]);
      procs.push(follow);
      await untilOutput(follow, /line-4\nline-5\n/);
      Deno.writeTextFileSync(`${dir}/go`, "");
      assert.equal(await follow.exited(), 0, follow.output());
      assert.match(follow.output(), /^line-4\nline-5\nafter\n=== exit code 0 · [\d.]+s ===\n$/);

      // a job that ended dead: the tail at once, and exit 1
      await cliOk(home, ["enqueue", "--id", "doomed", "--max-retries", "0", "echo one; echo two; exit 3"]);
      const dead = await cli(home, ["wait", "doomed"]);
      assert.equal(dead.code, 1);
      const tail = await cli(home, ["logs", "doomed", "--tail", "2", "--follow"]);
      assert.equal(tail.code, 1);
      assert.match(tail.stdout, /^two\n=== exit code 3 · [\d.]+s ===\n$/);
      assert.equal(tail.stderr, "");
    } finally {
      for (const p of procs) await stopBackground(p);
    }
  }));

Deno.test("logs refuses a bad --tail, and --json with --follow, changing nothing", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "j", "true"]);
    await expectRefused(home, [
      refused(["logs", "j", "--tail", "-1"], /--tail/),
      refused(["logs", "j", "--tail", "ten"], /--tail "ten"/),
      refused(["logs", "j", "--tail", "1.5"], /--tail/),
      refused(["logs", "j", "--tail", ""], /--tail/),
      refused(["logs", "j", "--tail"], /--tail/),
      refused(["logs", "j", "--tail", "3", "--json", "-f"], /--json or --follow/),
      refused(["logs", "--tail", "3"], /id|argument/i),
    ]);
  }));
