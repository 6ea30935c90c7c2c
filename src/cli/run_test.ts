import assert from "node:assert/strict";
import { runCli, splitGlobalHome } from "./run.ts";
import { withHome } from "../../testkit/mod.ts";

Deno.test("runCli() runs a command in this process with captured output and the exit code", () =>
  withHome(async (home) => {
    const env = { QUEUECTL_HOME: home };
    const ok = await runCli(["enqueue", "--id", "a1", "--json", "echo hi"], { env });
    assert.strictEqual(ok.code, 0, ok.stderr);
    assert.strictEqual(JSON.parse(ok.stdout).id, "a1");
    const dup = await runCli(["enqueue", "--id", "a1", "echo hi"], { env });
    assert.strictEqual(dup.code, 1);
    assert.match(dup.stderr, /^error: .*a1.*\n$/);
    const bad = await runCli(["list", "--limit", "x"], { env });
    assert.deepStrictEqual(bad, {
      code: 2,
      stdout: "",
      stderr: 'error: Invalid --limit "x": expected a whole number from 0 to 1000000000\n',
    });
    assert.strictEqual((await runCli(["--version"])).stdout, "0.1.0\n");
  }, { prefix: "qctl-run-" }));

Deno.test("runCli() feeds stdin as bytes, refusing bytes that are not UTF-8 before anything is written", () =>
  withHome(async (home) => {
    const env = { QUEUECTL_HOME: home };
    const bad = await runCli(["enqueue", "--file", "-"], { env, stdin: new Uint8Array([0x7b, 0xff, 0x7d]) });
    assert.strictEqual(bad.code, 2);
    assert.strictEqual(bad.stderr, "error: Cannot read stdin: it is not valid UTF-8 (at byte 1)\n");
    assert.throws(() => Deno.statSync(home), Deno.errors.NotFound);
    const good = await runCli(["enqueue", "--file", "-"], { env, stdin: '{"command":"echo ünï"}\n' });
    assert.strictEqual(good.code, 0, good.stderr);
  }, { prefix: "qctl-run-" }));

Deno.test("splitGlobalHome() takes --home given before the command name, in either form", () => {
  assert.deepStrictEqual(splitGlobalHome(["--home", "/h", "status"]), { home: "/h", rest: ["status"] });
  assert.deepStrictEqual(splitGlobalHome(["--home=/h", "list", "--home", "x"]), {
    home: "/h",
    rest: ["list", "--home", "x"],
  });
});
