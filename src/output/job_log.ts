/**
 * A job's log, as `queuectl logs` prints it and the dashboard shows it: the one place that
 * defines its framing lines and reads it from the files. A job's attempts (`job.runs`, the
 * newest RUNS_KEPT) follow one another, each framed by two lines of its own:
 *
 *     === attempt N of M · <start, ISO-8601 UTC> · worker <worker id> ===
 *     <what the attempt wrote to stdout and stderr, as it wrote it>
 *     === <result> · <seconds, two decimals>s ===
 *
 * where M is the job's max_retries + 1 and <result> the run's result text (`exit code 0`,
 * `timed out after 5s`, `worker lost`, ...). An attempt that could not start ends with
 * `=== could not start: <why> ===` instead. The closing line always starts a line of its own:
 * after output that did not end its last line, a newline comes first. An attempt that is still
 * running has no closing line yet.
 *
 * The output itself is never copied: an attempt's bytes are the range [start, end) of its
 * slot's output file under logs/ (worker/output.ts), which other attempts of other jobs share;
 * `end` is null while the attempt runs, and its output then ends at the file's current size
 * (no other attempt writes to that file until this one's end is recorded). A job run before
 * 0.2 has its output, framing lines included, in `logs/<id>.log`: that file, when it exists,
 * comes first, in place of the runs without an output range (those that version ran).
 *
 * `readJobLog` takes one consistent view of the log (its sections and their byte ranges);
 * `JobLogPrinter` writes a view, and on later views only what it has not written yet (`logs`,
 * `logs --follow`, `logs --json`); `printTail` writes the last lines of a view (`logs --tail`);
 * `tailOf` reads the last bytes of a view (the dashboard).
 * Everything is read in chunks: a log of any size is streamed, never held.
 */
import { readAt } from "../durable.ts";
import type { Job, Run } from "../job.ts";
import type { HomePaths } from "../store/paths.ts";
import { attemptHeader, closingLine } from "../joblog.js";

// ---- the framing lines: their format lives in src/joblog.js, which the dashboard page reads with

/** The line that opens attempt `run` of a job that may have `of` attempts in all (without its newline). */
export function runHeader(run: Pick<Run, "attempt" | "started_at" | "worker">, of: number): string {
  return attemptHeader(run.attempt, of, run.started_at, run.worker);
}

/** The line that closes an attempt that has ended (without its newline); null while it runs. */
export function runClosing(run: Pick<Run, "started_at" | "finished_at" | "result">): string | null {
  if (run.finished_at === null) return null;
  return closingLine(run.result ?? "ended", run.started_at, run.finished_at);
}

// ---- a view of a job's log

/** Bytes [start, end) of the file at `path`. */
export interface ByteRange {
  path: string;
  start: number;
  end: number;
}

/** One attempt's part of the log (or the whole pre-0.2 log file). */
export interface Section {
  /** names the attempt for as long as the job lives: a printer writes each section's lines once */
  key: string;
  /** its header line with its newline ("" for a pre-0.2 log file, whose lines are in it) */
  head: string;
  /** its output, clamped to what the file holds; null when it has none */
  range: ByteRange | null;
  /** its closing line, after a newline when the output did not end one; null while it runs */
  tail: string | null;
}

export interface JobLog {
  /** the job as of this view */
  job: Job;
  sections: Section[];
  /** the log's size in bytes */
  bytes: number;
  /** an attempt is running: its output may grow */
  running: boolean;
}

/** Where a job's log is read from. */
export type LogPaths = Pick<HomePaths, "jobLog" | "runOutput">;

/** Views a job keeps changing under before its running attempt's output is left out. */
const VIEW_TRIES = 5;

const encoder = new TextEncoder();

/**
 * A view of the log of the job `get()` reads (called once or more: the job may move on while
 * its files are read), or null when there is no such job. The output of a running attempt is
 * measured before the job is read again: it counts only when that attempt is still running
 * then, so the view never takes in bytes that the slot's next job wrote.
 */
export async function readJobLog(
  paths: LogPaths,
  get: () => Promise<Job | undefined>,
): Promise<JobLog | null> {
  let job = await get();
  for (let tries = 1; job; tries++) {
    const live = liveRun(job);
    const file = live?.out ? outputPath(paths, live.out[0]) : null;
    if (file === null || tries > VIEW_TRIES) return await view(paths, job, null);
    const size = sizeOf(file);
    const again = await get();
    if (!again) return null;
    const still = liveRun(again);
    if (
      still && again.claim === job.claim && still.attempt === live!.attempt &&
      still.started_at === live!.started_at
    ) {
      return await view(paths, again, size);
    }
    job = again; // it ended meanwhile: its end is recorded now
  }
  return null;
}

/** The last run of a processing job, while it runs. */
function liveRun(job: Job): Run | null {
  const last = job.runs?.[job.runs.length - 1];
  return job.state === "processing" && last && last.finished_at === null ? last : null;
}

/** The path of output file `name`, or null for a name that is not one (a damaged record). */
function outputPath(paths: LogPaths, name: string): string | null {
  try {
    return paths.runOutput(name);
  } catch {
    return null;
  }
}

async function view(paths: LogPaths, job: Job, liveEnd: number | null): Promise<JobLog> {
  const sizes = new Map<string, number>();
  const size = (path: string) => {
    if (!sizes.has(path)) sizes.set(path, sizeOf(path));
    return sizes.get(path)!;
  };
  const sections: Section[] = [];
  const legacy = paths.jobLog(job.id);
  const hasLegacy = size(legacy) > 0;
  if (hasLegacy) {
    sections.push({ key: "log", head: "", range: { path: legacy, start: 0, end: size(legacy) }, tail: "" });
  }
  const live = liveRun(job);
  for (const run of job.runs ?? []) {
    // a run without an output range was run by a version before 0.2 (its claim record, replayed,
    // made it): its output and its framing lines are in that version's log file
    if (run.out === null && hasLegacy) continue;
    let range: ByteRange | null = null;
    const path = run.out ? outputPath(paths, run.out[0]) : null;
    if (run.out && path !== null) {
      const start = run.out[1];
      // an open run that is not running (none should be) has no end to read to
      const end = run.out[2] ?? (run === live && liveEnd !== null ? liveEnd : start);
      // a file removed or cut short holds less: the range is what is left
      range = { path, start, end: Math.max(start, Math.min(end, size(path))) };
      if (range.end === range.start) range = null;
    }
    const closing = run === live ? null : runClosing(run);
    let tail: string | null = null;
    if (closing !== null) tail = (range && !(await endsLine(range)) ? "\n" : "") + closing + "\n";
    sections.push({
      key: `${run.attempt} ${run.started_at}`,
      head: runHeader(run, job.max_retries + 1) + "\n",
      range,
      tail,
    });
  }
  let bytes = 0;
  for (const s of sections) {
    bytes += encoder.encode(s.head).length + encoder.encode(s.tail ?? "").length;
    if (s.range) bytes += s.range.end - s.range.start;
  }
  return { job, sections, bytes, running: live !== null };
}

/** Size of `path`, 0 when it does not exist or cannot be read. */
function sizeOf(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

/** The range's last byte is a newline (or the file cannot be read: nothing is added then). */
async function endsLine(range: ByteRange): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(range.path, { read: true });
  } catch {
    return true;
  }
  try {
    const last = new Uint8Array(1);
    return readAt(file, range.end - 1, last) === 1 ? last[0] === 0x0a : true;
  } finally {
    file.close();
  }
}

// ---- writing a view, and what later views add

/** Size of the chunks the output is read and written in. */
export const CHUNK = 64 * 1024;

/**
 * Writes views of one job's log, each time only what was not written yet: the header of an
 * attempt new since, the bytes its output grew by, its closing line once it has one. Given the
 * views of a running job one after another, it writes the log as it grows (`logs --follow`).
 */
export class JobLogPrinter {
  /** per section written: how far its output was written, and whether its closing line was */
  readonly #written = new Map<string, { at: number; closed: boolean }>();
  #bytes = 0;

  /** Bytes written so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Counts everything in `log` as written, without writing it (`printTail` wrote its end). */
  skip(log: JobLog): void {
    for (const s of log.sections) {
      this.#written.set(s.key, { at: s.range?.end ?? 0, closed: s.tail !== null });
    }
  }

  /** Writes what `log` adds to what was written; resolves once `write` took all of it. */
  async print(log: JobLog, write: (bytes: Uint8Array) => Promise<void>): Promise<void> {
    const out = async (bytes: Uint8Array) => {
      if (bytes.length === 0) return;
      this.#bytes += bytes.length;
      await write(bytes);
    };
    for (const s of log.sections) {
      let w = this.#written.get(s.key);
      if (!w) {
        w = { at: s.range?.start ?? 0, closed: false };
        this.#written.set(s.key, w);
        await out(encoder.encode(s.head));
      }
      if (w.closed) continue;
      if (s.range && w.at < s.range.end) {
        for await (const chunk of readRange({ ...s.range, start: Math.max(w.at, s.range.start) })) {
          w.at += chunk.length;
          await out(chunk);
        }
      }
      if (s.tail !== null) {
        w.closed = true;
        await out(encoder.encode(s.tail));
      }
    }
  }
}

/**
 * Writes the last `lines` lines of `log` (`logs --tail`): of the log as `print` writes it, so
 * an attempt's framing lines count like any other line, and a last line without its newline
 * (an attempt still writing it) counts as a line. Everything in the view then counts as written:
 * given later views, `print` writes only what they add (`logs --tail N --follow`). Finding where
 * the lines start reads the log backwards from its end, in chunks, a log of any size.
 */
export async function printTail(
  printer: JobLogPrinter,
  log: JobLog,
  lines: number,
  write: (bytes: Uint8Array) => Promise<void>,
): Promise<void> {
  const pieces = logPieces(log);
  let skip = await tailStart(pieces, lines);
  for (const piece of pieces) {
    const size = pieceSize(piece);
    if (skip >= size) {
      skip -= size;
      continue;
    }
    const part = cutPiece(piece, skip);
    skip = 0;
    if (part instanceof Uint8Array) await write(part);
    else for await (const chunk of readRange(part)) await write(chunk);
  }
  printer.skip(log);
}

/** A stretch of a log: text of its own (a framing line) or a range of an output file. */
type Piece = Uint8Array | ByteRange;

/** The log's bytes in order, as pieces. */
function logPieces(log: JobLog): Piece[] {
  const out: Piece[] = [];
  for (const s of log.sections) {
    if (s.head) out.push(encoder.encode(s.head));
    if (s.range) out.push(s.range);
    if (s.tail) out.push(encoder.encode(s.tail));
  }
  return out;
}

function pieceSize(piece: Piece): number {
  return piece instanceof Uint8Array ? piece.length : piece.end - piece.start;
}

/** `piece` from its byte `from` on. */
function cutPiece(piece: Piece, from: number): Piece {
  return piece instanceof Uint8Array ? piece.subarray(from) : { ...piece, start: piece.start + from };
}

/** The offset in the pieces at which their last `lines` lines start. */
async function tailStart(pieces: Piece[], lines: number): Promise<number> {
  let end = pieces.reduce((n, p) => n + pieceSize(p), 0);
  if (lines <= 0) return end;
  let seen = 0;
  let first = true;
  for (let i = pieces.length - 1; i >= 0; i--) {
    const piece = pieces[i];
    const size = pieceSize(piece);
    end -= size;
    for await (const [at, chunk] of backwards(piece)) {
      for (let k = chunk.length - 1; k >= 0; k--) {
        // the log's last newline ends its last line: it starts none
        if (first) {
          first = false;
          if (chunk[k] === 0x0a) continue;
        }
        if (chunk[k] === 0x0a && ++seen === lines) return end + at + k + 1;
      }
    }
  }
  return 0;
}

/** The bytes of `piece` from its end backwards, in chunks, each with its offset in the piece. */
async function* backwards(piece: Piece): AsyncGenerator<[number, Uint8Array]> {
  if (piece instanceof Uint8Array) {
    yield [0, piece];
    return;
  }
  let file: Deno.FsFile;
  try {
    file = await Deno.open(piece.path, { read: true });
  } catch {
    return; // removed since it was measured: it reads as nothing
  }
  try {
    const buf = new Uint8Array(Math.min(CHUNK, piece.end - piece.start));
    for (let end = piece.end; end > piece.start;) {
      const from = Math.max(piece.start, end - buf.length);
      const got = readAt(file, from, buf.subarray(0, end - from));
      yield [from - piece.start, buf.subarray(0, got)];
      end = from;
    }
  } finally {
    file.close();
  }
}

/** The bytes of `range`, in chunks of CHUNK; fewer when the file holds fewer. */
export async function* readRange(range: ByteRange): AsyncGenerator<Uint8Array> {
  if (range.end <= range.start) return;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(range.path, { read: true });
  } catch {
    return; // removed since it was measured
  }
  try {
    const buf = new Uint8Array(Math.min(CHUNK, range.end - range.start));
    for (let at = range.start; at < range.end;) {
      const got = readAt(file, at, buf.subarray(0, Math.min(buf.length, range.end - at)));
      if (got === 0) return;
      at += got;
      yield buf.slice(0, got);
    }
  } finally {
    file.close();
  }
}

// ---- the end of a view

/** The end of a job's log (the dashboard's tail). */
export interface Tail {
  output: string;
  /** the whole log's size in bytes */
  bytes: number;
  /** `output` starts after the log's first byte */
  truncated: boolean;
}

/**
 * The last `max` bytes of `log` as text, read from the end (a log may be gigabytes). A UTF-8
 * character cut by the start of the window is dropped, not mangled.
 */
export async function tailOf(log: JobLog, max: number): Promise<Tail> {
  const want = Math.min(max, log.bytes);
  const buf = new Uint8Array(want);
  let fill = want; // bytes [fill, want) of buf are taken, from the end of the log backwards
  const put = (bytes: Uint8Array) => {
    const take = bytes.subarray(Math.max(0, bytes.length - fill));
    fill -= take.length;
    buf.set(take, fill);
  };
  for (let i = log.sections.length - 1; i >= 0 && fill > 0; i--) {
    const s = log.sections[i];
    put(encoder.encode(s.tail ?? ""));
    if (s.range && fill > 0) {
      const start = Math.max(s.range.start, s.range.end - fill);
      const part = new Uint8Array(s.range.end - start);
      let got = 0;
      for await (const chunk of readRange({ ...s.range, start })) {
        part.set(chunk, got);
        got += chunk.length;
      }
      // a file cut short since it was measured: what is missing reads as nothing
      put(part.subarray(0, got));
    }
    if (fill > 0) put(encoder.encode(s.head));
  }
  const got = buf.subarray(fill);
  let from = 0;
  const truncated = want < log.bytes;
  // skip continuation bytes (10xxxxxx) of a character that began before the window
  if (truncated) { while (from < got.length && from < 3 && (got[from] & 0xc0) === 0x80) from++; }
  return { output: new TextDecoder().decode(got.subarray(from)), bytes: log.bytes, truncated };
}

// ---- deleting a job

/**
 * Removes what of a deleted job's output is its own: its pre-0.2 log file. Its attempts' output
 * stays in the slot files, which other jobs' attempts share.
 */
export async function removeJobLog(paths: LogPaths, id: string): Promise<void> {
  try {
    await Deno.remove(paths.jobLog(id));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}
