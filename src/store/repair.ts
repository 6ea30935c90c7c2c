/**
 * `queuectl doctor`: checks everything a store is made of, more than any command reads: the
 * snapshot whole (every job line, the header's checksum of them all), then the log replayed on
 * it, then every archive segment and every pending segment whole. The first damage found is a
 * problem.
 *
 * With `repair`, everything happens under the store's exclusive lock, held from the first look to
 * the last: no process reads or writes the store while it is being repaired, so none sees half of
 * it. The state of the current generation is rebuilt in memory, each file by its kind:
 *
 *   snapshot-G.snap  repair_snapshot.ts  from its intact job lines (and header, if intact)
 *   wal-G.jsonl      repair_wal.ts       replayed up to its bad line; its intact records after it too
 *   archive-N.index  repair_archive.ts   rebuilt from its jobs file, in place
 *   archive-N.jobs   repair_archive.ts   rewritten from its intact lines, in place
 *   pending-N.*      repair_pending.ts   the waiting jobs of its intact .jobs lines, as a new segment
 *
 * then the attempts running beside it are fenced (repair_fence.ts: nothing runs that the repaired
 * state does not record as running), and the state is written as a new generation
 * (repair_generation.ts), which running processes reopen from as they do after a compaction. The
 * check runs again, until the store is clean. `repair` refuses while workers run, unless `force`.
 *
 * Damaged bytes always go into a side file `<file>.quarantined-<time>` first (quarantine.ts);
 * nothing is deleted. The report says what moved where and which jobs were lost or set back.
 */
import { CorruptionError, NoStoreError, OperationError } from "../errors.ts";
import type { Segment } from "./archive.ts";
import { FileLog, storeWritten } from "./log.ts";
import type { PendingSegment } from "./pending.ts";
import { type HomePaths, scanGenerations } from "./paths.ts";
import { underLock } from "./quarantine.ts";
import { checkSegments, repairArchiveSegments } from "./repair_archive.ts";
import { AttemptLog, fence, type FenceDeps } from "./repair_fence.ts";
import { nextGeneration, writeGeneration } from "./repair_generation.ts";
import { checkPending, repairPendingSegments } from "./repair_pending.ts";
import { salvageSnapshot } from "./repair_snapshot.ts";
import { type RepairOutcome, replayForRepair } from "./repair_wal.ts";
import { readSnapshot } from "./snapshot.ts";
import { QueueState } from "./state.ts";

export interface DoctorReport {
  ok: boolean;
  /** "damaged" (found, not repaired), "repaired" (found, and the repair left it clean), or "ok" */
  state: "ok" | "damaged" | "repaired";
  /** the generation, job count and last record's seq of a clean store; null while it is damaged */
  generation: number | null;
  jobs: number | null;
  /**
   * the seq of the last record: after a repair that skipped unreadable bytes it jumps past every
   * seq they may have held (see rebuild), so it can exceed the records there are
   */
  seq: number | null;
  problems: string[];
  repairs: string[];
  /** ids of jobs a repair could not keep as they were: gone, or set back to an earlier state */
  lost: string[];
}

export interface DoctorOptions {
  /** repair what is damaged (else only look) */
  repair: boolean;
  /** repair even while workers run */
  force?: boolean;
  now: Date;
}

/** What a repair needs of the processes around it (the CLI wires them to src/worker). */
export interface RepairDeps extends FenceDeps {
  /** the workers alive now (their lock is held) */
  liveWorkers: () => Array<{ id: string; pid: number }>;
}

interface Opened {
  jobs: number;
  seq: number;
  gen: number;
  archive: Segment[];
  pending: PendingSegment[];
}

/** The snapshot read whole (the store's readers and writers read only the lines they use). */
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

async function open(paths: HomePaths, lockHeld: boolean): Promise<Opened | CorruptionError> {
  const log = new FileLog(paths, { lockHeld });
  try {
    return await log.read((s) => {
      s.jobs.parseAll(); // a command parses a snapshot's jobs only as it uses them; doctor checks all
      return {
        jobs: s.jobs.size + s.archived + s.pending.waiting,
        seq: s.seq,
        gen: log.generation,
        archive: [...s.archive],
        pending: [...s.pending.segments],
      };
    });
  } catch (e) {
    if (e instanceof CorruptionError) return e;
    throw e;
  } finally {
    log.close();
  }
}

/** The first damage, or what the store holds when there is none. `lockHeld`: under a repair. */
async function check(paths: HomePaths, lockHeld: boolean): Promise<Opened | CorruptionError> {
  let exists = true;
  try {
    Deno.statSync(paths.home);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    exists = false;
  }
  const snapshot = exists ? checkSnapshot(paths) : null;
  if (snapshot) return snapshot;
  const opened = await open(paths, lockHeld);
  if (opened instanceof CorruptionError) return opened;
  return checkSegments(paths, opened.archive) ?? checkPending(paths, opened.pending) ?? opened;
}

export async function doctor(
  paths: HomePaths,
  options: DoctorOptions,
  deps: RepairDeps,
): Promise<DoctorReport> {
  // a typo in --home must not read as a clean empty store, nor a repair create one
  if (!storeWritten(paths)) {
    throw new NoStoreError(options.repair ? "repair the store" : "check the store", paths.home);
  }
  const report: DoctorReport = {
    ok: false,
    state: "damaged",
    generation: null,
    jobs: null,
    seq: null,
    problems: [],
    repairs: [],
    lost: [],
  };
  const found = await check(paths, false);
  if (!(found instanceof CorruptionError)) return clean(report, found);
  report.problems.push(found.message);
  if (!options.repair) return report;
  const live = deps.liveWorkers();
  if (live.length > 0 && !options.force) {
    const names = live.map((w) => `${w.id} (pid ${w.pid})`).join(", ");
    const one = live.length === 1;
    throw new OperationError(
      `Cannot repair the store while ${
        one ? "a worker runs" : `${live.length} workers run`
      }: ${names}; stop ${
        one ? "it" : "them"
      } first (\`queuectl worker stop --wait\`), or give --force to repair beside ${one ? "it" : "them"}`,
    );
  }
  return await underLock(paths, () => repairLocked(paths, report, options.now, deps));
}

function clean(report: DoctorReport, opened: Opened): DoctorReport {
  report.ok = true;
  report.state = report.problems.length > 0 ? "repaired" : "ok";
  report.generation = opened.gen;
  report.jobs = opened.jobs;
  report.seq = opened.seq;
  return report;
}

async function repairLocked(
  paths: HomePaths,
  report: DoctorReport,
  now: Date,
  deps: RepairDeps,
): Promise<DoctorReport> {
  const lost = new Set<string>();
  let tried: string | null = null;
  for (let round = 0; round < 10; round++) {
    const found = await check(paths, true);
    if (!(found instanceof CorruptionError)) {
      clean(report, found);
      break;
    }
    // the same damage found again means the repair did not take: stop rather than loop
    if (found.message === tried) {
      report.repairs.push(`could not repair ${found.file}: restore it from a backup`);
      break;
    }
    if (!report.problems.includes(found.message)) report.problems.push(found.message);
    tried = found.message;
    const fixed = await rebuild(paths, now, deps);
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

/**
 * Rebuilds the current generation's state in memory from every intact part, fences what runs
 * beside it, and writes it as a new generation. Null when there is nothing to rebuild from (a
 * generation whose snapshot is gone).
 */
async function rebuild(paths: HomePaths, now: Date, deps: RepairDeps): Promise<RepairOutcome | null> {
  const found = scanGenerations(paths.home);
  const gen = Math.max(1, ...found.wals, ...found.snapshots);
  const done: string[] = [];
  const lost = new Set<string>();
  const take = (o: RepairOutcome) => {
    done.push(...o.done);
    o.lost.forEach((id) => lost.add(id));
  };
  let state: QueueState;
  let salvaged = false;
  if (found.snapshots.includes(gen)) {
    try {
      state = readSnapshot(paths.snapshot(gen), true);
      state.jobs.parseAll();
    } catch (e) {
      if (!(e instanceof CorruptionError)) throw e;
      const s = salvageSnapshot(paths, gen, now);
      take(s);
      state = s.state;
      salvaged = true;
    }
  } else if (gen > 1) return null;
  else state = new QueueState();
  const attempts = new AttemptLog();
  attempts.fromState(state);
  const wal = replayForRepair(paths, state, gen, now, attempts);
  take(wal);
  take(repairArchiveSegments(paths, state, now));
  take(repairPendingSegments(paths, state, now));
  const fenced = await fence({
    state,
    attempts,
    lostUpTo: wal.lostUpTo,
    unknownAttempts: salvaged || wal.lostUpTo > -Infinity,
    now,
  }, deps);
  done.push(...fenced.done);
  fenced.setBack.forEach((id) => lost.add(id));
  // seqs the unreadable bytes held may be claim tokens a running worker still holds: never reuse one
  if (wal.unreadableBytes > 0) {
    const [from, bytes] = [state.seq + 1, wal.unreadableBytes];
    state.seq += bytes;
    const next = state.seq + 1;
    done.push(
      `numbered the next record ${next}, not ${from}: the ${bytes} unreadable byte(s) may have held ` +
        `records up to seq ${state.seq}, and a seq is never used twice (a claim's seq is its token)`,
    );
  }
  done.push(writeGeneration(paths, state, nextGeneration(paths, gen, wal.sealedNext)));
  return { done, lost: [...lost] };
}
