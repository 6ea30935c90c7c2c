/**
 * The write-ahead log engine of the file store. This comment is the on-disk protocol.
 *
 * FILES (names built only by paths.ts)
 *   wal-G.jsonl      the log of generation G: one record per line (codec.ts: JSON sealed by a
 *                    CRC-32), seq contiguous across generations, each line one whole transaction
 *   snapshot-G.snap  the live state at the start of generation G (absent for generation 1):
 *                    counters, every job not yet archived, the archive segments in use
 *   archive-N.jobs   completed jobs moved out of the live state, with archive-N.index (archive.ts)
 *   store.lock       flock target: exclusive for writers, shared for readers
 *
 * WRITE (under the exclusive lock)
 *   1. catch up: read wal-G from this process's offset to EOF and apply every record
 *      (state.ts `apply`, the same reducer used at open); a final line without "\n" is a torn
 *      append from a crashed writer, and is truncated (unless it is a whole record followed by
 *      more bytes: a crash never leaves that, so it is corruption, see codec.ts `sealedEnd`)
 *   2. decide on the caught-up state (duplicate ids, claim order, lease guards), apply the new
 *      records in memory, append them in one write, fdatasync, and only then report success.
 *      Callers that queue writes meanwhile share the lock, the write and the fdatasync
 *      (group commit).
 * READ (under the shared lock): catch up as above, never truncating; answer from memory.
 *
 * COMPACTION (when wal-G outgrows max(`compactAfterBytes`, twice the size of the live jobs that
 *   the snapshot will hold), so its cost stays proportional to the log it folds; or
 *   `queuectl compact`)
 *   1. append {"type":"seal","next_gen":G+1} to wal-G and fdatasync: the commit point.
 *      From here on nobody appends to wal-G.
 *   2. archive: write the completed jobs of the state as a new segment (jobs file, then index;
 *      each a temp name, fsync, rename, directory fsync), numbered from the state's
 *      `next_segment`; then merge the newest segments while archive.ts plans a merge
 *   3. write snapshot-(G+1), naming the segments in use, to a temp name, fsync, rename, fsync
 *      the directory
 *   4. create the empty wal-(G+1), fsync the directory
 *   5. remove wal-G, snapshot-G and every archive file the new snapshot does not name, fsync
 *      the directory
 *   A process that reads the seal reloads from snapshot G+1 (small: live jobs only). A writer
 *   that finds a seal without its snapshot (the compactor crashed between 1 and 3) completes
 *   steps 2-5 itself from its own state; the segment numbers it writes are the ones the crashed
 *   compactor used, so it replaces their unnamed files. A crash before 1 leaves the old
 *   generation as it was; a crash during 2 or 3 also leaves temp files or unnamed segments,
 *   removed by the next writer. A process idle through whole compactions finds its log gone
 *   and reopens from the newest snapshot; a dead generation's log is never recreated.
 *
 * OPEN: the highest generation G named by any snapshot or wal file; load snapshot-G (if G > 1),
 *   replay wal-G. A line that fails its checksum, does not parse or does not apply is corruption:
 *   the open fails naming file and line (`queuectl doctor`... see README), and nothing is
 *   skipped.
 *
 * CRASH SEAM (tests only): QUEUECTL_CRASH_AT=<point> makes this module SIGKILL its own process
 *   at that point: sealed, archive-jobs-written, archive-jobs-synced, archive-jobs-renamed,
 *   archive-jobs-dir-synced, the same four for archive-index-, snapshot-written,
 *   snapshot-synced, snapshot-renamed, dir-synced, wal-created, old-removed, append-half (half
 *   a record written), append-written (before fdatasync). Unset, it does nothing.
 */
import { type Clock, systemClock } from "../clock.ts";
import { CorruptionError } from "../errors.ts";
import { ArchiveReader, lineOf, liveTombstones, planMerge, writeSegment } from "./archive.ts";
import { decodeLine, encodeLine, sealedEnd, splitLines } from "./codec.ts";
import { ensureDir, exists, FILE_MODE, replaceFileDurably, syncDir } from "../durable.ts";
import { type HomePaths, scanGenerations } from "./paths.ts";
import { type LogRecord, RECORD_TYPES, type RecordBody } from "./records.ts";
import { encodeSnapshot, readSnapshot } from "./snapshot.ts";
import { apply, ApplyError, QueueState } from "./state.ts";

/** Every point of the crash seam (see the protocol comment), for the tests that visit them all. */
export const CRASH_POINTS = [
  "append-half",
  "append-written",
  "sealed",
  ...["jobs", "index"].flatMap((file) =>
    ["written", "synced", "renamed", "dir-synced"].map((step) => `archive-${file}-${step}`)
  ),
  "snapshot-written",
  "snapshot-synced",
  "snapshot-renamed",
  "dir-synced",
  "wal-created",
  "old-removed",
] as const;

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
}

export type Decision<T> = { records: RecordBody[]; result: T };
export type Decide<T> = (state: QueueState, now: Date) => Decision<T>;

type Decided = { ok: true; decision: Decision<unknown> } | { ok: false; error: unknown };

interface Pending {
  decide: Decide<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface CompactionResult {
  generation: number;
  /** live jobs, written to the snapshot */
  jobs: number;
  /** completed jobs in the archive */
  archived: number;
  /** archive segments in use */
  segments: number;
  snapshot_bytes: number;
  folded_bytes: number;
}

export class FileLog {
  readonly paths: HomePaths;
  readonly #clock: Clock;
  readonly #compactAfter: number;
  readonly #crashAt: string | undefined;
  readonly #warn: (message: string) => void;
  #lockFile: Deno.FsFile | null = null;
  #state: QueueState | null = null;
  #gen = 1;
  #wal: Deno.FsFile | null = null;
  #walWritable = false;
  /** the current generation was entered through a seal whose snapshot did not exist yet */
  #snapshotDue = false;
  #offset = 0;
  #line = 0;
  /** bytes per live job in the snapshot this state was loaded from or wrote last */
  #bytesPerJob = 400;
  readonly #archive: ArchiveReader;
  #mutex: Promise<unknown> = Promise.resolve();
  #pending: Pending[] = [];
  #flushQueued = false;

  constructor(paths: HomePaths, options: LogOptions = {}) {
    this.paths = paths;
    this.#clock = options.clock ?? systemClock;
    this.#compactAfter = options.compactAfterBytes ?? 256 * 1024;
    this.#archive = new ArchiveReader(paths);
    this.#crashAt = options.crashAt;
    this.#warn = options.onWarning ?? (() => {});
  }

  get generation(): number {
    return this.#gen;
  }

  /** Answers `fn` on a state caught up with every record committed so far. */
  read<T>(fn: (state: QueueState) => T): Promise<T> {
    return this.#serial(async () => {
      if (this.#pristine()) return fn(new QueueState());
      await this.#lock(false);
      try {
        this.#catchUp(false);
        return fn(this.#state!);
      } finally {
        this.#unlock();
      }
    });
  }

  /**
   * Decides on the caught-up state and makes the decision's records durable before resolving.
   * `decide` must not mutate the state; it throws to refuse (nothing is written then).
   */
  write<T>(decide: Decide<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({
        decide,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        this.#serial(() => this.#flush());
      }
    });
  }

  compact(): Promise<CompactionResult> {
    return this.#serial(async () => {
      ensureDir(this.paths.home); // like any write: a home that does not exist yet is created
      await this.#lock(true);
      try {
        this.#catchUp(true);
        return this.#compact();
      } catch (e) {
        // the seal may be durable while the snapshot is not: reload, and the next writer completes it
        this.#forget();
        throw e;
      } finally {
        this.#unlock();
      }
    });
  }

  close(): void {
    this.#state?.jobs.release();
    this.#archive.close();
    this.#wal?.close();
    this.#wal = null;
    this.#lockFile?.close();
    this.#lockFile = null;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#mutex.then(fn);
    this.#mutex = run.catch(() => {});
    return run;
  }

  async #flush(): Promise<void> {
    this.#flushQueued = false;
    const batch = this.#pending.splice(0);
    const settle: Array<() => void> = [];
    try {
      let onEmpty: { at: Date; decided: Map<Pending, Decided> } | null = null;
      if (this.#pristine()) {
        onEmpty = this.#decideOnEmpty(batch);
        if (!onEmpty) return;
      }
      ensureDir(this.paths.home);
      await this.#lock(true);
      try {
        this.#catchUp(true);
        const state = this.#state!;
        // still empty: the decisions taken on an empty state hold (a 100k-job batch is decided once),
        // and their records carry the time they were decided at
        const reuse = onEmpty && state.seq === 0 ? onEmpty.decided : null;
        const now = reuse ? onEmpty!.at : this.#clock.now();
        const at = now.toISOString();
        const records: LogRecord[] = [];
        const done: Array<[Pending, unknown]> = [];
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
          done.push([item, decision.result]);
        }
        if (records.length > 0) this.#append(records);
        for (const [item, result] of done) {
          settle.push(() => item.resolve(result));
        }
        if (this.#offset >= this.#compactionThreshold()) {
          try {
            this.#compact();
          } catch (e) {
            this.#forget();
            this.#warn(
              `Automatic compaction failed and will be retried: ${(e as Error).message}`,
            );
          }
        }
      } finally {
        this.#unlock();
      }
    } catch (e) {
      // nothing of this batch is acknowledged; drop what memory holds and reload next time
      this.#forget();
      settle.length = 0;
      for (const item of batch) settle.push(() => item.reject(e));
    }
    for (const s of settle) s();
  }

  /**
   * True when nothing was ever written here: no home, or no lock file and no log or snapshot
   * (every writer creates the lock file first). Such a store is empty, and is read without
   * creating anything.
   */
  #pristine(): boolean {
    if (this.#state) return false;
    if (!exists(this.paths.home)) return true;
    if (exists(this.paths.lock)) return false;
    const found = scanGenerations(this.paths.home);
    return found.wals.length === 0 && found.snapshots.length === 0;
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
      throw new Error(
        `Internal error: a decision produced an invalid record: ${(e as Error).message}`,
      );
    }
  }

  /** Drops the in-memory state, e.g. after a failed write, so the next call reloads from disk. */
  /**
   * Compaction rewrites the live jobs that will stay in the snapshot (completed ones go to the
   * archive): waiting until the log is twice that large keeps its cost at most half a byte per
   * byte logged, and a big batch enqueue is not written a second time right away.
   */
  #compactionThreshold(): number {
    const s = this.#state!;
    const staying = s.jobs.size - (s.counts.completed - s.archived);
    return Math.max(this.#compactAfter, 2 * staying * this.#bytesPerJob);
  }

  #learnJobSize(snapshotBytes: number, jobs: number): void {
    if (jobs >= 100) this.#bytesPerJob = Math.ceil(snapshotBytes / jobs);
  }

  #forget(): void {
    this.#state?.jobs.release();
    this.#state = null;
    this.#archive.close();
    this.#wal?.close();
    this.#wal = null;
    this.#offset = 0;
    this.#line = 0;
  }

  async #lock(exclusive: boolean): Promise<void> {
    if (!this.#lockFile) {
      try {
        // sync open: one thread-pool round trip less per CLI call; the lock itself is awaited
        this.#lockFile = Deno.openSync(this.paths.lock, {
          read: true,
          write: true,
          create: true,
          mode: FILE_MODE,
        });
      } catch (e) {
        // a reader may share-lock a file it can only read (a read-only home: EROFS or EACCES)
        if (exclusive) throw e;
        try {
          this.#lockFile = Deno.openSync(this.paths.lock, { read: true });
        } catch {
          throw e;
        }
      }
    }
    if (this.#lockFile.tryLockSync(exclusive)) return;
    // there is no timeout (a lock is held for one transaction): say so when another process holds it long
    const note = setTimeout(
      () => this.#warn(`Waiting for the lock on ${this.paths.lock}, held by another process`),
      1000,
    );
    try {
      await this.#lockFile.lock(exclusive);
    } finally {
      clearTimeout(note);
    }
  }

  #unlock(): void {
    this.#lockFile?.unlockSync();
  }

  #crash(point: string): void {
    if (this.#crashAt === point) Deno.kill(Deno.pid, "SIGKILL");
  }

  #open(exclusive: boolean): void {
    const found = scanGenerations(this.paths.home);
    const gen = Math.max(1, ...found.wals, ...found.snapshots);
    let state = new QueueState();
    if (found.snapshots.includes(gen)) {
      state = readSnapshot(this.paths.snapshot(gen), exclusive);
      this.#learnJobSize(Deno.statSync(this.paths.snapshot(gen)).size, state.jobs.size);
    } else if (gen > 1) {
      throw new CorruptionError(
        this.paths.wal(gen).slice(this.paths.home.length + 1),
        0,
        `its snapshot ${this.paths.snapshot(gen).slice(this.paths.home.length + 1)} is missing`,
      );
    }
    this.#archive.close();
    this.#wire(state);
    this.#state?.jobs.release();
    this.#state = state;
    this.#gen = gen;
    this.#snapshotDue = false;
    this.#wal?.close();
    this.#wal = null;
    this.#offset = 0;
    this.#line = 0;
    if (exclusive) this.#removeStale(gen);
  }

  /** Lets a state read its archive segments. */
  #wire(state: QueueState): void {
    const reader = this.#archive;
    state.archiveView = {
      get: (id) => reader.get(state.archive, state.tombstones, id),
      findAny: (ids) => reader.findAny(state.archive, state.tombstones, ids),
      jobs: (order, past) =>
        order === "desc"
          ? reader.jobsDesc(state.archive, state.tombstones, past)
          : reader.jobs(state.archive, state.tombstones, past),
    };
  }

  /**
   * Deletes temp files, every generation older than `gen`, and every archive segment the state
   * (loaded from or written as the newest snapshot) does not name: all left by a crash or merge.
   */
  #removeStale(gen: number): void {
    // temp files are only written under the exclusive lock, which we hold: any found is a crash's
    const found = scanGenerations(this.paths.home);
    const temps = found.temps;
    const named = new Set(this.#state!.archive.map((seg) => seg.n));
    const doomed = [
      ...temps,
      ...found.wals.filter((g) => g < gen).map((g) => this.paths.wal(g)),
      ...found.snapshots.filter((g) => g < gen).map((g) => this.paths.snapshot(g)),
      ...found.archives.filter((n) => !named.has(n)).flatMap((n) => [
        this.paths.archiveJobs(n),
        this.paths.archiveIndex(n),
      ]),
    ];
    for (const path of doomed) {
      try {
        Deno.removeSync(path);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
    if (doomed.length > 0) syncDir(this.paths.home);
  }

  /**
   * The current generation's log, opened for reading or writing. "newer" when it is gone because
   * later generations replaced it while this process was idle (it missed their seals): the caller
   * then reopens from the newest snapshot. A dead generation's log is never recreated.
   */
  #openWal(write: boolean): Deno.FsFile | null | "newer" {
    if (this.#wal && (this.#walWritable || !write)) return this.#wal;
    const path = this.paths.wal(this.#gen);
    if (!exists(path)) {
      const found = scanGenerations(this.paths.home);
      if ([...found.wals, ...found.snapshots].some((g) => g > this.#gen)) return "newer";
      if (!write) return null;
    }
    this.#wal?.close();
    this.#wal = null;
    if (write) {
      const created = !exists(path);
      this.#wal = Deno.openSync(path, { read: true, write: true, create: true, mode: FILE_MODE });
      if (created) syncDir(this.paths.home);
      this.#walWritable = true;
    } else {
      this.#wal = Deno.openSync(path, { read: true });
      this.#walWritable = false;
    }
    return this.#wal;
  }

  #walName(): string {
    return `wal-${String(this.#gen).padStart(8, "0")}.jsonl`;
  }

  #catchUp(exclusive: boolean): void {
    if (!this.#state) this.#open(exclusive);
    for (;;) {
      if (this.#snapshotDue && scanGenerations(this.paths.home).snapshots.some((g) => g >= this.#gen)) {
        // a writer completed the compaction we saw sealed (and maybe later ones): completing it
        // again from our state would revive a dead generation, and remove as unnamed the archive
        // segments of the newest snapshot
        this.#open(exclusive);
        continue;
      }
      if (exclusive && this.#snapshotDue) this.#completeCompaction();
      const wal = this.#openWal(false);
      if (wal === "newer") {
        this.#open(exclusive);
        continue;
      }
      if (!wal) return;
      const size = wal.statSync().size;
      if (size < this.#offset) {
        throw new CorruptionError(
          this.#walName(),
          this.#line,
          "the file shrank under a running process",
        );
      }
      if (size === this.#offset) return;
      const buf = new Uint8Array(size - this.#offset);
      wal.seekSync(this.#offset, Deno.SeekMode.Start);
      let got = 0;
      while (got < buf.length) {
        const n = wal.readSync(buf.subarray(got));
        if (n === null) break;
        got += n;
      }
      const { lines, complete } = splitLines(buf.subarray(0, got));
      let sealedAt = -1;
      for (let i = 0; i < lines.length; i++) {
        const [s, e] = lines[i];
        const lineNo = this.#line + 1;
        if (sealedAt >= 0) {
          throw new CorruptionError(
            this.#walName(),
            lineNo,
            "records follow the generation's seal",
          );
        }
        const rec = this.#decodeRecord(buf, s, e, lineNo);
        try {
          apply(this.#state!, rec);
        } catch (err) {
          if (!(err instanceof ApplyError)) throw err;
          throw new CorruptionError(this.#walName(), lineNo, err.message);
        }
        this.#line = lineNo;
        this.#offset += e - s + 1;
        if (rec.type === "seal") sealedAt = rec.next_gen;
      }
      if (sealedAt >= 0) {
        if (exists(this.paths.snapshot(sealedAt))) this.#open(exclusive);
        else this.#switchGeneration(sealedAt, exclusive);
        continue;
      }
      if (complete < got) {
        const tail = buf.subarray(complete, got);
        const end = sealedEnd(tail);
        // not what a crash leaves: a whole record whose newline was damaged; never truncated away
        if (end >= 0 && end < tail.length) {
          throw new CorruptionError(
            this.#walName(),
            this.#line + 1,
            "a whole record runs on into more bytes: its newline is damaged",
          );
        }
        if (exclusive) this.#repairTail(tail);
      }
      return;
    }
  }

  /**
   * An unterminated last line. Usually a torn append (its writer died before fdatasync returned,
   * so it was never acknowledged): truncated. If it is a whole record that only lacks its
   * newline (a write cut just before it, or a damaged newline), its checksum proves it: kept.
   */
  #repairTail(tail: Uint8Array): void {
    const wal = this.#openWal(true) as Deno.FsFile;
    const whole = decodeLine(tail, 0, tail.length).ok;
    if (whole) {
      wal.seekSync(this.#offset + tail.length, Deno.SeekMode.Start);
      wal.writeSync(new Uint8Array([0x0a]));
    } else {
      wal.truncateSync(this.#offset);
    }
    wal.syncDataSync();
    if (whole) this.#catchUp(true);
  }

  #decodeRecord(
    buf: Uint8Array,
    s: number,
    e: number,
    lineNo: number,
  ): LogRecord {
    const r = decodeLine(buf, s, e);
    if (!r.ok) throw new CorruptionError(this.#walName(), lineNo, r.why);
    const v = r.value;
    if (
      typeof v.seq !== "number" || typeof v.at !== "string" ||
      !RECORD_TYPES.has(v.type as string)
    ) {
      throw new CorruptionError(
        this.#walName(),
        lineNo,
        "the line is not a queuectl record",
      );
    }
    return v as unknown as LogRecord;
  }

  /**
   * Enters generation `next` whose snapshot does not exist: the compactor died after sealing.
   * Our state is exactly what the snapshot must hold, and nobody appends to the new generation
   * before it exists.
   */
  #switchGeneration(next: number, exclusive: boolean): void {
    this.#enterGeneration(next);
    this.#snapshotDue = true;
    if (exclusive) this.#completeCompaction();
  }

  #enterGeneration(next: number): void {
    this.#wal?.close();
    this.#wal = null;
    this.#gen = next;
    this.#offset = 0;
    this.#line = 0;
  }

  /** Steps 2-5 of compaction, for the current generation; idempotent. */
  #completeCompaction(): void {
    if (this.#snapshotDue && !exists(this.paths.snapshot(this.#gen))) this.#writeSnapshot(this.#gen);
    this.#snapshotDue = false;
    this.#openWal(true);
    this.#crash("wal-created");
    this.#removeStale(this.#gen);
    this.#crash("old-removed");
  }

  #append(records: LogRecord[]): void {
    const wal = this.#openWal(true) as Deno.FsFile;
    const parts = records.map((r) => encodeLine(r));
    let size = 0;
    for (const p of parts) size += p.length;
    const bytes = new Uint8Array(size);
    let off = 0;
    for (const p of parts) {
      bytes.set(p, off);
      off += p.length;
    }
    wal.seekSync(this.#offset, Deno.SeekMode.Start);
    try {
      let done = 0;
      if (this.#crashAt === "append-half") {
        wal.writeSync(bytes.subarray(0, Math.max(1, bytes.length >> 1)));
        this.#crash("append-half");
      }
      while (done < bytes.length) done += wal.writeSync(bytes.subarray(done));
      this.#crash("append-written");
      wal.syncDataSync();
    } catch (e) {
      try {
        wal.truncateSync(this.#offset);
      } catch {
        /* the reload that follows will find and truncate the torn tail */
      }
      // name the file: "No space left on device" alone does not say where
      const where = this.paths.wal(this.#gen);
      throw new Error(`${(e as Error).message} while appending to ${where}`, { cause: e });
    }
    this.#offset += bytes.length;
    this.#line += records.length;
  }

  #compact(): CompactionResult {
    const state = this.#state!;
    const folded = this.#offset;
    const next = this.#gen + 1;
    const seal: LogRecord = {
      seq: state.seq + 1,
      at: this.#clock.now().toISOString(),
      type: "seal",
      next_gen: next,
    };
    apply(state, seal);
    this.#append([seal]);
    this.#crash("sealed");
    const bytes = this.#writeSnapshot(next);
    this.#enterGeneration(next);
    this.#completeCompaction();
    return {
      generation: next,
      jobs: state.jobs.size,
      archived: state.archived,
      segments: state.archive.length,
      snapshot_bytes: bytes,
      folded_bytes: folded,
    };
  }

  /**
   * Steps 2 and 3: archives the state's completed jobs, merges segments as planned, and writes
   * snapshot `gen` durably, with the crash points named in the protocol.
   */
  #writeSnapshot(gen: number): number {
    const state = this.#state!;
    const crash = (step: string) => this.#crash(step);
    const done = [...state.jobs.values()].filter((j) => j.state === "completed");
    if (done.length > 0) {
      const seg = writeSegment(this.paths, state.nextSegment, done.map(lineOf), crash);
      state.nextSegment++;
      state.archive = [...state.archive, seg];
      state.archiveOut(done.map((j) => j.id));
    }
    for (let plan = planMerge(state.archive); plan; plan = planMerge(state.archive)) {
      const merged = this.#archive.merge(plan, state.tombstones, state.nextSegment, crash);
      state.nextSegment++;
      state.archive = [...state.archive.slice(0, -plan.length), ...(merged.jobs > 0 ? [merged] : [])];
    }
    state.tombstones = liveTombstones(state.tombstones, state.archive);
    const bytes = encodeSnapshot(state, gen);
    replaceFileDurably(
      this.paths.snapshot(gen),
      bytes,
      (step) => this.#crash(step === "dir-synced" ? step : `snapshot-${step}`),
    );
    this.#learnJobSize(bytes.length, state.jobs.size);
    return bytes.length;
  }
}
