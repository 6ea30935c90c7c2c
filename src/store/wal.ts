/**
 * One generation's write-ahead log file (`wal-G.jsonl`): reading what others appended since this
 * process last looked, the torn-tail rule, appending, and syncing. The catch-up loop that moves
 * between generations is log.ts's; this file knows one segment.
 *
 * TORN TAIL: a final line without "\n" is what a writer that died mid-append leaves; a writer
 * (never a reader) truncates it, unless it is a whole record whose newline alone is missing
 * (its checksum proves it): then the newline is added. A whole record followed by more bytes
 * is never what a crash leaves: that is corruption (codec.ts `sealedEnd`).
 */
import { CorruptionError } from "../errors.ts";
import { exists, FILE_MODE, syncDir } from "../durable.ts";
import { decodeLine, encodeLines, sealedEnd, splitLines } from "./codec.ts";
import { fileName, type HomePaths, scanGenerations } from "./paths.ts";
import { type LogRecord, RECORD_TYPES } from "./records.ts";

/** What a read of the log found: whole lines (byte ranges in `buf`) and an unterminated tail. */
export interface Appended {
  buf: Uint8Array;
  lines: Array<[number, number]>;
  /** bytes of `buf` in whole lines */
  complete: number;
}

export class WalFile {
  readonly #paths: HomePaths;
  readonly #crash: (point: string, before?: () => void) => void;
  readonly gen: number;
  /** bytes of whole lines applied so far, and their count */
  offset = 0;
  line = 0;
  #file: Deno.FsFile | null = null;
  /**
   * `#file`'s inode, read once when it is opened: an open file's identity never changes. Under
   * the CLI's permission flags `FsFile.statSync()` reads the link of every directory on the file's
   * path (7.8–8.7 µs against 0.6 for a seek), and every catch-up asked it twice
   * (bench/results/2026-12-07-wal-fstat/)
   */
  #identity: { ino: number | null; dev: number } | null = null;
  #writable = false;
  /** bytes appended by this process and not yet fdatasynced */
  unsynced = 0;

  /** `crash(point, before)`: the crash seam (log.ts); `before` runs first when it fires there. */
  constructor(paths: HomePaths, gen: number, crash: (point: string, before?: () => void) => void) {
    this.#paths = paths;
    this.gen = gen;
    this.#crash = crash;
  }

  get name(): string {
    return fileName(this.#paths.wal(this.gen));
  }

  /**
   * The file, opened for reading or writing. "newer" when it is gone because later generations
   * replaced it while this process was idle: the caller reopens from the newest snapshot. A dead
   * generation's log is never recreated.
   */
  open(write: boolean): Deno.FsFile | null | "newer" {
    const path = this.#paths.wal(this.gen);
    if (this.#file && !this.#atPath(path)) {
      // a compaction or a repair moved on to a newer generation, and this file is no longer the log
      this.close();
      const found = scanGenerations(this.#paths.home);
      if ([...found.wals, ...found.snapshots].some((g) => g > this.gen)) return "newer";
      throw new CorruptionError(
        this.name,
        this.line,
        "the file was removed or replaced under a running process",
      );
    }
    if (this.#file && (this.#writable || !write)) return this.#file;
    if (!exists(path)) {
      const found = scanGenerations(this.#paths.home);
      if ([...found.wals, ...found.snapshots].some((g) => g > this.gen)) return "newer";
      if (!write) return null;
    }
    this.close();
    if (write) {
      const created = !exists(path);
      this.#file = Deno.openSync(path, { read: true, write: true, create: true, mode: FILE_MODE });
      if (created) syncDir(this.#paths.home);
      this.#writable = true;
    } else {
      this.#file = Deno.openSync(path, { read: true });
      this.#writable = false;
    }
    const { ino, dev } = this.#file.statSync();
    this.#identity = { ino, dev };
    return this.#file;
  }

  /**
   * Whether `file` is still the file at `path`. A repair never cuts or rewrites a log in place:
   * it makes a newer generation and moves the old log aside, so a process holding the old one
   * open finds it gone from its path (as it does after a compaction) and reopens.
   */
  #atPath(path: string): boolean {
    let there: Deno.FileInfo;
    try {
      there = Deno.statSync(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return false;
      throw e;
    }
    return there.ino === this.#identity!.ino && there.dev === this.#identity!.dev;
  }

  /** Bytes appended since `offset`, split into lines; null when there are none. */
  readNew(file: Deno.FsFile): Appended | null {
    // its size, by a seek to its end (see #identity)
    const size = file.seekSync(0, Deno.SeekMode.End);
    if (size < this.offset) {
      throw new CorruptionError(this.name, this.line, "the file shrank under a running process");
    }
    if (size === this.offset) return null;
    const buf = new Uint8Array(size - this.offset);
    file.seekSync(this.offset, Deno.SeekMode.Start);
    let got = 0;
    while (got < buf.length) {
      const n = file.readSync(buf.subarray(got));
      if (n === null) break;
      got += n;
    }
    const { lines, complete } = splitLines(buf.subarray(0, got));
    return { buf: buf.subarray(0, got), lines, complete };
  }

  /** Decodes line `lineNo` (1-based) of the file: a queuectl record, or CorruptionError. */
  decode(buf: Uint8Array, s: number, e: number, lineNo: number): LogRecord {
    const r = decodeLine(buf, s, e);
    if (!r.ok) throw new CorruptionError(this.name, lineNo, r.why);
    const v = r.value;
    if (typeof v.seq !== "number" || typeof v.at !== "string" || !RECORD_TYPES.has(v.type as string)) {
      throw new CorruptionError(this.name, lineNo, "the line is not a queuectl record");
    }
    return v as unknown as LogRecord;
  }

  /**
   * The unterminated bytes after the last whole line. Returns true when it was a whole record
   * (its newline was added: read again), false when it was torn (truncated) or left alone (a
   * reader never writes). Throws when it is not what a crash leaves.
   */
  settleTail(tail: Uint8Array, writer: boolean): boolean {
    const end = sealedEnd(tail);
    // not what a crash leaves: a whole record whose newline was damaged; never truncated away
    if (end >= 0 && end < tail.length) {
      throw new CorruptionError(
        this.name,
        this.line + 1,
        "a whole record runs on into more bytes: its newline is damaged",
      );
    }
    if (!writer) return false;
    const wal = this.open(true) as Deno.FsFile;
    const whole = decodeLine(tail, 0, tail.length).ok;
    if (whole) {
      wal.seekSync(this.offset + tail.length, Deno.SeekMode.Start);
      wal.writeSync(new Uint8Array([0x0a]));
    } else {
      wal.truncateSync(this.offset);
    }
    wal.syncDataSync();
    return whole;
  }

  /**
   * Appends `records` in one write (crash points append-half, append-written) and, when
   * `durable`, fdatasyncs before returning. On failure the file is cut back to where it was (so
   * nothing unacknowledged stays), and the error names it.
   */
  append(records: readonly LogRecord[], durable: boolean): void {
    const wal = this.open(true) as Deno.FsFile;
    const bytes = encodeLines(records);
    wal.seekSync(this.offset, Deno.SeekMode.Start);
    try {
      let done = 0;
      this.#crash("append-half", () => wal.writeSync(bytes.subarray(0, Math.max(1, bytes.length >> 1))));
      while (done < bytes.length) done += wal.writeSync(bytes.subarray(done));
      this.#crash("append-written");
      if (durable) wal.syncDataSync();
    } catch (e) {
      try {
        wal.truncateSync(this.offset);
      } catch {
        /* the reload that follows will find and truncate the torn tail */
      }
      throw this.#named(e, "appending to");
    }
    this.offset += bytes.length;
    this.line += records.length;
    this.unsynced = durable ? 0 : this.unsynced + bytes.length;
  }

  /** fdatasync: every append so far (this process's and, with them, everyone's) is durable. */
  sync(): void {
    if (!this.#file || this.unsynced === 0) return;
    try {
      this.#file.syncDataSync();
    } catch (e) {
      throw this.#named(e, "syncing");
    }
    this.unsynced = 0;
  }

  close(): void {
    this.#file?.close();
    this.#file = null;
    this.#identity = null;
  }

  /** "No space left on device" alone does not say where. */
  #named(e: unknown, doing: string): Error {
    return new Error(`${(e as Error).message} while ${doing} ${this.#paths.wal(this.gen)}`, { cause: e });
  }
}
