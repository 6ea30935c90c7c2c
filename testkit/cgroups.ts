/**
 * Cleans up the cgroups of a home's workers that were killed (SIGKILL leaves `workers/<id>.json`
 * naming its cgroup directory, and nothing else removes it once the home is deleted). Used when a
 * test or torture home is removed: the machine must not collect a directory per killed worker.
 * The removal is the worker's own (`removeCgroupsSync`: cgroup.sh kills what is left, then removes
 * the slots and the directory).
 */
import { removeCgroupsSync } from "../src/worker/cgroup.ts";

/** Removes the cgroup directories named by the worker files of `home`; never throws. */
export function removeLeftCgroups(home: string): void {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(`${home}/workers`)];
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.name.endsWith(".json")) continue;
    try {
      const dir = JSON.parse(Deno.readTextFileSync(`${home}/workers/${e.name}`)).cgroup;
      if (typeof dir === "string") removeCgroupsSync(dir);
    } catch { /* not a worker file, or the helper could not run: the machine's owner may remove it */ }
  }
}
