/**
 * Regression (found by the hostile-input fuzzer): an error that quoted a bad value printed its
 * control characters raw, so `queuectl logs $'a\nb'` wrote two lines on stderr, and a value could
 * forge a line of its own ("error: ..."). Control characters in an error line are now escaped.
 */
import assert from "node:assert/strict";
import { cli, withHome } from "../../testkit/mod.ts";

Deno.test("an error quoting a value with a newline or escape stays one line, the characters escaped", () =>
  withHome(async (home) => {
    const r = await cli(home, ["logs", "a\nerror: forged\u001b[2K"]);
    assert.strictEqual(r.code, 2);
    assert.strictEqual(r.stderr.split("\n").length, 2, JSON.stringify(r.stderr));
    assert.ok(r.stderr.startsWith('error: Invalid job id "a\\nerror: forged\\u001b[2K"'), r.stderr);
    const s = await cli(home, ["list", "--state", "dead\nerror: forged"]);
    assert.strictEqual(s.code, 2);
    assert.strictEqual(s.stderr.split("\n").length, 2, JSON.stringify(s.stderr));
  }));
