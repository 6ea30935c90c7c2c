import assert from "node:assert/strict";
import { killGroup, killOrphanGroup, parseStartTime, processStartTime } from "./proc.ts";

function startFromProc(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
}

Deno.test("parseStartTime() takes field 22 of /proc/<pid>/stat, counted after the command name", () => {
  const afterName = "S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 424242 99 100";
  assert.equal(parseStartTime(afterName), 424242);
  assert.equal(parseStartTime(""), null);
  assert.equal(parseStartTime("S 1 2"), null);
});

Deno.test("processStartTime() reads a live process's start time through the shell, and null for no process", async () => {
  assert.equal(await processStartTime(Deno.pid), startFromProc(Deno.pid));
  assert.equal(await processStartTime(2 ** 22 + 12345), null);
});

Deno.test("killOrphanGroup() leaves alone a process whose start time differs (a reused pid)", async () => {
  const child = new Deno.Command("sleep", { args: ["30"], detached: true, stdout: "null", stderr: "null" })
    .spawn();
  try {
    const start = await processStartTime(child.pid);
    assert.notEqual(start, null);
    assert.equal(await killOrphanGroup(child.pid, start! + 1, "SIGKILL"), false);
    assert.equal(await processStartTime(child.pid), start, "the stranger still runs");
    assert.equal(await killOrphanGroup(child.pid, start, "SIGKILL"), true);
    const status = await child.status;
    assert.equal(status.signal, "SIGKILL");
    assert.equal(killGroup(child.pid, "SIGKILL"), false, "no group is left to signal");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }
});
