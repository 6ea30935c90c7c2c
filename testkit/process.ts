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

/**
 * Pids blocked waiting for a lock on the file `path`: the "->" entries of /proc/locks for its
 * inode (flock and POSIX locks alike). Linux.
 */
export function lockWaiters(path: string): number[] {
  const ino = Deno.statSync(path).ino;
  const pids: number[] = [];
  for (const line of Deno.readTextFileSync("/proc/locks").split("\n")) {
    // "31: -> FLOCK  ADVISORY  READ 2711 fe:00:2146697 0 EOF"
    const f = line.trim().split(/\s+/);
    if (f[1] !== "->" || f.length < 7) continue;
    if (Number(f[6].split(":").pop()) === ino) pids.push(Number(f[5]));
  }
  return pids;
}
