/**
 * Process-group helpers: recognise a job's process group after a crash, and kill it whole.
 *
 * A pid alone is not an identity (pids are reused), so a claim records the group leader's start
 * time too: field 22 of /proc/<pid>/stat, in clock ticks since boot. Deno grants /proc only with
 * --allow-all, so the shell reads it for us (with --allow-run, which workers have anyway).
 */

/** sh: print /proc/<pid>/stat from field 3 on (the command name may hold spaces and parentheses) */
export const READ_STAT = 'read -r s < "/proc/$1/stat" 2>/dev/null && echo "${s##*) }"';

/** Parses what READ_STAT prints into the start time, or null. */
export function parseStartTime(afterName: string): number | null {
  const fields = afterName.trim().split(" ");
  const ticks = Number(fields[19]);
  return fields.length > 19 && Number.isSafeInteger(ticks) ? ticks : null;
}

/** What /proc says of a process: its state letter (R, S, T, Z...) and start time. */
export interface ProcessInfo {
  state: string;
  start: number | null;
}

/** Parses what READ_STAT prints (stat from field 3 on) into the state and start time. */
export function parseProcessInfo(afterName: string): ProcessInfo | null {
  const fields = afterName.trim().split(" ");
  if (fields.length < 1 || fields[0] === "") return null;
  return { state: fields[0], start: parseStartTime(afterName) };
}

function procReader(script: string, pid: number): Deno.Command {
  return new Deno.Command("/bin/sh", {
    args: ["-c", script, "queuectl", String(pid)],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  });
}

/**
 * What the sh `script` prints about `pid` (its `$1`), or null when it fails (no such process) or
 * there is no /proc: the one way src/ reads /proc.
 */
export async function readProc(script: string, pid: number): Promise<string | null> {
  if (Deno.build.os !== "linux") return null;
  try {
    const out = await procReader(script, pid).output();
    return out.success ? new TextDecoder().decode(out.stdout) : null;
  } catch {
    return null;
  }
}

/** `readProc`, synchronously: nothing else runs in this process meanwhile. */
export function readProcSync(script: string, pid: number): string | null {
  if (Deno.build.os !== "linux") return null;
  try {
    const out = procReader(script, pid).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout) : null;
  } catch {
    return null;
  }
}

/** The state and start time of `pid`, or null when there is no such process (or no /proc). */
export async function processInfo(pid: number): Promise<ProcessInfo | null> {
  const text = await readProc(READ_STAT, pid);
  return text === null ? null : parseProcessInfo(text);
}

/** Start time of `pid`, or null when it is gone or the platform has no /proc. */
export async function processStartTime(pid: number): Promise<number | null> {
  return (await processInfo(pid))?.start ?? null;
}

/** Signals the whole process group led by `pid`; false when no such group is left. */
export function killGroup(pid: number, signal: Deno.Signal): boolean {
  if (Deno.build.os === "windows") return false;
  try {
    Deno.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kills a group that a dead or hung worker left behind, if it is still the group that worker
 * started. A group outlives its leader while any member lives, and the kernel does not reuse a
 * pid that still names a group, so a missing leader with live members is still ours; a leader
 * alive with another start time is a stranger that got the pid, and is left alone.
 */
export async function killOrphanGroup(
  pid: number,
  pidStart: number | null,
  signal: Deno.Signal,
): Promise<boolean> {
  if (pidStart !== null) {
    const now = await processStartTime(pid);
    if (now !== null && now !== pidStart) return false;
  }
  return killGroup(pid, signal);
}

/**
 * setsid(1), when this platform has it (util-linux on Linux). With it a child (a job's wrapper, a
 * runner) starts in a session of its own without Deno forking the worker (posix_spawn: no copy
 * of the worker's page tables).
 */
export function findSetsid(): string | null {
  if (Deno.build.os !== "linux") return null;
  for (const path of ["/usr/bin/setsid", "/bin/setsid"]) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch { /* not here */ }
  }
  return null;
}
