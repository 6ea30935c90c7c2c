import assert from "node:assert/strict";
import { waitFor } from "../../testkit/mod.ts";
import { exclusiveHolders, parseLocks, processesNaming, runsWith } from "./procs.ts";

Deno.test("parseLocks() finds the writers of one inode and skips readers and waiters", () => {
  const text = [
    "1: FLOCK  ADVISORY  WRITE 100 fe:00:42 0 EOF",
    "1: -> FLOCK  ADVISORY  WRITE 101 fe:00:42 0 EOF",
    "2: FLOCK  ADVISORY  READ  102 fe:00:42 0 EOF",
    "3: FLOCK  ADVISORY  WRITE 103 fe:00:43 0 EOF",
  ].join("\n");
  assert.deepEqual(parseLocks(text, 42), [100]);
});

Deno.test("exclusiveHolders() sees this process's own exclusive flock", () => {
  const dir = Deno.makeTempDirSync({ prefix: "torture-procs-" });
  const file = Deno.openSync(`${dir}/lock`, { read: true, write: true, create: true });
  try {
    assert.deepEqual(exclusiveHolders(`${dir}/lock`), []);
    file.lockSync(true);
    assert.deepEqual(exclusiveHolders(`${dir}/lock`), [Deno.pid]);
  } finally {
    file.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("processesNaming() finds a child by a marker in its command line", async () => {
  const marker = `torture-marker-${crypto.randomUUID()}`;
  // `read` is a builtin, so this shell never forks a copy that would name the marker too; its
  // stdin stays open, so it waits until killed
  const child = new Deno.Command("/bin/sh", { args: ["-c", "read -r line", marker], stdin: "piped" }).spawn();
  try {
    // until the child has exec'd sh, /proc shows it with its parent's command line
    await waitFor(() => processesNaming(marker).length > 0, "the child's command line in /proc");
    assert.deepEqual(processesNaming(marker), [child.pid]);
    assert.equal(runsWith(child.pid, marker), true);
    assert.equal(runsWith(child.pid, "something else"), false);
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await child.stdin.close().catch(() => {});
  }
  assert.deepEqual(processesNaming(marker), []);
});
