/**
 * Cleans up the cgroups of a home's workers that were killed (SIGKILL leaves `workers/<id>.json`
 * naming its cgroup directory, and nothing else removes it once the home is deleted). Used when a
 * test or torture home is removed: the machine must not collect a directory per killed worker.
 * Only directories named like a worker's (`…/queuectl-w-…`) are touched; what still runs in a slot
 * is killed through `cgroup.kill` first.
 */

/** Removes the cgroup directories named by the worker files of `home`; never throws. */
export function removeWorkerCgroups(home: string): void {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(`${home}/workers`)];
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.name.endsWith(".json")) continue;
    let dir: unknown;
    try {
      dir = JSON.parse(Deno.readTextFileSync(`${home}/workers/${e.name}`)).cgroup;
    } catch {
      continue;
    }
    if (typeof dir === "string" && /\/queuectl-w-[^/]+$/.test(dir)) removeCgroup(dir);
  }
}

function removeCgroup(dir: string): void {
  let slots: string[];
  try {
    slots = [...Deno.readDirSync(dir)].filter((e) => e.isDirectory && e.name.startsWith("slot-"))
      .map((e) => `${dir}/${e.name}`);
  } catch {
    return; // gone already (its worker stopped, or another worker of the home removed it)
  }
  for (const slot of slots) {
    try {
      Deno.writeTextFileSync(`${slot}/cgroup.kill`, "1");
    } catch { /* no cgroup.kill (before Linux 5.14), or nothing to kill */ }
    for (let i = 0; i < 50; i++) {
      try {
        Deno.removeSync(slot);
        break;
      } catch {
        // its processes take a moment to leave after the kill
        const until = Date.now() + 20;
        while (Date.now() < until) { /* a short spin: this runs in test clean-up only */ }
      }
    }
  }
  try {
    Deno.removeSync(dir);
  } catch { /* still busy: left for a worker of the home, or for the machine's owner */ }
}
