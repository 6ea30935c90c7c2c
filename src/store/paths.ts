/**
 * The only place that builds file names inside a home directory. Every other module asks here.
 *
 *   store.lock               OS lock serialising writers (shared for readers)
 *   wal-00000001.jsonl       log segment of generation 1 (the only *.jsonl files in the home)
 *   snapshot-00000002.snap   state as of the start of generation 2 (live jobs, counters)
 *   archive-00000003.jobs    completed jobs moved out of the live state (archive.ts)
 *   archive-00000003.index   their ids, sorted, with where each job's line is
 *   pending-00000004.jobs    pending jobs never claimed, moved out of the live state (pending.ts)
 *   pending-00000004.index   their ids, sorted, with where each job's line is
 *   pending-00000004.order   their claim order, one fixed-width entry per job
 *   config.jsonc             settings, comments kept
 *   config.lock              OS lock held by `config set` around its read-edit-write of config.jsonc
 *   logs/<job-id>.log        captured output of every attempt of a job
 *   logs/<worker-id>-slot-<n>.out      output of the jobs a worker's slot n ran, one after
 *   logs/<worker-id>-slot-<n>-<k>.out  another (each attempt records its byte range); part
 *                                      k >= 2 follows once part k - 1 passed its size limit
 *   workers/<id>.json|.lock  a running worker's heartbeat file, and the lock it holds for life
 *   workers/<id>.json.tmp    the heartbeat file being replaced (renamed over it)
 *   workers/<id>.log         output of a worker started with --detach (kept after it exits)
 *   workers/<id>.sock        the socket on which a running worker takes `enqueue` calls (src/handoff)
 *   workers/starting-<n>.log that output until the worker knows its id and renames it
 *   <file>.quarantined-<time>[-<k>]  damaged bytes a repair kept (quarantine.ts); no store module
 *                                    reads them
 *
 * Temp files of durable replacements (`<file>.<pid>.tmp`) are named by durable.ts, for any file.
 */
export interface HomePaths {
  home: string;
  lock: string;
  config: string;
  configLock: string;
  logsDir: string;
  workersDir: string;
  wal(gen: number): string;
  snapshot(gen: number): string;
  archiveJobs(n: number): string;
  archiveIndex(n: number): string;
  pendingJobs(n: number): string;
  pendingIndex(n: number): string;
  pendingOrder(n: number): string;
  jobLog(id: string): string;
  slotOutput(workerId: string, slot: number, part: number): string;
  /** the output file an attempt names (its `out[0]`, a slot file's name); throws for a name that is not one */
  runOutput(name: string): string;
  workerInfo(id: string): string;
  /** the heartbeat file's replacement, written then renamed over `workerInfo(id)` */
  workerInfoTemp(id: string): string;
  workerLock(id: string): string;
  /** the socket a running worker takes calls on (src/handoff/protocol.ts) */
  workerSocket(id: string): string;
  /** output of a detached worker */
  workerLog(id: string): string;
  /** output of a detached worker that has not named itself yet; `token` is unique per start */
  workerStartLog(token: string): string;
  /** a side file keeping a damaged file's bytes (`name` is the file's name in the home); `k` > 1 when `stamp` is taken */
  quarantined(name: string, stamp: string, k: number): string;
}

const WAL = /^wal-(\d{8})\.jsonl$/;
const SNAPSHOT = /^snapshot-(\d{8})\.snap$/;
const ARCHIVE = /^archive-(\d{8})\.(jobs|index)$/;
const PENDING = /^pending-(\d{8})\.(jobs|index|order)$/;
const OUTPUT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*\.out$/;
const SLOT_OUTPUT = /^(.+)-slot-(\d+)(?:-(\d+))?\.out$/;
const WORKER_INFO = /^(.+)\.json$/;
const WORKER_SOCKET = /^(.+)\.sock$/;

function pad(gen: number): string {
  return String(gen).padStart(8, "0");
}

/** A file's name within its folder (what reports and attempts' `out` name it by). */
export function fileName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** How reports name pending segment `n` as a whole (its three files share this stem). */
export function pendingSegmentName(n: number): string {
  return `pending-${pad(n)}`;
}

/** What a slot output file's name (in logs/) says, or null for a name that is not one. */
export function parseSlotOutput(name: string): { worker: string; slot: string; part: number } | null {
  const m = OUTPUT_NAME.test(name) ? SLOT_OUTPUT.exec(name) : null;
  return m ? { worker: m[1], slot: m[2], part: Number(m[3] ?? 1) } : null;
}

/** The worker id a heartbeat file's name (in workers/) says, or null for another file. */
export function parseWorkerInfo(name: string): string | null {
  return WORKER_INFO.exec(name)?.[1] ?? null;
}

/** The worker id a socket's name (in workers/) says, or null for another file. */
export function parseWorkerSocket(name: string): string | null {
  return WORKER_SOCKET.exec(name)?.[1] ?? null;
}

export function homePaths(home: string): HomePaths {
  const at = (name: string) => `${home}/${name}`;
  return {
    home,
    lock: at("store.lock"),
    config: at("config.jsonc"),
    configLock: at("config.lock"),
    logsDir: at("logs"),
    workersDir: at("workers"),
    wal: (gen) => at(`wal-${pad(gen)}.jsonl`),
    snapshot: (gen) => at(`snapshot-${pad(gen)}.snap`),
    archiveJobs: (n) => at(`archive-${pad(n)}.jobs`),
    archiveIndex: (n) => at(`archive-${pad(n)}.index`),
    pendingJobs: (n) => at(`pending-${pad(n)}.jobs`),
    pendingIndex: (n) => at(`pending-${pad(n)}.index`),
    pendingOrder: (n) => at(`pending-${pad(n)}.order`),
    // ids are validated by ids.ts to a safe alphabet, so they are file names as they are
    jobLog: (id) => at(`logs/${id}.log`),
    // worker ids are made by ids.ts too
    slotOutput: (workerId, slot, part) =>
      at(`logs/${workerId}-slot-${slot}${part > 1 ? `-${part}` : ""}.out`),
    runOutput: (name) => {
      // the name comes from the store: never let it reach outside logs/
      if (!OUTPUT_NAME.test(name)) {
        throw new Error(`Cannot read output file "${name.slice(0, 80)}": not a slot file's name`);
      }
      return at(`logs/${name}`);
    },
    workerInfo: (id) => at(`workers/${id}.json`),
    workerInfoTemp: (id) => at(`workers/${id}.json.tmp`),
    workerLock: (id) => at(`workers/${id}.lock`),
    workerSocket: (id) => at(`workers/${id}.sock`),
    workerLog: (id) => at(`workers/${id}.log`),
    workerStartLog: (token) => at(`workers/starting-${token}.log`),
    quarantined: (name, stamp, k) => at(`${name}.quarantined-${stamp}${k > 1 ? `-${k}` : ""}`),
  };
}

export interface Generations {
  wals: number[];
  snapshots: number[];
  /** numbers of archive segments with at least one of their two files present */
  archives: number[];
  /** numbers of pending segments with at least one of their three files present */
  pendings: number[];
  temps: string[];
}

/** Classifies the store's files found in the home directory. */
export function scanGenerations(home: string): Generations {
  const found: Generations = { wals: [], snapshots: [], archives: [], pendings: [], temps: [] };
  for (const entry of Deno.readDirSync(home)) {
    if (!entry.isFile) continue;
    const wal = WAL.exec(entry.name);
    const snap = SNAPSHOT.exec(entry.name);
    const archive = ARCHIVE.exec(entry.name);
    const pending = PENDING.exec(entry.name);
    if (wal) found.wals.push(Number(wal[1]));
    else if (snap) found.snapshots.push(Number(snap[1]));
    else if (archive) {
      if (!found.archives.includes(Number(archive[1]))) found.archives.push(Number(archive[1]));
    } else if (pending) {
      if (!found.pendings.includes(Number(pending[1]))) found.pendings.push(Number(pending[1]));
    } else if (
      ["snapshot-", "archive-", "pending-"].some((kind) => entry.name.startsWith(kind)) &&
      entry.name.endsWith(".tmp")
    ) {
      found.temps.push(`${home}/${entry.name}`);
    }
  }
  found.wals.sort((a, b) => a - b);
  found.snapshots.sort((a, b) => a - b);
  found.archives.sort((a, b) => a - b);
  found.pendings.sort((a, b) => a - b);
  return found;
}
