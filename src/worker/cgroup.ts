/**
 * The cgroup v2 directories of a worker's slots, where the platform lets us create them: a
 * job joins its slot's cgroup before it runs, so a kill reaches even the daemons it started
 * with `setsid` (which leave the runner's session). The work is done by cgroup.sh (Deno may
 * not read /proc or write /sys).
 *
 *   <cgroup2 mount><this process's cgroup>/queuectl-<worker id>/slot-<n>
 */
import body from "./cgroup.sh" with { type: "text" };
import { PROC } from "./session.ts";
import { runHelper, runHelperSync, withProcs } from "./shell.ts";

const SCRIPT = withProcs(body);

export type CgroupSetup =
  /** `dir` holds `slots[i]` for slot i + 1 */
  | { usable: true; dir: string; slots: string[] }
  | { usable: false; reason: string };

/** The name of a worker's cgroup directory. Worker ids are file names as they are (ids.ts). */
export function cgroupName(workerId: string): string {
  return `queuectl-${workerId}`;
}

function answer(out: string, what: string): string {
  const line = out.split("\n")[0];
  if (
    line.startsWith("dir ") || line.startsWith("unusable") || line === "usable" || line === "removed" ||
    line.startsWith("busy ")
  ) {
    return line;
  }
  throw new Error(`Cannot ${what}: its helper said ${JSON.stringify(out)}`);
}

/**
 * Creates one cgroup per slot for worker `workerId`, when cgroup v2 is mounted and this process
 * may create cgroups under its own and move processes into them; else says why not. Nothing is
 * left behind when it is not usable. Throws when the helper cannot run.
 */
export async function setupCgroups(workerId: string, slots: number, proc = PROC): Promise<CgroupSetup> {
  const made = await makeCgroups(workerId, slots, proc);
  if (!made.usable) return made;
  const unusable = await proveCgroups(made.dir, proc);
  return unusable === null ? made : { usable: false, reason: unusable };
}

/**
 * `setupCgroups` without the proof that processes can join the cgroups: creates them, or says
 * why it cannot (leaving nothing behind). For a caller that has other work to do while
 * `proveCgroups` waits on the kernel. Throws when the helper cannot run.
 */
export async function makeCgroups(workerId: string, slots: number, proc = PROC): Promise<CgroupSetup> {
  if (Deno.build.os !== "linux") return { usable: false, reason: "cgroups exist on Linux only" };
  const { out } = await runHelper(SCRIPT, "queuectl-cgroup", [
    "setup",
    proc,
    cgroupName(workerId),
    String(slots),
  ]);
  const line = answer(out, "set up the slots' cgroups");
  if (line.startsWith("unusable")) return { usable: false, reason: line.slice("unusable ".length) };
  const dir = line.slice("dir ".length);
  return { usable: true, dir, slots: Array.from({ length: slots }, (_, i) => `${dir}/slot-${i + 1}`) };
}

/**
 * Moves a short-lived process into the first slot of `dir` (made by `makeCgroups`): null when
 * it could, else why not, `dir` then removed (as `removeCgroups` does). Throws when the helper
 * cannot run.
 */
export async function proveCgroups(dir: string, proc = PROC): Promise<string | null> {
  const { out } = await runHelper(SCRIPT, "queuectl-cgroup", ["prove", proc, dir]);
  const line = answer(out, `move a process into the cgroup ${dir}`);
  return line === "usable" ? null : line.slice("unusable ".length);
}

/**
 * Kills what is left in the slots' cgroups of `dir` and removes them and `dir`. Resolves to
 * null, or to why something could not be removed. A missing `dir` is already removed.
 */
export async function removeCgroups(dir: string, proc = PROC): Promise<string | null> {
  const { out } = await runHelper(SCRIPT, "queuectl-cgroup", ["remove", proc, dir]);
  const line = answer(out, `remove the cgroup ${dir}`);
  return line === "removed" ? null : line.slice("busy ".length);
}

/** `removeCgroups`, blocking: for a test home's removal, which cannot wait. */
export function removeCgroupsSync(dir: string, proc = PROC): string | null {
  const { out } = runHelperSync(SCRIPT, "queuectl-cgroup", ["remove", proc, dir]);
  const line = answer(out, `remove the cgroup ${dir}`);
  return line === "removed" ? null : line.slice("busy ".length);
}

/**
 * Removes the cgroups a dead worker left behind (its pool could not close them), killing what
 * is left in them, found by its id under this process's cgroup: for the sweep of dead workers'
 * files that name none (a worker killed while it started, worker.ts); null when there was
 * nothing to do.
 */
export async function removeWorkerCgroups(workerId: string, proc = PROC): Promise<string | null> {
  const dir = await locateWorkerCgroups(workerId, proc);
  return dir === null ? null : await removeCgroups(dir, proc);
}

/**
 * Where worker `workerId`'s cgroup directory is, or would be, if it runs in this process's
 * cgroup (whether it exists or not); null where cgroup v2 cannot be found.
 */
export async function locateWorkerCgroups(workerId: string, proc = PROC): Promise<string | null> {
  if (Deno.build.os !== "linux") return null;
  const { out } = await runHelper(SCRIPT, "queuectl-cgroup", ["locate", proc, cgroupName(workerId)]);
  return located(out);
}

/** `removeWorkerCgroups`, blocking: for a test home's removal, which cannot wait. */
export function removeWorkerCgroupsSync(workerId: string, proc = PROC): string | null {
  if (Deno.build.os !== "linux") return null;
  const { out } = runHelperSync(SCRIPT, "queuectl-cgroup", ["locate", proc, cgroupName(workerId)]);
  const dir = located(out);
  return dir === null ? null : removeCgroupsSync(dir, proc);
}

function located(out: string): string | null {
  const line = answer(out, "find the cgroup directory");
  return line.startsWith("dir ") ? line.slice("dir ".length) : null;
}
