/**
 * Running workers of a home. Each worker holds an exclusive OS lock on `workers/<id>.lock` for
 * its whole life, so "is it alive?" is answered by trying that lock, without waiting for a
 * lease to expire; `workers/<id>.json` carries what `worker list` shows, rewritten on every
 * heartbeat.
 */
import { ensureDir, FILE_MODE } from "../durable.ts";
import type { HomePaths } from "../store/paths.ts";

export interface WorkerInfo {
  id: string;
  pid: number;
  slots: number;
  started_at: string;
  heartbeat_at: string;
  jobs: string[];
  stopping: boolean;
}

export class WorkerRegistration {
  #lock: Deno.FsFile;
  constructor(readonly paths: HomePaths, readonly id: string) {
    ensureDir(paths.workersDir);
    this.#lock = Deno.openSync(paths.workerLock(id), {
      read: true,
      write: true,
      create: true,
      mode: FILE_MODE,
    });
    this.#lock.lockSync(true);
  }

  /** Rewrites the heartbeat file (atomic rename; it is advisory, so no fsync). */
  update(info: WorkerInfo): void {
    const path = this.paths.workerInfo(this.id);
    const tmp = `${path}.tmp`;
    Deno.writeTextFileSync(tmp, JSON.stringify(info) + "\n", {
      mode: FILE_MODE,
    });
    Deno.renameSync(tmp, path);
  }

  release(): void {
    for (
      const path of [
        this.paths.workerInfo(this.id),
        this.paths.workerLock(this.id),
      ]
    ) {
      try {
        Deno.removeSync(path);
      } catch { /* already gone */ }
    }
    this.#lock.close();
  }
}

/** True when some process holds `id`'s lock, i.e. the worker is alive. */
export function isWorkerAlive(paths: HomePaths, id: string): boolean {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(paths.workerLock(id), { read: true });
  } catch {
    return false;
  }
  try {
    const free = file.tryLockSync(true);
    if (free) file.unlockSync();
    return !free;
  } finally {
    file.close();
  }
}

export interface WorkerEntry extends WorkerInfo {
  alive: boolean;
}

/** Every worker with a heartbeat file, alive or left behind by a crash, oldest first. */
export function listWorkers(paths: HomePaths): WorkerEntry[] {
  const out: WorkerEntry[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(paths.workersDir)];
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!e.isFile || !e.name.endsWith(".json")) continue;
    const id = e.name.slice(0, -".json".length);
    try {
      const info = JSON.parse(
        Deno.readTextFileSync(paths.workerInfo(id)),
      ) as WorkerInfo;
      out.push({ ...info, alive: isWorkerAlive(paths, id) });
    } catch {
      // a file being replaced right now, or garbage: not a worker we can describe
    }
  }
  return out.sort((a, b) => a.started_at.localeCompare(b.started_at));
}

/** Removes the files of workers that died without cleaning up. */
export function pruneDeadWorkers(paths: HomePaths): string[] {
  const pruned: string[] = [];
  for (const w of listWorkers(paths)) {
    if (w.alive) continue;
    for (const path of [paths.workerInfo(w.id), paths.workerLock(w.id)]) {
      try {
        Deno.removeSync(path);
      } catch { /* raced with another pruner */ }
    }
    pruned.push(w.id);
  }
  return pruned;
}
