/**
 * The write-ahead log engine of the file store. This comment is the on-disk protocol.
 *
 * FILES (names built only by paths.ts)
 *   wal-G.jsonl      the log of generation G: one record per line (codec.ts: JSON sealed by a
 *                    CRC-32), seq contiguous across generations, each line one whole transaction
 *                    (wal.ts: one segment, its torn-tail rule)
 *   snapshot-G.snap  the live state at the start of generation G (absent for generation 1):
 *                    counters, queues, schedules, every job neither archived nor in a
 *                    pending segment, the archive and pending segments in use (snapshot.ts)
 *   archive-N.jobs   completed jobs moved out of the live state, with archive-N.index (archive.ts)
 *   pending-N.jobs   plain pending jobs moved out of the live state, with pending-N.index and
 *                    pending-N.order, their claim order (pending.ts, its protocol at its top)
 *   logs/*.out       jobs' output, one file per worker slot; the state counts the attempts of
 *                    existing jobs in each, and a file none points into goes once its worker can
 *                    no longer write to it (outputs.ts: at compaction, and after a prune)
 *   store.lock       flock target: exclusive for writers, shared for readers (lock.ts)
 *
 * WRITE (under the exclusive lock; txn.ts queues them)
 *   1. catch up: read wal-G from this process's offset to EOF and apply every record
 *      (state.ts `apply`, the same reducer used at open); a torn final line is settled (wal.ts)
 *   2. decide on the caught-up state (duplicate ids, claim order, claim tokens), apply the new
 *      records in memory, append them in one write, and only then report success. Callers that
 *      queue writes meanwhile share the lock and the write (group commit).
 *
 * DURABILITY: a batch holding a user's command (enqueue, retry, delete, cancel, kill, queue and
 *   schedule changes, stop) is fdatasynced before anyone in it hears success. A batch of a
 *   worker's records only (claim, renew, finish, unclaim, take-back, schedule ticks) is written,
 *   which every process sees at once and which survives any process crash (it is in the page
 *   cache), and is fdatasynced within SYNC_AFTER_MS, or sooner by any later durable write (one
 *   file: syncing it syncs all that precede). Only a machine crash can lose such records; at-
 *   least-once then runs the job again. Compaction syncs everything it folds.
 *
 * READ (under the shared lock): catch up as above, never truncating; answer from memory.
 *
 * COMPACTION (when wal-G outgrows max(`compactAfterBytes`, twice the size of the live jobs that
 *   the snapshot will hold), so its cost stays proportional to the log it folds; or
 *   `queuectl compact`)
 *   1. append {"type":"seal","next_gen":G+1} to wal-G and fdatasync: the commit point.
 *      From here on nobody appends to wal-G.
 *   2. archive: write the completed jobs of the state as a new segment (jobs file, then index;
 *      each a temp name, fsync, rename, directory fsync), numbered from the state's
 *      `next_segment`; then merge the newest segments while archive_write.ts plans a merge. Then
 *      the plain pending jobs into a new pending segment (at least PENDING_MIN of them), and drop,
 *      rewrite or merge pending segments as pending_plan.ts plans (compaction.ts)
 *   3. write snapshot-(G+1), naming the segments in use, to a temp name, fsync, rename, fsync
 *      the directory
 *   4. create the empty wal-(G+1), fsync the directory
 *   5. remove wal-G, snapshot-G and every archive or pending file the new snapshot does not
 *      name, fsync the directory
 *   Before step 1, when retention is configured, one batch of old finished jobs leaves in a
 *   `prune` record (decide/prune.ts), synced; dropping an archive segment is the new snapshot
 *   not naming it, and step 5 removes its files. After step 5, unused output files go.
 *   (compaction.ts does steps 2 and 3, stale.ts step 5.) A process that reads the seal reloads
 *   from snapshot G+1 (small: live jobs only). A writer that finds a seal without its snapshot (the compactor
 *   crashed between 1 and 3) completes steps 2-5 itself from its own state; the segment numbers
 *   it writes are the ones the crashed compactor used, so it replaces their unnamed files. A
 *   crash before 1 leaves the old generation as it was; a crash during 2 or 3 also leaves temp
 *   files or unnamed segments, removed by the next writer. A process idle through whole
 *   compactions finds its log gone and reopens from the newest snapshot; a dead generation's log
 *   is never recreated.
 *
 * OPEN: the highest generation G named by any snapshot or wal file; load snapshot-G (if G > 1),
 *   replay wal-G. A line that fails its checksum, does not parse or does not apply is corruption:
 *   the open fails naming file and line (`queuectl doctor`, docs/storage.md), and nothing is
 *   skipped.
 *
 * CRASH SEAM (tests only): QUEUECTL_CRASH_AT=<point> makes this module SIGKILL its own process
 *   at that point: sealed, archive-jobs-written, archive-jobs-synced, archive-jobs-renamed,
 *   archive-jobs-dir-synced, the same four for archive-index-, pending-jobs-, pending-index- and
 *   pending-order-, snapshot-written,
 *   snapshot-synced, snapshot-renamed, dir-synced, wal-created, old-removed, append-half (half
 *   a record written), append-written (before fdatasync), pruned (retention's record synced,
 *   before the seal), outputs-removed (the first unused output file removed). Unset, it does
 *   nothing.
 */
import { type Clock, systemClock } from "../clock.ts";
import { CorruptionError, NoStoreError, OperationError } from "../errors.ts";
import { ensureDir, exists } from "../durable.ts";
import { lazy } from "../lazy.ts";
import type { ArchiveReader } from "./archive.ts";
import type { CompactionResult } from "./compaction.ts";
import type { PendingReader } from "./pending.ts";
import { HELD_LOCK, type LogLock, StoreLock } from "./lock.ts";
import { type HomePaths, scanGenerations } from "./paths.ts";
import type { LogRecord } from "./records.ts";
import { readSnapshot } from "./snapshot.ts";
import { removeStale } from "./stale.ts";
import { apply, ApplyError, QueueState } from "./state.ts";
import { type Decide, type Decision, type Pending, TxnQueue } from "./txn.ts";
import { WalFile } from "./wal.ts";

export type { CompactionResult, Decide, Decision };

/** Every point of the crash seam (see the protocol comment), for the tests that visit them all. */
export const CRASH_POINTS = [
  "append-half",
  "append-written",
  "sealed",
  ...["jobs", "index"].flatMap((file) =>
    ["written", "synced", "renamed", "dir-synced"].map((step) => `archive-${file}-${step}`)
  ),
  ...["jobs", "index", "order"].flatMap((file) =>
    ["written", "synced", "renamed", "dir-synced"].map((step) => `pending-${file}-${step}`)
  ),
  "snapshot-written",
  "snapshot-synced",
  "snapshot-renamed",
  "dir-synced",
  "wal-created",
  "old-removed",
  "pruned",
  "outputs-removed",
] as const;

/** A worker's records are synced at most this long after they were written (see DURABILITY). */
export const SYNC_AFTER_MS = 500;

export interface LogOptions {
  clock?: Clock;
  /**
   * compact automatically once the current log segment is this large, or as large as the live
   * jobs the snapshot would hold if that is larger (default 256 KiB)
   */
  compactAfterBytes?: number;
  /** where to crash on purpose (tests), see the protocol comment */
  crashAt?: string;
  /** told when an automatic compaction fails after a successful write */
  onWarning?: (message: string) => void;
  /**
   * a first write may create the home (default true); false for workers and the dashboard, which
   * must never create a home (one that vanished under them is an error)
   */
  createHome?: boolean;
  /** plain pending jobs go into a pending segment at compaction once there are this many (PENDING_MIN) */
  pendingMin?: number;
  /** the caller holds the store's exclusive lock for this log's whole life (`doctor --repair`) */
  lockHeld?: boolean;
  /**
   * retention, read at each compaction: finished jobs older than this many seconds leave first (0:
   * kept; config retention-completed and retention-dead)
   */
  retention?: () => Retention | null;
  /** whether worker `id` may still write to its output files (its lock is held); default: every one may */
  liveWorker?: (id: string) => boolean;
}

export interface Retention {
  completed: number;
  dead: number;
}

type Decided = { ok: true; decision: Decision<unknown> } | { ok: false; error: unknown };

/**
 * The readers of segment files: loaded once a state names segments, or a compaction runs. Their
 * modules hold only reading code: writing segments (archive_write.ts, pending_write.ts) comes with
 * compaction's code, verifying them (pending_verify.ts) with doctor's.
 */
interface Readers {
  archive: ArchiveReader;
  pending: PendingReader;
}

/** Compaction's code (compaction.ts, retention's decision, the output sweep). */
interface CompactionCode {
  writeSnapshot: typeof import("./compaction.ts").writeSnapshot;
  decidePrune: typeof import("./decide/prune.ts").decidePrune;
  removeUnusedOutputs: typeof import("./outputs.ts").removeUnusedOutputs;
}

/**
 * The segment files' code and compaction's are most of the store's, and most calls use neither (a
 * home none of whose snapshots names a segment, a write that compacts nothing): they are imported
 * when first needed (lazy.ts). A state that names segments is never used before its readers are
 * there (#open awaits them; #wire refuses a state without them).
 */
async function loadReaders(paths: HomePaths): Promise<Readers> {
  const { ArchiveReader } = await lazy<typeof import("./archive.ts")>("src/store/archive.ts");
  const { PendingReader } = await lazy<typeof import("./pending.ts")>("src/store/pending.ts");
  return { archive: new ArchiveReader(paths), pending: new PendingReader(paths) };
}

async function loadCompaction(): Promise<CompactionCode> {
  // one at a time: they share modules, which parallel imports prepare twice (src/cli/app.ts)
  const { writeSnapshot } = await lazy<typeof import("./compaction.ts")>("src/store/compaction.ts");
  const { decidePrune } = await lazy<typeof import("./decide/prune.ts")>("src/store/decide/prune.ts");
  const { removeUnusedOutputs } = await lazy<typeof import("./outputs.ts")>("src/store/outputs.ts");
  return { writeSnapshot, decidePrune, removeUnusedOutputs };
}

/**
 * False when nothing was ever written in the home: no home, or no lock file and no log or
 * snapshot (every writer creates the lock file first). Such a store is empty: reads answer from
 * an empty state, `compact` and `doctor` refuse (NoStoreError), and neither creates anything.
 */
export function storeWritten(paths: HomePaths): boolean {
  if (!exists(paths.home)) return false;
  if (exists(paths.lock)) return true;
  const found = scanGenerations(paths.home);
  return found.wals.length > 0 || found.snapshots.length > 0;
}

export class FileLog {
  readonly paths: HomePaths;
  readonly #clock: Clock;
  readonly #compactAfter: number;
  readonly #crashAt: string | undefined;
  readonly #warn: (message: string) => void;
  readonly #createHome: boolean;
  readonly #pendingMin: number | undefined;
  readonly #retention: () => Retention | null;
  readonly #liveWorker: (id: string) => boolean;
  readonly #lock: LogLock;
  readonly #txn: TxnQueue;
  #readers: Readers | null = null;
  #compaction: CompactionCode | null = null;
  #state: QueueState | null = null;
  #wal: WalFile;
  /** the current generation was entered through a seal whose snapshot did not exist yet */
  #snapshotDue = false;
  /** bytes per live job in the snapshot this state was loaded from or wrote last */
  #bytesPerJob = 400;
  #syncTimer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(paths: HomePaths, options: LogOptions = {}) {
    this.paths = paths;
    this.#clock = options.clock ?? systemClock;
    this.#compactAfter = options.compactAfterBytes ?? 256 * 1024;
    this.#crashAt = options.crashAt;
    this.#warn = options.onWarning ?? (() => {});
    this.#createHome = options.createHome ?? true;
    this.#pendingMin = options.pendingMin;
    this.#retention = options.retention ?? (() => null);
    this.#liveWorker = options.liveWorker ?? (() => true);
    this.#lock = options.lockHeld ? HELD_LOCK : new StoreLock(paths.lock, this.#warn);
    this.#txn = new TxnQueue((batch) => this.#flush(batch));
    this.#wal = new WalFile(paths, 1, (p, before) => this.#crash(p, before));
  }

  get generation(): number {
    return this.#wal.gen;
  }

  /**
   * Answers `fn` on a state caught up with every record committed so far (in its turn, once
   * `ready`, the code `fn` calls, has loaded).
   */
  read<T>(fn: (state: QueueState) => T, ready?: Promise<unknown>): Promise<T> {
    return this.#txn.serial(async () => {
      if (ready) await ready;
      if (this.#pristine()) return fn(new QueueState());
      await this.#preload();
      await this.#lock.acquire(false);
      try {
        await this.#catchUp(false);
        return fn(this.#state!);
      } finally {
        this.#lock.release();
      }
    });
  }

  /**
   * Decides on the caught-up state and commits the decision's records before resolving: synced
   * when `durable` (a user's command), written otherwise (a worker's record; see DURABILITY).
   * `decide` must not mutate the state; it throws to refuse (nothing is written then). With
   * `ready`, the decision waits for it (the code `decide` calls), in its turn (txn.ts).
   */
  write<T>(decide: Decide<T>, durable = true, ready?: Promise<unknown>): Promise<T> {
    return this.#txn.submit(decide, durable, ready);
  }

  /** Refuses (NoStoreError) where nothing was ever written: there is nothing to compact. */
  compact(): Promise<CompactionResult> {
    return this.#txn.serial(async () => {
      if (this.#pristine()) throw new NoStoreError("compact", this.paths.home);
      this.#homeForWriting();
      const code = await this.#compactionCode();
      await this.#lock.acquire(true);
      try {
        await this.#catchUp(true);
        return this.#compact(code);
      } catch (e) {
        // the seal may be durable while the snapshot is not: reload, and the next writer completes it
        this.#forget();
        throw e;
      } finally {
        this.#lock.release();
      }
    });
  }

  /**
   * Removes the output files under logs/ that no attempt of an existing job points into and no
   * live worker may still write to (outputs.ts); returns their names. Compaction does it too.
   */
  removeUnusedOutputs(): Promise<string[]> {
    return this.#txn.serial(async () => {
      if (this.#pristine()) return [];
      const code = await this.#compactionCode();
      await this.#lock.acquire(true);
      try {
        await this.#catchUp(true);
        return this.#sweepOutputs(code);
      } finally {
        this.#lock.release();
      }
    });
  }

  #sweepOutputs(code: CompactionCode): string[] {
    const used = this.#state!.outputs;
    // unknown until a compaction counts them (a home from before they were kept): remove nothing
    if (!used) return [];
    return code.removeUnusedOutputs(this.paths, used, this.#liveWorker, () => this.#crash("outputs-removed"));
  }

  /** Removes logs/<id>.log of removed jobs from before 0.2 (their output was a file per job). */
  removeJobLogs(ids: readonly string[]): void {
    for (const id of ids) {
      try {
        Deno.removeSync(this.paths.jobLog(id));
      } catch { /* it captured nothing */ }
    }
  }

  /**
   * Retention before a compaction: one batch of the finished jobs older than the configured ages
   * leaves (decide/prune.ts), in a record of its own, synced before the seal.
   */
  #retain(code: CompactionCode): void {
    let r: Retention | null = null;
    try {
      r = this.#retention();
    } catch (e) {
      this.#warn(`Retention skipped: ${(e as Error).message}`);
    }
    if (!r || (r.completed <= 0 && r.dead <= 0)) return;
    const now = this.#clock.now();
    const ago = (seconds: number) =>
      seconds > 0 ? new Date(now.getTime() - seconds * 1000).toISOString() : null;
    const state = this.#state!;
    const { records, result } = code.decidePrune(state, {
      completedBefore: ago(r.completed),
      deadBefore: ago(r.dead),
    });
    if (records.length === 0) return;
    const batch: LogRecord[] = [];
    for (const body of records) {
      const rec = { seq: state.seq + 1, at: now.toISOString(), ...body } as LogRecord;
      this.#applyLive(rec);
      batch.push(rec);
    }
    this.#wal.append(batch, true);
    this.#crash("pruned");
    this.removeJobLogs(result.legacy);
  }

  /** Syncs what this process wrote and has not synced yet (a worker's records), then lets go. */
  close(): void {
    // only when set: the first use of a timer loads Deno's timer module (~5 ms of a CLI call's CPU)
    if (this.#syncTimer !== undefined) clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    try {
      this.#wal.sync();
    } catch { /* closing: a failed sync leaves them unsynced, as a machine crash would */ }
    this.#state?.jobs.release();
    this.#closeReaders();
    this.#wal.close();
    this.#lock.close();
  }

  /** Creates the home for a first write, or refuses when this process may not (a worker's home vanished). */
  #homeForWriting(): void {
    if (this.#createHome) ensureDir(this.paths.home);
    else if (!exists(this.paths.home)) {
      throw new OperationError(
        `Cannot write to the queue: its home directory ${this.paths.home} no longer exists`,
      );
    }
  }

  async #flush(batch: Pending[]): Promise<void> {
    const settle: Array<() => void> = [];
    try {
      let onEmpty: { at: Date; decided: Map<Pending, Decided> } | null = null;
      if (this.#pristine()) {
        onEmpty = this.#decideOnEmpty(batch);
        if (!onEmpty) return;
      }
      this.#homeForWriting();
      await this.#preload();
      await this.#lock.acquire(true);
      try {
        await this.#catchUp(true);
        const state = this.#state!;
        // still empty: the decisions taken on an empty state hold (a 100k-job batch is decided once),
        // and their records carry the time they were decided at
        const reuse = onEmpty && state.seq === 0 ? onEmpty.decided : null;
        const now = reuse ? onEmpty!.at : this.#clock.now();
        const at = now.toISOString();
        const records: LogRecord[] = [];
        const done: Array<[Pending, unknown]> = [];
        let durable = false;
        for (const item of batch) {
          let decision: Decision<unknown>;
          try {
            const early = reuse?.get(item);
            if (early && !early.ok) throw early.error;
            decision = early ? early.decision : item.decide(state, now);
          } catch (e) {
            settle.push(() => item.reject(e));
            continue;
          }
          for (const body of decision.records) {
            const rec = { seq: state.seq + 1, at, ...body } as LogRecord;
            this.#applyLive(rec);
            records.push(rec);
          }
          if (decision.records.length > 0) durable ||= item.durable;
          done.push([item, decision.result]);
        }
        if (records.length > 0) {
          this.#wal.append(records, durable);
          if (!durable) this.#syncSoon();
        }
        for (const [item, result] of done) settle.push(() => item.resolve(result));
        if (this.#wal.offset >= this.#compactionThreshold()) {
          try {
            // the records are written (and synced if durable) already: only the compaction waits
            this.#compact(await this.#compactionCode());
          } catch (e) {
            this.#forget();
            this.#warn(`Automatic compaction failed and will be retried: ${(e as Error).message}`);
          }
        }
      } finally {
        this.#lock.release();
      }
    } catch (e) {
      // nothing of this batch is acknowledged; drop what memory holds and reload next time
      this.#forget();
      settle.length = 0;
      for (const item of batch) settle.push(() => item.reject(e));
    }
    for (const s of settle) s();
  }

  /** Schedules the fdatasync of a worker's records (see DURABILITY); it never holds a process open. */
  #syncSoon(): void {
    if (this.#syncTimer !== undefined) return;
    const timer = setTimeout(() => {
      this.#syncTimer = undefined;
      this.#txn.serial(() => {
        try {
          this.#wal.sync();
        } catch (e) {
          this.#warn(`Could not sync the log: ${(e as Error).message}`);
        }
        return Promise.resolve();
      });
    }, SYNC_AFTER_MS);
    Deno.unrefTimer(timer);
    this.#syncTimer = timer;
  }

  /** True when nothing was ever written here (storeWritten); such a store is read without creating anything. */
  #pristine(): boolean {
    return !this.#state && !storeWritten(this.paths);
  }

  /**
   * With nothing written yet, decides on an empty state first. When nothing would be written (a
   * refusal, or a no-op), answers from that, so a failed command creates no directory or file, and
   * returns null. Otherwise returns the decisions, for the flush to use if the store is still
   * empty once locked.
   */
  #decideOnEmpty(batch: Pending[]): { at: Date; decided: Map<Pending, Decided> } | null {
    const decided = new Map<Pending, Decided>();
    const empty = new QueueState();
    const now = this.#clock.now();
    for (const item of batch) {
      try {
        const decision = item.decide(empty, now);
        decided.set(item, { ok: true, decision });
        // the items after this one must see its records: the flush decides them
        if (decision.records.length > 0) return { at: now, decided };
      } catch (error) {
        decided.set(item, { ok: false, error });
      }
    }
    for (const [item, d] of decided) {
      if (d.ok) item.resolve(d.decision.result);
      else item.reject(d.error);
    }
    return null;
  }

  #applyLive(rec: LogRecord): void {
    try {
      apply(this.#state!, rec);
    } catch (e) {
      this.#forget();
      throw new Error(`Internal error: a decision produced an invalid record: ${(e as Error).message}`);
    }
  }

  /**
   * Compaction rewrites the live jobs that will stay in the snapshot (completed ones go to the
   * archive, plain pending ones to a pending segment): waiting until the log is twice that large
   * keeps its cost at most half a byte per byte logged. The jobs that stay are the running, failed
   * and dead ones (and the few pending ones that must stay live): a big batch enqueue is folded
   * into a pending segment at once, never replayed by every command after it.
   */
  #compactionThreshold(): number {
    const s = this.#state!;
    const staying = s.counts.processing + s.counts.failed + s.counts.dead;
    return Math.max(this.#compactAfter, 2 * staying * this.#bytesPerJob);
  }

  #learnJobSize(snapshotBytes: number, jobs: number): void {
    if (jobs >= 100) this.#bytesPerJob = Math.ceil(snapshotBytes / jobs);
  }

  /** Drops the in-memory state, e.g. after a failed write, so the next call reloads from disk. */
  #forget(): void {
    this.#state?.jobs.release();
    this.#state = null;
    this.#closeReaders();
    this.#wal.close();
    this.#wal = this.#walOf(this.#wal.gen);
  }

  #walOf(gen: number): WalFile {
    return new WalFile(this.paths, gen, (p, before) => this.#crash(p, before));
  }

  #crash(point: string, before?: () => void): void {
    if (this.#crashAt !== point) return;
    before?.();
    Deno.kill(Deno.pid, "SIGKILL");
  }

  async #open(exclusive: boolean): Promise<void> {
    const found = scanGenerations(this.paths.home);
    const gen = Math.max(1, ...found.wals, ...found.snapshots);
    let state = new QueueState();
    if (found.snapshots.includes(gen)) {
      // writers too read only the header and trailer: each job line is checked when it is parsed
      state = readSnapshot(this.paths.snapshot(gen), false);
      this.#learnJobSize(Deno.statSync(this.paths.snapshot(gen)).size, state.jobs.size);
    } else if (gen > 1) {
      throw new CorruptionError(
        this.paths.wal(gen).slice(this.paths.home.length + 1),
        0,
        `its snapshot ${this.paths.snapshot(gen).slice(this.paths.home.length + 1)} is missing`,
      );
    }
    if (!this.#readers && (state.archive.length > 0 || state.pending.segments.length > 0)) {
      // segments made since #preload looked, or since this process last opened: loaded under the lock
      this.#readers = await loadReaders(this.paths);
    }
    this.#closeReaders();
    this.#wire(state);
    this.#state?.jobs.release();
    this.#state = state;
    this.#snapshotDue = false;
    this.#enterGeneration(gen);
    if (exclusive) removeStale(this.paths, state, gen, found);
  }

  /**
   * Before the lock, for a process that holds no state yet: when the home has segment files, loads
   * their readers now, rather than in #open under the lock.
   */
  async #preload(): Promise<void> {
    if (this.#state || this.#readers) return;
    let found;
    try {
      found = scanGenerations(this.paths.home);
    } catch {
      return; // no home (yet): #open says what is wrong, under the lock
    }
    if (found.archives.length > 0 || found.pendings.length > 0) this.#readers = await loadReaders(this.paths);
  }

  /** Compaction's code, and the segment readers it uses (the current state wired to them). */
  async #compactionCode(): Promise<CompactionCode> {
    if (!this.#readers) {
      this.#readers = await loadReaders(this.paths);
      if (this.#state) this.#wire(this.#state);
    }
    return this.#compaction ??= await loadCompaction();
  }

  /** Closes the segment files the readers hold open (they reopen what they need next). */
  #closeReaders(): void {
    this.#readers?.archive.close();
    this.#readers?.pending.close();
  }

  /**
   * Lets a state read its archive and pending segments. Without the readers loaded, a state must
   * name none: its lookups would miss every job in them.
   */
  #wire(state: QueueState): void {
    if (!this.#readers) {
      if (state.archive.length > 0 || state.pending.segments.length > 0) {
        throw new Error("Internal error: a state names segment files whose readers are not loaded");
      }
      return;
    }
    state.pending.reader = this.#readers.pending;
    const reader = this.#readers.archive;
    state.archiveView = {
      get: (id) => reader.get(state.archive, state.tombstones, id),
      findAny: (ids) => reader.findAny(state.archive, state.tombstones, ids),
      idsWithPrefix: (prefix, limit) => reader.idsWithPrefix(state.archive, state.tombstones, prefix, limit),
      jobs: (order, past) =>
        order === "desc"
          ? reader.jobsDesc(state.archive, state.tombstones, past)
          : reader.jobs(state.archive, state.tombstones, past),
      scan: function* (seg) {
        for (const { job } of reader.scan(seg)) yield job;
      },
      hiddenIn: (seg) => reader.hiddenCopies(seg, state.tombstones),
      learnFacts: (seg) => reader.learnFacts(seg),
    };
  }

  async #catchUp(exclusive: boolean): Promise<void> {
    if (!this.#state) await this.#open(exclusive);
    for (;;) {
      if (this.#snapshotDue && scanGenerations(this.paths.home).snapshots.some((g) => g >= this.#wal.gen)) {
        // a writer completed the compaction we saw sealed (and maybe later ones): completing it
        // again from our state would revive a dead generation, and remove as unnamed the archive
        // segments of the newest snapshot
        await this.#open(exclusive);
        continue;
      }
      if (exclusive && this.#snapshotDue) await this.#completeCompaction();
      const file = this.#wal.open(false);
      if (file === "newer") {
        await this.#open(exclusive);
        continue;
      }
      if (!file) return;
      const found = this.#wal.readNew(file);
      if (!found) return;
      const { buf, lines, complete } = found;
      let sealedAt = -1;
      for (const [s, e] of lines) {
        const lineNo = this.#wal.line + 1;
        if (sealedAt >= 0) {
          throw new CorruptionError(this.#wal.name, lineNo, "records follow the generation's seal");
        }
        const rec = this.#wal.decode(buf, s, e, lineNo);
        try {
          apply(this.#state!, rec);
        } catch (err) {
          if (!(err instanceof ApplyError)) throw err;
          throw new CorruptionError(this.#wal.name, lineNo, err.message);
        }
        this.#wal.line = lineNo;
        this.#wal.offset += e - s + 1;
        if (rec.type === "seal") sealedAt = rec.next_gen;
      }
      if (sealedAt >= 0) {
        if (exists(this.paths.snapshot(sealedAt))) await this.#open(exclusive);
        else await this.#switchGeneration(sealedAt, exclusive);
        continue;
      }
      if (complete < buf.length && this.#wal.settleTail(buf.subarray(complete), exclusive)) continue;
      return;
    }
  }

  /**
   * Enters generation `next` whose snapshot does not exist: the compactor died after sealing.
   * Our state is exactly what the snapshot must hold, and nobody appends to the new generation
   * before it exists.
   */
  async #switchGeneration(next: number, exclusive: boolean): Promise<void> {
    this.#enterGeneration(next);
    this.#snapshotDue = true;
    if (exclusive) await this.#completeCompaction();
  }

  #enterGeneration(next: number): void {
    this.#wal.close();
    this.#wal = this.#walOf(next);
  }

  /**
   * Steps 2-5 of compaction, for the current generation; idempotent. (Loading compaction's code
   * here, under the lock, is rare: a compactor died between its seal and its snapshot.)
   */
  async #completeCompaction(): Promise<void> {
    const gen = this.#wal.gen;
    if (this.#snapshotDue && !exists(this.paths.snapshot(gen))) {
      this.#writeSnapshot(await this.#compactionCode(), gen);
    }
    this.#finishGeneration();
  }

  /** Steps 4 and 5, for the current generation, whose snapshot exists. */
  #finishGeneration(): void {
    this.#snapshotDue = false;
    this.#wal.open(true);
    this.#crash("wal-created");
    removeStale(this.paths, this.#state!, this.#wal.gen);
    this.#crash("old-removed");
  }

  /** Steps 1-5 (with the code compaction needs loaded: #compactionCode). */
  #compact(code: CompactionCode): CompactionResult {
    // the snapshot's job lines are checked as they are parsed: all of them before anything is
    // written (a prune, the seal), so a damaged one fails the compaction with the store unchanged
    this.#state!.jobs.parseAll();
    this.#retain(code);
    const state = this.#state!;
    const folded = this.#wal.offset;
    const next = this.#wal.gen + 1;
    const seal: LogRecord = {
      seq: state.seq + 1,
      at: this.#clock.now().toISOString(),
      type: "seal",
      next_gen: next,
    };
    apply(state, seal);
    this.#wal.append([seal], true);
    this.#crash("sealed");
    const bytes = this.#writeSnapshot(code, next);
    this.#enterGeneration(next);
    this.#finishGeneration();
    this.#sweepOutputs(code);
    return {
      generation: next,
      jobs: state.jobs.size,
      archived: state.archived,
      segments: state.archive.length,
      snapshot_bytes: bytes,
      folded_bytes: folded,
    };
  }

  #writeSnapshot(code: CompactionCode, gen: number): number {
    const state = this.#state!;
    const bytes = code.writeSnapshot(
      this.paths,
      state,
      this.#readers!.archive,
      gen,
      (p, before) => this.#crash(p, before),
      this.#clock.now(),
      this.#pendingMin,
    );
    this.#learnJobSize(bytes, state.jobs.size);
    return bytes;
  }
}
