/**
 * Regression (issue 13 #10): the wrapper read a command of many short lines in quadratic time
 * (about 4 s at the largest size a command may have). End to end through the CLI and a real
 * worker: a command just under the 128 KiB limit made of 60,000 two-byte lines runs to completion
 * and prints every line. Behaviour, not speed: the deadline is generous (`deno task bench` times it).
 */
import assert from "node:assert/strict";
import { cli, cliJson, cliOk, withHome } from "../../testkit/mod.ts";

Deno.test("a command of 60,000 short lines, just under 128 KiB, runs whole and prints every line", () =>
  withHome(async (home) => {
    const lines = "a\n".repeat(60_000);
    const command = `cat <<'EOF'\n${lines}EOF`;
    assert.ok(command.length < 128 * 1024);
    await cliOk(home, ["enqueue", "--id", "many", "--", command]);
    const drain = await cli(home, ["worker", "start", "--drain"]);
    assert.equal(drain.code, 0, drain.stderr);
    const job = await cliJson(home, ["show", "many"]);
    assert.equal(job.state, "completed", job.last_error);
    const out = await cli(home, ["logs", "many", "--json"]);
    assert.equal(out.code, 0, out.stderr);
    const { output } = JSON.parse(out.stdout) as { output: string };
    // between the attempt's framing lines: every line, once
    const body = output.slice(output.indexOf("===\n") + 4, output.lastIndexOf("=== exit code 0"));
    assert.equal(body, lines, `the output holds the 60,000 lines (${body.length} characters)`);
  }));
