/**
 * End-to-end: invalid input and usage for every command. Each is refused with exit code 2, one
 * line on stderr naming the problem, nothing on stdout, and the home's files byte-identical.
 */
import assert from "node:assert/strict";
import { cli, cliOk, dirOfHome, expectRefused, refused as c, withHome } from "../../testkit/mod.ts";

/** Fills `home` with config, jobs in several states, captured output: something to leave untouched. */
async function populate(home: string): Promise<void> {
  await cliOk(home, ["config", "set", "backoff-base", "1"]);
  await cliOk(home, ["enqueue", "--id", "p1", "true"]);
  await cliOk(home, ["enqueue", "--id", "d1", "--max-retries", "0", "echo oops; exit 1"]);
  await cliOk(home, ["worker", "start", "--drain"]);
  await cliOk(home, ["enqueue", "--id", "later", "--delay", "1h", "true"]);
}

Deno.test("unknown commands and subcommands are usage errors (exit 2)", () =>
  withHome(async (home) => {
    await populate(home);
    await expectRefused(home, [
      c(["bogus"], /bogus/),
      c(["enqueu", "true"], /enqueu/),
      c(["worker", "bogus"], /bogus/),
      c(["dlq", "bogus"], /bogus/),
      c(["config", "bogus"], /bogus/),
      c(["--bogus"], /bogus/),
    ]);
  }));

Deno.test("enqueue refuses bad flags: exit 2, one line naming the flag, store unchanged", () =>
  withHome(async (home) => {
    await populate(home);
    await expectRefused(home, [
      c(["enqueue"], /no job/),
      c(["enqueue", "--json"], /no job/),
      c(["enqueue", "--bogus", "true"], /--bogus/),
      c(["enqueue", "true", "extra"], /extra/),
      c(["enqueue", "-c", "true", "false"], /command/),
      c(["enqueue", "--id", "../x", "true"], /id/),
      c(["enqueue", "--id", "a/b", "true"], /id/),
      c(["enqueue", "--id", "", "true"], /id/),
      c(["enqueue", "--id", "p1x", "--id", "p2x", "true"], /--id/),
      c(["enqueue", "--max-retries", "-1", "true"], /--max-retries/),
      c(["enqueue", "--max-retries", "two", "true"], /--max-retries/),
      c(["enqueue", "--max-retries", "1.5", "true"], /--max-retries/),
      c(["enqueue", "--priority", "high", "true"], /--priority/),
      c(["enqueue", "--priority", "1.5", "true"], /--priority/),
      c(["enqueue", "--priority", "", "true"], /--priority/),
      c(["enqueue", "--priority", "99999999999", "true"], /--priority/),
      c(["enqueue", "--priority"], /--priority/),
      c(["enqueue", "--delay", "5x", "true"], /--delay/),
      c(["enqueue", "--delay", "-5s", "true"], /--delay/),
      c(["enqueue", "--delay", "soon", "true"], /--delay/),
      c(["enqueue", "--timeout", "0", "true"], /--timeout/),
      c(["enqueue", "--timeout", "abc", "true"], /--timeout/),
      c(["enqueue", "--timeout", "-1", "true"], /--timeout/),
      c(["enqueue", "--timeout", "400d", "true"], /--timeout/),
      c(["enqueue", "--run-at", "tomorrow", "true"], /--run-at/),
      c(["enqueue", "--run-at", "2030-13-01T00:00:00Z", "true"], /--run-at/),
      c(
        ["enqueue", "--run-at", "2030-01-01T00:00:00Z", "--delay", "5s", "true"],
        /--run-at.*--delay|--delay.*--run-at/,
      ),
    ]);
  }));

Deno.test("enqueue refuses bad job JSON: exit 2, one line naming the field, store unchanged", () =>
  withHome(async (home) => {
    await populate(home);
    const long = "a".repeat(129);
    await expectRefused(home, [
      c(["enqueue", '{"command":'], /JSON/),
      c(["enqueue", '{"command":"x"} trailing'], /JSON/),
      c(["enqueue", "{}"], /command/),
      c(["enqueue", "[]"], /object/),
      c(["enqueue", '"echo hi"'], /object/),
      c(["enqueue", '{"command":""}'], /command/),
      c(["enqueue", '{"command":"   "}'], /command/),
      c(["enqueue", '{"command":5}'], /command/),
      c(["enqueue", '{"command":null}'], /command/),
      c(["enqueue", '{"command":"x","foo":1}'], /foo/),
      c(["enqueue", '{"command":"x","Command":"y"}'], /Command/),
      c(["enqueue", '{"command":"x","id":"../x"}'], /id/),
      c(["enqueue", '{"command":"x","id":5}'], /id/),
      c(["enqueue", '{"command":"x","id":""}'], /id/),
      c(["enqueue", `{"command":"x","id":"${long}"}`], /id/),
      c(["enqueue", '{"command":"x","max_retries":-1}'], /max_retries/),
      c(["enqueue", '{"command":"x","max_retries":1.5}'], /max_retries/),
      c(["enqueue", '{"command":"x","max_retries":"2"}'], /max_retries/),
      c(["enqueue", '{"command":"x","priority":0.5}'], /priority/),
      c(["enqueue", '{"command":"x","priority":"high"}'], /priority/),
      c(["enqueue", '{"command":"x","run_at":"soon"}'], /run_at/),
      c(["enqueue", '{"command":"x","run_at":1700000000}'], /run_at/),
      c(["enqueue", '{"command":"x","timeout":0}'], /timeout/),
      c(["enqueue", '{"command":"x","timeout":-3}'], /timeout/),
      c(["enqueue", '{"command":"x","timeout":"5"}'], /timeout/),
      c(["enqueue", '{"command":"x","priority":2}', "--priority", "3"], /priority/),
    ]);
  }));

Deno.test("enqueue refuses impossible calendar dates in --run-at and run_at rather than rolling them over", () =>
  withHome(async (home) => {
    await populate(home);
    await expectRefused(home, [
      c(["enqueue", "--run-at", "2030-02-30T00:00:00Z", "true"], /--run-at/),
      c(["enqueue", "--run-at", "2030-04-31", "true"], /--run-at/),
      c(["enqueue", '{"command":"x","run_at":"2030-04-31T00:00:00Z"}'], /run_at/),
      c(["enqueue", '{"command":"x","run_at":"2031-02-29T12:00:00Z"}'], /run_at/),
    ]);
  }));

Deno.test("a usage error with several problems at once is still one line on stderr", () =>
  withHome(async (home) => {
    await populate(home);
    await expectRefused(home, [
      c(["config", "set"], /key|value/),
      c(["show", "--home"], /id|--home/),
      c(["enqueue", "--bogus", "--priority"], /--bogus|--priority/),
    ]);
  }));

Deno.test("enqueue --file refuses a bad line, an empty file, a missing file and an extra job (exit 2, nothing enqueued)", () =>
  withHome(async (home) => {
    await populate(home);
    const dir = dirOfHome(home);
    Deno.writeTextFileSync(
      `${dir}/bad.jsonl`,
      '{"id":"f1","command":"true"}\n{"id":"f2","command":"true","retries":3}\n',
    );
    Deno.writeTextFileSync(`${dir}/empty.jsonl`, "\n\n");
    await expectRefused(home, [
      c(["enqueue", "--file", `${dir}/bad.jsonl`], /line 2.*retries/),
      c(["enqueue", "--file", "-"], /line 3/, '{"command":"a"}\n{"command":"b"}\n{"command":\n'),
      c(["enqueue", "--file", "-"], /line 1.*command/, '{"id":"only"}\n'),
      c(["enqueue", "--file", "-"], /line 2.*id/, '{"command":"a"}\n{"command":"b","id":"../b"}\n'),
      c(["enqueue", "--file", `${dir}/empty.jsonl`], /no job/),
      c(["enqueue", "--file", "-"], /no job/, ""),
      c(["enqueue", "--file", `${dir}/bad.jsonl`, "true"], /--file/),
      c(["enqueue", "--file", `${dir}/bad.jsonl`, "--id", "x"], /--file/),
      c(["enqueue", "--file"], /--file/),
    ]);
  }));

Deno.test("worker start, stop and list refuse bad flags and arguments (exit 2)", () =>
  withHome(async (home) => {
    await populate(home);
    await expectRefused(home, [
      c(["worker", "start", "--count", "0"], /--count/),
      c(["worker", "start", "--count", "-1"], /--count/),
      c(["worker", "start", "--count", "two"], /--count/),
      c(["worker", "start", "--count", "1.5"], /--count/),
      c(["worker", "start", "-n", "0"], /--count/),
      c(["worker", "start", "--count"], /--count/),
      c(["worker", "start", "--bogus"], /--bogus/),
      c(["worker", "start", "now"], /now/),
      c(["worker", "stop", "--bogus"], /--bogus/),
      c(["worker", "stop", "--wait", "extra"], /extra/),
      c(["worker", "list", "--bogus"], /--bogus/),
      c(["worker", "list", "extra"], /extra/),
    ]);
  }));

Deno.test("status, list, show and logs refuse bad flags, states, limits and job ids (exit 2)", () =>
  withHome(async (home) => {
    await populate(home);
    await expectRefused(home, [
      c(["status", "--bogus"], /--bogus/),
      c(["status", "extra"], /extra/),
      c(["list", "--state", "bogus"], /--state.*bogus|bogus.*--state/),
      c(["list", "--state", "PENDING"], /--state/),
      c(["list", "--state"], /--state/),
      c(["list", "--limit", "-1"], /--limit/),
      c(["list", "--limit", "ten"], /--limit/),
      c(["list", "--limit", "1.5"], /--limit/),
      c(["list", "--limit"], /--limit/),
      c(["list", "--bogus"], /--bogus/),
      c(["list", "extra"], /extra/),
      c(["show"], /id/),
      c(["show", "../x"], /\.\.\/x/),
      c(["show", "a/b"], /a\/b/),
      c(["show", ""], /id/),
      c(["show", "p1", "d1"], /d1/),
      c(["show", "p1", "--bogus"], /--bogus/),
      c(["show", "p1", "--home"], /--home/),
      c(["logs"], /id/),
      c(["logs", "../x"], /\.\.\/x/),
      c(["logs", "p1", "d1"], /d1/),
      c(["logs", "p1", "--bogus"], /--bogus/),
    ]);
  }));

Deno.test("dlq, delete and compact refuse missing ids, invalid ids, ids with --all and bad flags (exit 2)", () =>
  withHome(async (home) => {
    await populate(home);
    await expectRefused(home, [
      c(["dlq", "list", "--bogus"], /--bogus/),
      c(["dlq", "list", "extra"], /extra/),
      c(["dlq", "retry"], /--all/),
      c(["dlq", "retry", "d1", "--all"], /--all/),
      c(["dlq", "retry", "--all", "d1"], /--all/),
      c(["dlq", "retry", "../x"], /\.\.\/x/),
      c(["dlq", "retry", "d1", "../x"], /\.\.\/x/),
      c(["dlq", "retry", "--bogus"], /--bogus/),
      c(["dlq", "delete"], /id/),
      c(["dlq", "delete", "../x"], /\.\.\/x/),
      c(["dlq", "delete", "d1", "a/b"], /a\/b/),
      c(["delete"], /id/),
      c(["delete", "../x"], /\.\.\/x/),
      c(["delete", "p1", "../x"], /\.\.\/x/),
      c(["delete", "--bogus", "p1"], /--bogus/),
      c(["compact", "--bogus"], /--bogus/),
      c(["compact", "extra"], /extra/),
    ]);
  }));

Deno.test("config refuses unknown keys, bad values and missing arguments (exit 2, config.jsonc unchanged)", () =>
  withHome(async (home) => {
    await populate(home);
    await expectRefused(home, [
      c(["config", "get", "colour"], /colour/),
      c(["config", "get"], /key/),
      c(["config", "get", "max-retries", "extra"], /extra/),
      c(["config", "set", "colour", "blue"], /colour/),
      c(["config", "set", "max-retries"], /value/),
      c(["config", "set", "max-retries", "-1"], /max-retries/),
      c(["config", "set", "max-retries", "many"], /max-retries/),
      c(["config", "set", "max-retries", "1.5"], /max-retries/),
      c(["config", "set", "max_retries", "1001"], /max-retries/),
      c(["config", "set", "backoff-base", "0.5"], /backoff-base/),
      c(["config", "set", "backoff-base", ""], /backoff-base/),
      c(["config", "set", "backoff-max", "0"], /backoff-max/),
      c(["config", "set", "backoff-max", "Infinity"], /backoff-max/),
      c(["config", "set", "job-timeout", "-1"], /job-timeout/),
      c(["config", "set", "lease-timeout", "0"], /lease-timeout/),
      c(["config", "set", "poll-interval", "0.01"], /poll-interval/),
      c(["config", "set", "poll_interval", "1e400"], /poll-interval/),
      c(["config", "list", "--bogus"], /--bogus/),
      c(["config", "list", "extra"], /extra/),
    ]);
  }));

Deno.test("refused commands on a home that does not exist yet create nothing", () =>
  withHome(async (home) => {
    const cases: string[][] = [
      ["enqueue", '{"command":""}'],
      ["enqueue", "--priority", "x", "true"],
      ["enqueue", "--file", "-"],
      ["worker", "start", "--count", "0"],
      ["config", "set", "max-retries", "-1"],
      ["config", "set", "colour", "1"],
      ["dlq", "retry", "a", "--all"],
      ["list", "--state", "bogus"],
      ["show", "../x"],
      ["delete", "../x"],
    ];
    for (const args of cases) {
      const r = await cli(home, args, { stdin: args.includes("-") ? "\n" : undefined });
      assert.equal(r.code, 2, `queuectl ${args.join(" ")}: ${r.stderr}`);
      assert.throws(
        () => Deno.statSync(home),
        Deno.errors.NotFound,
        `queuectl ${args.join(" ")} created the home`,
      );
    }
  }));
