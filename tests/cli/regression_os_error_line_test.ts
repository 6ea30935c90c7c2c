/**
 * Regression (issue 15): an operating-system error was printed raw in its `error:` line, so a home
 * path holding a newline gave a two-line error (the README promises one line) and a control
 * character in it reached the terminal. It is now escaped like every other message.
 */
import assert from "node:assert/strict";
import { cli, dirOfHome, withHome } from "../../testkit/mod.ts";

Deno.test("an OS error naming a home path with a newline and a control character stays one escaped line", () =>
  withHome(async (home) => {
    // a symbolic link to itself: every stat of it fails with ELOOP, an error the OS words
    const loop = `${dirOfHome(home)}/lo\n\u0001op`;
    Deno.symlinkSync(loop, loop);
    for (const args of [["status"], ["list"], ["config", "set", "max-retries", "2"]]) {
      const r = await cli(loop, args);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^error: Too many levels of symbolic links/, args.join(" "));
      assert.equal(r.stderr.split("\n").length, 2, `${args.join(" ")}: ${JSON.stringify(r.stderr)}`);
      assert.ok(r.stderr.includes("lo\\n\\u0001op"), `${args.join(" ")}: ${JSON.stringify(r.stderr)}`);
      assert.ok(!r.stderr.includes("\u0001"), `${args.join(" ")}: ${JSON.stringify(r.stderr)}`);
    }
  }));
