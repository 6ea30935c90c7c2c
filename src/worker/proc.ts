/** Process-group helpers: recognise a job's process group after a crash and kill it whole. */

/** Start time of `pid` in clock ticks since boot (Linux), to tell it from a reused pid. */
export function processStartTime(pid: number): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // the command name (field 2) may hold spaces and parentheses: count fields after the last ")"
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[19]);
  } catch {
    return null;
  }
}

/**
 * Kills the process group led by `pid`, if it is still the group we started. A group outlives
 * its leader while any member lives, and the kernel does not reuse a pid that still names a
 * group, so a missing leader with live members is still ours.
 */
export function killGroup(
  pid: number,
  pidStart: number | null,
  signal: Deno.Signal,
): boolean {
  if (Deno.build.os === "windows") return false;
  if (pidStart !== null) {
    const now = processStartTime(pid);
    if (now !== null && now !== pidStart) return false; // the pid belongs to someone else now
  }
  try {
    Deno.kill(-pid, signal);
    return true;
  } catch {
    return false; // no such group: it has exited
  }
}
