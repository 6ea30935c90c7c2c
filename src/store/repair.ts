/**
 * `queuectl doctor`: checks that a home's store opens, and with `repair` quarantines the damaged
 * part of a log segment: every line from the first bad one to the end moves, byte for byte, into
 * a side file `wal-G.jsonl.quarantined-<time>` (not a *.jsonl file, so never replayed), and the
 * segment is cut before it. Nothing is deleted; what the side file holds can be re-entered by hand.
 *
 * It then reads every archive segment whole (a normal command reads only what it looks up):
 * each job line's checksum, and an index that names exactly those jobs at their offsets. A
 * damaged index is derived data: `repair` rebuilds it from the jobs file. A damaged jobs file is
 * reported; restoring it needs a backup.
 */
import { CorruptionError } from "../errors.ts";
import { ArchiveReader, lineOf, type Segment, writeSegment } from "./archive.ts";
import { splitLines } from "./codec.ts";
import { FILE_MODE, syncDir } from "./durable.ts";
import { FileLog } from "./log.ts";
import type { HomePaths } from "./paths.ts";

export interface DoctorReport {
  ok: boolean;
  generation: number;
  jobs: number;
  seq: number;
  problems: string[];
  repairs: string[];
}

async function tryOpen(
  paths: HomePaths,
): Promise<{ jobs: number; seq: number; gen: number } | CorruptionError> {
  const log = new FileLog(paths);
  try {
    return await log.read((s) => {
      s.jobs.parseAll(); // a command parses a snapshot's jobs only as it uses them; doctor checks all
      return { jobs: s.jobs.size + s.archived, seq: s.seq, gen: log.generation };
    });
  } catch (e) {
    if (e instanceof CorruptionError) return e;
    throw e;
  } finally {
    log.close();
  }
}

export async function doctor(paths: HomePaths, repair: boolean, now: Date): Promise<DoctorReport> {
  const report: DoctorReport = { ok: false, generation: 0, jobs: 0, seq: 0, problems: [], repairs: [] };
  for (let round = 0; round < 100; round++) {
    const opened = await tryOpen(paths);
    if (!(opened instanceof CorruptionError)) {
      const unrepaired = await checkArchive(paths, repair, report);
      report.ok = unrepaired === 0 &&
        (report.problems.length === 0 || report.repairs.length === report.problems.length);
      report.generation = opened.gen;
      report.jobs = opened.jobs;
      report.seq = opened.seq;
      return report;
    }
    report.problems.push(opened.message);
    if (!repair) return report;
    const fixed = await quarantine(paths, opened, now);
    if (!fixed) {
      report.repairs.push(`cannot repair ${opened.file} automatically: restore it from a backup`);
      report.ok = false;
      return report;
    }
    report.repairs.push(fixed);
  }
  return report;
}

async function quarantine(paths: HomePaths, error: CorruptionError, now: Date): Promise<string | null> {
  if (!/^wal-\d{8}\.jsonl$/.test(error.file) || error.line < 1) return null;
  const path = `${paths.home}/${error.file}`;
  const lock = await Deno.open(paths.lock, { read: true, write: true, create: true, mode: FILE_MODE });
  try {
    await lock.lock(true);
    const bytes = Deno.readFileSync(path);
    const { lines } = splitLines(bytes);
    const cut = error.line - 1 < lines.length ? lines[error.line - 1][0] : bytes.length;
    const side = `${path}.quarantined-${now.toISOString().replace(/[-:.]/g, "")}`;
    const moved = bytes.subarray(cut);
    const sideFile = Deno.openSync(side, { write: true, createNew: true, mode: FILE_MODE });
    try {
      let off = 0;
      while (off < moved.length) off += sideFile.writeSync(moved.subarray(off));
      sideFile.syncSync();
    } finally {
      sideFile.close();
    }
    syncDir(paths.home);
    const wal = Deno.openSync(path, { write: true });
    try {
      wal.truncateSync(cut);
      wal.syncSync();
    } finally {
      wal.close();
    }
    const count = splitLines(moved).lines.length + (moved.length && moved[moved.length - 1] !== 0x0a ? 1 : 0);
    return `moved ${count} line(s) (${moved.length} bytes) of ${error.file} from line ${error.line} on into ${
      side.slice(paths.home.length + 1)
    }`;
  } finally {
    lock.close();
  }
}

/**
 * Reads every archive segment whole; with `repair`, rebuilds a damaged index from its jobs file.
 * Returns how many problems remain.
 */
async function checkArchive(paths: HomePaths, repair: boolean, report: DoctorReport): Promise<number> {
  let unrepaired = 0;
  const log = new FileLog(paths);
  const reader = new ArchiveReader(paths);
  try {
    const damaged = await log.read((s) => s.archive.flatMap((seg) => checkSegment(reader, seg)));
    for (const { seg, problem, indexOnly } of damaged) {
      report.problems.push(problem);
      unrepaired++;
      if (!repair) continue;
      if (!indexOnly) {
        report.repairs.push(
          `cannot repair archive-${pad(seg.n)}.jobs automatically: restore it from a backup`,
        );
        continue;
      }
      await log.write(() => {
        // under the writers' lock: the same jobs, in the same order, give the same two files
        const jobs = [...reader.scan(seg)].map(({ job }) => lineOf(job));
        reader.close();
        const rebuilt = writeSegment(paths, seg.n, jobs);
        if (rebuilt.bytes !== seg.bytes || rebuilt.index_bytes !== seg.index_bytes) {
          throw new Error(`the rebuilt segment ${seg.n} differs in size from the snapshot's record`);
        }
        return { records: [], result: undefined };
      });
      report.repairs.push(`rebuilt archive-${pad(seg.n)}.index from archive-${pad(seg.n)}.jobs`);
      unrepaired--;
    }
    return unrepaired;
  } finally {
    reader.close();
    log.close();
  }
}

function pad(n: number): string {
  return String(n).padStart(8, "0");
}

function checkSegment(
  reader: ArchiveReader,
  seg: Segment,
): Array<{ seg: Segment; problem: string; indexOnly: boolean }> {
  const ids = new Map<number, string>();
  try {
    for (const { job, offset } of reader.scan(seg)) ids.set(offset, job.id);
    if (ids.size !== seg.jobs) {
      throw new CorruptionError(
        `archive-${pad(seg.n)}.jobs`,
        0,
        `it holds ${ids.size} jobs, not ${seg.jobs}`,
        "end",
      );
    }
  } catch (e) {
    if (!(e instanceof CorruptionError)) throw e;
    return [{ seg, problem: e.message, indexOnly: false }];
  }
  try {
    const entries = reader.indexEntries(seg);
    const wrong = entries.find((e) => ids.get(e.offset) !== e.id);
    if (entries.length !== seg.jobs || wrong) {
      throw new CorruptionError(
        `archive-${pad(seg.n)}.index`,
        0,
        wrong
          ? `it places job "${wrong.id}" where the jobs file has another`
          : `it has ${entries.length} entries`,
        "its entries",
      );
    }
  } catch (e) {
    if (!(e instanceof CorruptionError)) throw e;
    return [{ seg, problem: e.message, indexOnly: true }];
  }
  return [];
}
