/** Processes a test left behind: is one still alive, and killing a job's whole group. Linux. */

/** True while `pid` names a live process; a zombie (exited, not reaped) counts as gone. Linux. */
export function processAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Kills the process group led by `pid` (a job orphaned by a test), if it still exists. */
export function killGroup(pid: number): void {
  try {
    Deno.kill(-pid, "SIGKILL");
  } catch { /* already gone */ }
}
