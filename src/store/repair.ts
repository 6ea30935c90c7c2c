/**
 * `queuectl doctor`: checks that a home's store opens, and with `repair` quarantines the damaged
 * part of a log segment: every line from the first bad one to the end moves, byte for byte, into
 * a side file `wal-G.jsonl.quarantined-<time>` (not a *.jsonl file, so never replayed), and the
 * segment is cut before it. Nothing is deleted; what the side file holds can be re-entered by hand.
 */
import { CorruptionError } from "../errors.ts";
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
    return await log.read((s) => ({ jobs: s.jobs.size, seq: s.seq, gen: log.generation }));
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
      report.ok = report.problems.length === 0 || report.repairs.length === report.problems.length;
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
