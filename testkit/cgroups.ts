/**
 * Cleans up the cgroups of a home's workers that were killed (SIGKILL leaves `workers/<id>.json`
 * naming its cgroup directory, or naming none when it came during the worker's start, and nothing
 * else removes it once the home is deleted). Used when a
 * test or torture home is removed: the machine must not collect a directory per killed worker.
 * The worker files are read as `worker list` reads them (`listWorkers`), and the removal is the
 * worker's own (`removeCgroupsSync`: cgroup.sh kills what is left, then removes the slots and the
 * directory).
 */
import { homePaths } from "../src/store/paths.ts";
import { removeCgroupsSync, removeWorkerCgroupsSync } from "../src/worker/cgroup.ts";
import { listWorkers } from "../src/worker/registry.ts";

/** Removes the cgroup directories named by the worker files of `home`; never throws. */
export function removeLeftCgroups(home: string): void {
  let workers: ReturnType<typeof listWorkers>;
  try {
    workers = listWorkers(homePaths(home));
  } catch {
    return;
  }
  for (const worker of workers) {
    try {
      // a file naming none: a worker killed while it started, whose cgroups may exist (worker.ts)
      if (worker.cgroup) removeCgroupsSync(worker.cgroup);
      else removeWorkerCgroupsSync(worker.id);
    } catch { /* the helper could not run: the machine's owner may remove it */ }
  }
}
