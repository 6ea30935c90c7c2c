/**
 * Job output kept in one file per worker slot: the slot's jobs run one after another and
 * append to it, and each attempt records its byte range [start, end) in the file. Creating a
 * file is the slowest step of a short job (about 0.65 ms of kernel time here); appending to
 * one that exists costs nothing measurable. A slot moves on to a new file (its next part) once
 * the current one has passed a size limit, so no file grows without bound and a range never
 * spans two files.
 */
import { dirOf, ensureSubdir, FILE_MODE, readAt } from "../durable.ts";

/** Where an attempt's output is: bytes [start, end) of `path`. */
export interface OutputRange {
  path: string;
  start: number;
  end: number;
}

/** Default size past which a slot starts its next output file. */
export const OUTPUT_LIMIT = 64 * 1024 * 1024;
/** Default length of an attempt's output tail. */
export const TAIL_BYTES = 1024;

/** Size of `path`, 0 when it does not exist. */
export function sizeOf(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw e;
  }
}

/**
 * Creates `path` empty, private to the user (0600), unless it exists; and its directory (logs/)
 * when someone removed it: the worker's own trouble, never the job's (issue 13 #6). Never the
 * home around it: a worker whose home is gone stops, and must not make it anew.
 */
export function createOutputFile(path: string): void {
  try {
    Deno.openSync(path, { append: true, create: true, mode: FILE_MODE }).close();
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    ensureSubdir(dirOf(path));
    Deno.openSync(path, { append: true, create: true, mode: FILE_MODE }).close();
  }
}

/** The output files of one slot: part 1, then 2, ... (names from `name(part)`). */
export class SlotOutput {
  readonly #name: (part: number) => string;
  readonly #limit: number;
  #part = 1;

  /** Creates part 1 if missing. Throws when it cannot. */
  constructor(name: (part: number) => string, limit = OUTPUT_LIMIT) {
    this.#name = name;
    this.#limit = limit;
    createOutputFile(this.path);
  }

  get path(): string {
    return this.#name(this.#part);
  }

  /**
   * The file the next attempt appends to, and its size now (where that attempt's output would
   * begin): the current one, or the next part (created, empty) when the current one has
   * reached the limit or is gone.
   */
  next(): { path: string; size: number } {
    let size: number | null;
    try {
      size = Deno.statSync(this.path).size;
    } catch {
      size = null; // removed under us: a new part
    }
    if (size === null || size >= this.#limit) {
      this.#part++;
      createOutputFile(this.path);
      size = 0;
    }
    return { path: this.path, size };
  }
}

/**
 * The last `bytes` bytes of `range` as text, or null when the attempt wrote nothing. Bytes
 * that do not decode as UTF-8 become U+FFFD; a character cut by the start of the tail is
 * dropped. A file shorter than the range (truncated, removed) gives what is left of it.
 */
export async function readTail(range: OutputRange, bytes = TAIL_BYTES): Promise<string | null> {
  const start = Math.max(range.start, range.end - bytes);
  if (range.end <= start) return null;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(range.path, { read: true });
  } catch {
    return null;
  }
  try {
    const buf = new Uint8Array(range.end - start);
    const got = readAt(file, start, buf);
    let from = 0;
    // a tail that starts inside the attempt's output may start inside a character
    if (start > range.start) {
      while (from < got && from < 3 && (buf[from] & 0xc0) === 0x80) from++;
    }
    const text = new TextDecoder().decode(buf.subarray(from, got));
    return text.length > 0 ? text : null;
  } finally {
    file.close();
  }
}

/** The bytes of `range`, read in chunks as they are consumed (never held whole). */
export function streamRange(range: OutputRange, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let file: Deno.FsFile | null = null;
  let at = range.start;
  const close = () => {
    file?.close();
    file = null;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        file ??= await Deno.open(range.path, { read: true });
        const want = Math.min(chunk, range.end - at);
        const buf = new Uint8Array(want);
        const got = want > 0 ? readAt(file, at, buf) : 0;
        if (got > 0) {
          at += got;
          controller.enqueue(buf.subarray(0, got));
        }
        if (got === 0 || at >= range.end) {
          close();
          controller.close();
        }
      } catch (e) {
        close();
        controller.error(e);
      }
    },
    cancel: close,
  });
}
