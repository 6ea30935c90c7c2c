/**
 * Reading a segment file of newline-terminated lines without holding it (archive and pending
 * segments alike): the files held open and checked against the sizes the snapshot recorded, in
 * chunks forwards or backwards, one line at a byte position, a bisection over byte positions for
 * a file whose lines are sorted by a key, and the windowed bisection of an id index. Damage is
 * reported through `corrupt`, which names the file and throws.
 */
import { CorruptionError } from "../errors.ts";
import { splitLines } from "./codec.ts";
import { readAt } from "../durable.ts";
import { fileName } from "./paths.ts";

const NEWLINE = 0x0a;
/** an id index bisects until this many bytes are left, then scans them */
export const SCAN_BYTES = 4096;
/** ids are at most 128 characters: an index line is under 250 bytes, so this holds a whole one */
export const WINDOW = 1024;
const decoder = new TextDecoder();
/** the first chunk read; a line longer than a chunk makes the next one four times larger */
const CHUNK = 64 * 1024;

/** Reports damage at a byte position of the file being read; never returns. */
export type Corrupt = (position: number, why: string) => never;

/** The CorruptionError of damage at byte `position` of the segment file `path`. */
export function segmentCorrupt(path: string, position: number, why: string): never {
  throw new CorruptionError(fileName(path), 0, why, `byte ${position}`);
}

/** Segment files held open for reading (for the life of one loaded state), each checked once. */
export class SegmentFiles {
  readonly #files = new Map<string, Deno.FsFile>();

  /**
   * `path`, open, after checking it has the size the snapshot recorded (and passes `check`, run
   * once, when it is first opened).
   */
  open(path: string, expected: number, check?: (file: Deno.FsFile) => void): Deno.FsFile {
    let file = this.#files.get(path);
    if (file) return file;
    try {
      file = Deno.openSync(path, { read: true });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new CorruptionError(fileName(path), 0, "the file is missing", "open");
      }
      throw e;
    }
    try {
      const size = file.statSync().size;
      if (size !== expected) {
        throw new CorruptionError(
          fileName(path),
          0,
          `it has ${size} bytes where the snapshot recorded ${expected}`,
          "open",
        );
      }
      check?.(file);
    } catch (e) {
      file.close();
      throw e;
    }
    this.#files.set(path, file);
    return file;
  }

  close(): void {
    for (const f of this.#files.values()) f.close();
    this.#files.clear();
  }
}

/** One line: `buf[start, end)`, newline excluded, which begins at byte `at` of the file. */
export interface LineAt {
  buf: Uint8Array;
  start: number;
  end: number;
  at: number;
}

/** The lines of `file` from byte `from` (a line start) to byte `size`, first to last. */
export function* linesForward(
  file: Deno.FsFile,
  size: number,
  from: number,
  corrupt: Corrupt,
): Generator<LineAt> {
  let chunk = CHUNK;
  let pos = from;
  while (pos < size) {
    const buf = new Uint8Array(Math.min(chunk, size - pos));
    const got = readAt(file, pos, buf);
    if (got < buf.length) corrupt(pos + got, "the file is shorter than recorded");
    const { lines, complete } = splitLines(buf);
    if (lines.length === 0) {
      if (buf.length === size - pos) corrupt(pos, "the last line is unterminated");
      chunk *= 4;
      continue;
    }
    for (const [start, end] of lines) yield { buf, start, end, at: pos + start };
    pos += complete;
  }
}

/** The lines of `file` before byte `until` (a line start, or the end), last to first. */
export function* linesBackward(file: Deno.FsFile, until: number, corrupt: Corrupt): Generator<LineAt> {
  let chunk = CHUNK;
  let end = until;
  while (end > 0) {
    const start = Math.max(0, end - chunk);
    const buf = new Uint8Array(end - start);
    const got = readAt(file, start, buf);
    if (got !== buf.length || buf[got - 1] !== NEWLINE) corrupt(end, "the last line is unterminated");
    // before the first newline may be the tail of a line that starts earlier: read it next time
    const first = start === 0 ? 0 : buf.indexOf(NEWLINE) + 1;
    if (first >= buf.length) {
      chunk *= 4;
      continue;
    }
    const { lines } = splitLines(buf, first);
    for (let i = lines.length - 1; i >= 0; i--) {
      yield { buf, start: lines[i][0], end: lines[i][1], at: start + lines[i][0] };
    }
    end = start + first;
  }
}

/** The line that starts at byte `start` (the file is `size` bytes). */
export function lineAt(file: Deno.FsFile, start: number, size: number, corrupt: Corrupt): LineAt {
  for (let len = 4096;; len *= 4) {
    const buf = new Uint8Array(Math.min(len, size - start));
    const got = readAt(file, start, buf);
    const nl = buf.subarray(0, got).indexOf(NEWLINE);
    if (nl >= 0) return { buf, start: 0, end: nl, at: start };
    if (start + got >= size) corrupt(start, "the last line is unterminated");
  }
}

/** The first line start in [pos, limit), or null: the byte after the first newline at or after pos - 1. */
function nextLineStart(file: Deno.FsFile, pos: number, limit: number): number | null {
  if (pos === 0) return 0;
  const buf = new Uint8Array(4096);
  for (let at = pos - 1; at < limit - 1;) {
    const got = readAt(file, at, buf.subarray(0, Math.min(buf.length, limit - at)));
    const nl = buf.subarray(0, got).indexOf(NEWLINE);
    if (nl >= 0) return at + nl + 1 < limit ? at + nl + 1 : null;
    if (got === 0) return null;
    at += got;
  }
  return null;
}

/**
 * Where the first line whose key is above `value` starts (`size` when none is), in a file whose
 * lines ascend by `key`: a bisection over byte positions, reading one line per probe.
 */
export function firstLineAbove(
  file: Deno.FsFile,
  size: number,
  value: number,
  key: (line: LineAt) => number,
  corrupt: Corrupt,
): number {
  return firstLineWhere(file, size, (line) => key(line) > value, corrupt);
}

/**
 * Where the first line that `past` accepts starts (`size` when none does), in a file whose lines
 * `past` refuses up to some line and accepts from it on: a bisection over byte positions.
 */
export function firstLineWhere(
  file: Deno.FsFile,
  size: number,
  past: (line: LineAt) => boolean,
  corrupt: Corrupt,
): number {
  // every line before `lo` is refused; every line from `hi` on, accepted
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    // the first line starting in [mid, hi); if none does, the first line of the range
    const start = nextLineStart(file, mid, hi) ?? lo;
    const line = lineAt(file, start, size, corrupt);
    if (past(line)) hi = start;
    else lo = start + line.end + 1;
  }
  return lo;
}

/**
 * Bisects an id index (`size` bytes; lines sorted by the id before their first space, each
 * shorter than WINDOW) for `id`, reading one window per probe: the entry when a probe lands on
 * its line, else the bytes of the range [lo, hi) of at most SCAN_BYTES, at line starts, that holds
 * the line if the index has one, read (`window`, empty when the range is; the caller scans it).
 */
export function narrowIndex<E extends { id: string }>(
  file: Deno.FsFile,
  size: number,
  id: string,
  parse: (line: string) => E | null,
  corrupt: Corrupt,
): { entry: E } | { lo: number; window: Uint8Array } {
  const win = new Uint8Array(WINDOW);
  let lo = 0;
  let hi = size;
  while (hi - lo > SCAN_BYTES) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const got = readAt(file, mid, win);
    const first = win.subarray(0, got).indexOf(NEWLINE);
    const end = first < 0 ? -1 : win.subarray(0, got).indexOf(NEWLINE, first + 1);
    if (end < 0) corrupt(mid, "an index line is too long");
    const entry = parse(decoder.decode(win.subarray(first + 1, end)));
    if (!entry) corrupt(mid + first + 1, "an index entry fails its checksum");
    if (entry.id === id) return { entry };
    if (entry.id < id) lo = mid + end + 1;
    else hi = mid + first + 1;
  }
  if (hi <= lo) return { lo, window: new Uint8Array(0) };
  const buf = new Uint8Array(hi - lo);
  return { lo, window: buf.subarray(0, readAt(file, lo, buf)) };
}
