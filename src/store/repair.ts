/**
 * `queuectl doctor`: checks everything a store is made of, more than any command reads: the
 * snapshot whole (every job line, the header's checksum of them all), then the log replayed on
 * it, then every archive segment whole. The first damage found is a problem; with `repair`, the
 * file it is in is repaired by its kind, and the check starts again, until the store is clean:
 *
 *   wal-G.jsonl      repair_wal.ts       cut before the bad line; intact records after it written back
 *   snapshot-G.snap  repair_snapshot.ts  rebuilt from its intact job lines (and header, if intact)
 *   archive-N.index  repair_archive.ts   rebuilt from its jobs file
 *   archive-N.jobs   repair_archive.ts   rewritten from its intact lines; the snapshot records it
 *
 * Damaged bytes always move into a side file `<file>.quarantined-<time>` first (quarantine.ts);
 * nothing is deleted. The report says what moved where and which jobs were lost or set back.
 */
import { CorruptionError } from "../errors.ts";
import type { Segment } from "./archive.ts";
import { FileLog } from "./log.ts";
import { type HomePaths, scanGenerations } from "./paths.ts";
import { checkSegments, repairArchive } from "./repair_archive.ts";
import { repairSnapshot } from "./repair_snapshot.ts";
import { type RepairOutcome, repairWal } from "./repair_wal.ts";
import { readSnapshot } from "./snapshot.ts";

export interface DoctorReport {
  ok: boolean;
  generation: number;
  jobs: number;
  seq: number;
  problems: string[];
  repairs: string[];
  /** ids of jobs a repair could not keep as they were: gone, or set back to an earlier state */
  lost: string[];
}

interface Opened {
  jobs: number;
  seq: number;
  gen: number;
  archive: Segment[];
}

/** The snapshot read whole, as a writer reads it (a reader reads only the lines it uses). */
function checkSnapshot(paths: HomePaths): CorruptionError | null {
  const found = scanGenerations(paths.home);
  const gen = Math.max(0, ...found.snapshots, ...found.wals);
  if (!found.snapshots.includes(gen)) return null;
  try {
    const state = readSnapshot(paths.snapshot(gen), true);
    state.jobs.parseAll();
    state.jobs.release();
    return null;
  } catch (e) {
    if (e instanceof CorruptionError) return e;
    throw e;
  }
}

async function open(paths: HomePaths): Promise<Opened | CorruptionError> {
  const log = new FileLog(paths);
  try {
    return await log.read((s) => {
      s.jobs.parseAll(); // a command parses a snapshot's jobs only as it uses them; doctor checks all
      return { jobs: s.jobs.size + s.archived, seq: s.seq, gen: log.generation, archive: [...s.archive] };
    });
  } catch (e) {
    if (e instanceof CorruptionError) return e;
    throw e;
  } finally {
    log.close();
  }
}

/** The first damage, or what the store holds when there is none. */
async function check(paths: HomePaths): Promise<Opened | CorruptionError> {
  let exists = true;
  try {
    Deno.statSync(paths.home);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    exists = false;
  }
  const snapshot = exists ? checkSnapshot(paths) : null;
  if (snapshot) return snapshot;
  const opened = await open(paths);
  if (opened instanceof CorruptionError) return opened;
  return checkSegments(paths, opened.archive) ?? opened;
}

async function repairFile(
  paths: HomePaths,
  error: CorruptionError,
  now: Date,
): Promise<RepairOutcome | null> {
  return await repairWal(paths, error, now) ?? await repairSnapshot(paths, error.file, now) ??
    await repairArchive(paths, error.file, now);
}

export async function doctor(paths: HomePaths, repair: boolean, now: Date): Promise<DoctorReport> {
  const report: DoctorReport = {
    ok: false,
    generation: 0,
    jobs: 0,
    seq: 0,
    problems: [],
    repairs: [],
    lost: [],
  };
  const lost = new Set<string>();
  for (let round = 0; round < 100; round++) {
    const found = await check(paths);
    if (!(found instanceof CorruptionError)) {
      report.ok = report.problems.length === 0 || repair;
      report.generation = found.gen;
      report.jobs = found.jobs;
      report.seq = found.seq;
      break;
    }
    // the same damage found again means the repair did not take: stop rather than loop
    if (report.problems.at(-1) === found.message || !repair) {
      if (report.problems.at(-1) !== found.message) report.problems.push(found.message);
      if (repair) report.repairs.push(`could not repair ${found.file}: restore it from a backup`);
      break;
    }
    report.problems.push(found.message);
    const fixed = await repairFile(paths, found, now);
    if (!fixed) {
      report.repairs.push(`cannot repair ${found.file} automatically: restore it from a backup`);
      break;
    }
    report.repairs.push(...fixed.done);
    fixed.lost.forEach((id) => lost.add(id));
  }
  report.lost = [...lost].sort();
  return report;
}
