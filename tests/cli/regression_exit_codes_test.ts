/**
 * Regression (review of the CLI): exit codes that contradicted the documented table (1: not found
 * or a file-system error; 2: invalid input). An `--after` dependency that does not exist was exit
 * 2, an `enqueue --file` that cannot be read exit 2, and `worker stop --pid N` naming no worker
 * printed a line on stdout with exit 0. Each is now exit 1 with one error sentence on stderr, and
 * nothing changes on disk.
 */
import assert from "node:assert/strict";
import { cli, cliOk, dirOfHome, snapshotFiles, withHome } from "../../testkit/mod.ts";

/** Runs `args` and asserts exit 1, nothing on stdout, `stderr` exactly, and the home unchanged. */
async function expectNotFound(home: string, args: string[], stderr: string | RegExp): Promise<void> {
  const before = snapshotFiles(home);
  const r = await cli(home, args);
  assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
  assert.equal(r.stdout, "", args.join(" "));
  if (typeof stderr === "string") assert.equal(r.stderr, stderr, args.join(" "));
  else assert.match(r.stderr, stderr, args.join(" "));
  assert.deepEqual(snapshotFiles(home), before, `${args.join(" ")} changed the home`);
}

Deno.test("a dependency that does not exist is not found: exit 1, one sentence, nothing enqueued", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "p1", "true"]);
    await expectNotFound(
      home,
      ["enqueue", "--after", "nosuch", "echo x"],
      'error: Cannot enqueue the job: its dependency "nosuch" does not exist\n',
    );
    await expectNotFound(
      home,
      ["enqueue", "--id", "named", "--after", "p1", "--after", "nosuch", "true"],
      'error: Cannot enqueue job "named": its dependency "nosuch" does not exist\n',
    );
    await expectNotFound(
      home,
      ["enqueue", "--wait", "--after", "nosuch", "true"],
      'error: Cannot enqueue the job: its dependency "nosuch" does not exist\n',
    );
    await expectNotFound(
      home,
      ["enqueue", JSON.stringify({ command: "true", after: ["nosuch"] })],
      'error: Cannot enqueue the job: its dependency "nosuch" does not exist\n',
    );
  }));

Deno.test("an enqueue --file that cannot be read is a file-system error: exit 1; bad content stays exit 2", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "p1", "true"]);
    const missing = `${dirOfHome(home)}/missing.jsonl`;
    await expectNotFound(
      home,
      ["enqueue", "--file", missing],
      new RegExp(`^error: Cannot read --file ${missing}: No such file or directory[^\\n]*\\n$`),
    );
    const bad = `${dirOfHome(home)}/bad.jsonl`;
    Deno.writeTextFileSync(bad, '{"command":"true","retries":3}\n');
    const r = await cli(home, ["enqueue", "--file", bad]);
    assert.equal(r.code, 2, r.stderr);
  }));

Deno.test("worker stop --pid naming no worker of the home fails with exit 1; worker stop with none running exits 0", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "p1", "true"]);
    await expectNotFound(
      home,
      ["worker", "stop", "--pid", "999999"],
      "error: Cannot stop the worker: no worker of this home runs as pid 999999\n",
    );
    const all = await cli(home, ["worker", "stop"]);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout, "no worker is running\n");
  }));
