/**
 * Reading a segment file of newline-terminated lines without holding it: in chunks forwards or
 * backwards, one line at a byte position, and a bisection over byte positions for a file whose
 * lines are sorted by a key. Damage is reported through `corrupt`, which names the file and throws.
 */
import { splitLines } from "./codec.ts";
import { readAt } from "../durable.ts";

const NEWLINE = 0x0a;
/** the first chunk read; a line longer than a chunk makes the next one four times larger */
const CHUNK = 64 * 1024;

/** Reports damage at a byte position of the file being read; never returns. */
export type Corrupt = (position: number, why: string) => never;

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
