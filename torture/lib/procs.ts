/**
 * Processes of a trial found through /proc (Linux): job shells outlive a killed worker in their
 * own process group, so they are found by a marker in their command line (the trial's directory,
 * which every job command names) rather than by a pid the harness was told.
 */
import { processAlive } from "../../testkit/mod.ts";

/** Pids of live processes whose command line contains `marker`. */
export function processesNaming(marker: string): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const pid = Number(entry.name);
    if (pid !== Deno.pid && runsWith(pid, marker)) found.push(pid);
  }
  return found;
}

/** True when `pid` runs and its command line contains `marker` (guards against a reused pid). */
export function runsWith(pid: number, marker: string): boolean {
  try {
    // arguments are NUL-separated: as spaces, a marker may span them ("sleep 60.x")
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ").includes(marker) &&
      processAlive(pid);
  } catch {
    return false; // it ended meanwhile
  }
}

/**
 * Pids holding an exclusive lock on the file `path` (per /proc/locks), e.g. the writer of a
 * store at this instant. Entries of processes blocked waiting ("->") do not count.
 */
export function exclusiveHolders(path: string): number[] {
  let ino: number;
  try {
    ino = Deno.statSync(path).ino ?? -1;
  } catch {
    return [];
  }
  return parseLocks(Deno.readTextFileSync("/proc/locks"), ino);
}

/** The pids of /proc/locks `text` holding a WRITE lock on inode `ino`. */
export function parseLocks(text: string, ino: number): number[] {
  const pids: number[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || f[1] === "->") continue;
    const [, , , mode, pid, dev] = f;
    if (mode === "WRITE" && Number(dev.split(":").pop()) === ino) pids.push(Number(pid));
  }
  return pids;
}
