/**
 * Running workers of a home. Each worker holds an exclusive OS lock on `workers/<id>.lock` for
 * its whole life, so "is it alive?" is answered by trying that lock, without waiting for a
 * lease to expire; `workers/<id>.json` carries what `worker list` shows, rewritten on every
 * heartbeat.
 */
import { ensureSubdir, FILE_MODE } from "../durable.ts";
import { type HomePaths, parseWorkerInfo } from "../store/paths.ts";

export interface WorkerInfo {
  id: string;
  pid: number;
  /** the worker process's start time (clock ticks since boot), null without /proc */
  pid_start?: number | null;
  slots: number;
  /** the queues it claims from (absent: all) */
  queues?: string[];
  /** the directory of its slots' cgroups, when jobs run in cgroups */
  cgroup?: string | null;
  /**
   * each slot's runner session, [pid, start time] (null while none runs): written before any claim
   * names a new runner, so a repair that cannot read a claim still finds where its job runs
   */
  runners?: Array<[pid: number, start: number | null] | null>;
  started_at: string;
  heartbeat_at: string;
  jobs: string[];
  stopping: boolean;
}

/**
 * A live worker's presence in the home: its lock, held for its whole life, and its heartbeat
 * file. Either may be deleted under it (someone cleaning `workers/`): `keep()` makes the lock
 * anew (locked) and a heartbeat writes its file anew.
 */
export class WorkerRegistration {
  #lock: Deno.FsFile;
  constructor(readonly paths: HomePaths, readonly id: string) {
    this.#lock = this.#take();
  }

  #take(): Deno.FsFile {
    ensureSubdir(this.paths.workersDir);
    const file = Deno.openSync(this.paths.workerLock(this.id), {
      read: true,
      write: true,
      create: true,
      mode: FILE_MODE,
    });
    file.lockSync(true);
    return file;
  }

  /** Makes the lock file anew when it is gone or another file took its name; true when it did. */
  keep(): boolean {
    let same = false;
    try {
      same = Deno.statSync(this.paths.workerLock(this.id)).ino === this.#lock.statSync().ino;
    } catch { /* gone */ }
    if (same) return false;
    const old = this.#lock;
    this.#lock = this.#take();
    old.close();
    return true;
  }

  /** Rewrites the heartbeat file (atomic rename; it is advisory, so no fsync). */
  update(info: WorkerInfo): void {
    ensureSubdir(this.paths.workersDir);
    const path = this.paths.workerInfo(this.id);
    const tmp = this.paths.workerInfoTemp(this.id);
    Deno.writeTextFileSync(tmp, JSON.stringify(info) + "\n", { mode: FILE_MODE });
    Deno.renameSync(tmp, path);
  }

  release(): void {
    for (const path of [this.paths.workerInfo(this.id), this.paths.workerLock(this.id)]) {
      try {
        Deno.removeSync(path);
      } catch { /* already gone */ }
    }
    this.#lock.close();
  }
}

/** Whether some process holds worker `id`'s lock, nobody does, or its lock file is gone. */
export function lockState(paths: HomePaths, id: string): "held" | "free" | "missing" {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(paths.workerLock(id), { read: true });
  } catch {
    return "missing";
  }
  try {
    const free = file.tryLockSync(true);
    if (free) file.unlockSync();
    return free ? "free" : "held";
  } finally {
    file.close();
  }
}

/** True when some process holds `id`'s lock, i.e. the worker is alive. */
export function isWorkerAlive(paths: HomePaths, id: string): boolean {
  return lockState(paths, id) === "held";
}

/**
 * True when some worker of the home is alive (holds its lock): what `status` counts, without
 * reading the heartbeat files. Cheap enough for every enqueue: one directory read and one
 * lock try per worker file.
 */
export function anyWorkerAlive(paths: HomePaths): boolean {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(paths.workersDir)];
  } catch {
    return false;
  }
  return entries.some((e) =>
    e.name.endsWith(".lock") && isWorkerAlive(paths, e.name.slice(0, -".lock".length))
  );
}

/** The heartbeat file of worker `id`, if there is one to read. */
export function workerInfo(paths: HomePaths, id: string): WorkerInfo | null {
  try {
    return JSON.parse(Deno.readTextFileSync(paths.workerInfo(id))) as WorkerInfo;
  } catch {
    return null;
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
    const id = e.isFile ? parseWorkerInfo(e.name) : null;
    if (id === null) continue;
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

/** The workers that died without cleaning up, as their files describe them (`forgetWorker` removes those). */
export function deadWorkers(paths: HomePaths): WorkerInfo[] {
  return listWorkers(paths).filter((w) => !w.alive).map(({ alive: _, ...info }) => info);
}

/** Removes the files of worker `id` (heartbeat, lock, socket); one already gone is not an error. */
export function forgetWorker(paths: HomePaths, id: string): void {
  for (const path of [paths.workerInfo(id), paths.workerLock(id), paths.workerSocket(id)]) {
    try {
      Deno.removeSync(path);
    } catch { /* raced with another sweep */ }
  }
}
