/**
 * The guarantees of the rules that shape the work, checked from the job ledger (ledger.ts, jobs
 * built with `attemptToken`) against the store's final state: a queue's concurrency limit never
 * exceeded, no job run before its dependencies completed (and none at all when one ended dead),
 * a unique key held by one live job at a time. Pure: the tests feed it violating histories to
 * prove each check can fail.
 */
import type { LedgerEvent } from "./ledger.ts";
import { runsOf } from "./ledger.ts";

/** A job as `list --json` shows it at the end, reduced to what these checks read. */
export interface ShapedJob {
  id: string;
  state: string;
  queue: string;
  after?: string[];
  unique?: string;
  created_at: string;
  finished_at: string | null;
  last_error: string | null;
  runs?: Array<{ attempt: number; finished_at: string | null }>;
}

/** One run of a job: when it started and ended (ns; the end of a run cut short is its recorded finish). */
export interface TimedRun {
  id: string;
  attempt: number;
  start: number;
  end: number;
  /** the run wrote no end line: it was killed (its end is when its attempt's end was recorded) */
  cut: boolean;
}

/**
 * The runs of the ledger with their times. A run without an end line was killed with its worker
 * (a rescuer killed what was left of it before recording the attempt's end): it ended at the
 * latest when its attempt's end was recorded, and no run that claim order put after it starts
 * before that. A run whose end is known from neither is reported in `unknown`.
 */
export function timedRuns(events: LedgerEvent[], jobs: ReadonlyMap<string, ShapedJob>): {
  runs: TimedRun[];
  unknown: string[];
} {
  const runs: TimedRun[] = [];
  const unknown: string[] = [];
  const ns = new Map(events.map((e) => [e.line, e.ns]));
  for (const list of runsOf(events).runs.values()) {
    for (const run of list) {
      const start = ns.get(run.start)!;
      if (run.end !== null) {
        runs.push({ id: run.id, attempt: run.token, start, end: ns.get(run.end)!, cut: false });
        continue;
      }
      const finished = jobs.get(run.id)?.runs?.find((r) => r.attempt === run.token)?.finished_at;
      if (!finished) {
        unknown.push(`${run.id} attempt ${run.token}`);
        continue;
      }
      runs.push({ id: run.id, attempt: run.token, start, end: Date.parse(finished) * 1e6, cut: true });
    }
  }
  return { runs, unknown };
}

/** The most intervals open at once; an interval ending when another starts does not overlap it. */
export function peakOverlap(intervals: ReadonlyArray<{ start: number; end: number }>): number {
  const points = intervals.flatMap((i) => [[i.start, 1], [i.end, -1]] as const);
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, step] of points) {
    open += step;
    peak = Math.max(peak, open);
  }
  return peak;
}

/** Each limited queue's peak of runs at once, and a violation for each queue whose peak passed its limit. */
export function checkQueueLimits(
  runs: readonly TimedRun[],
  queueOf: (id: string) => string | undefined,
  limits: ReadonlyMap<string, number>,
): { peaks: Map<string, number>; violations: string[] } {
  const peaks = new Map<string, number>();
  const violations: string[] = [];
  for (const [queue, limit] of limits) {
    const mine = runs.filter((r) => queueOf(r.id) === queue);
    const peak = peakOverlap(mine);
    peaks.set(queue, peak);
    if (peak > limit) {
      violations.push(
        `queue ${queue} (concurrency ${limit}) ran ${peak} jobs at once: ${overlapAt(mine, limit)}`,
      );
    }
  }
  return { peaks, violations };
}

/** The runs open at the first instant more than `limit` are, for the violation's sentence. */
function overlapAt(runs: readonly TimedRun[], limit: number): string {
  for (const r of [...runs].sort((a, b) => a.start - b.start)) {
    const open = runs.filter((o) => o.start <= r.start && o.end > r.start);
    if (open.length > limit) {
      return open.map((o) => `${o.id}#${o.attempt}${o.cut ? " (cut)" : ""}`).join(", ");
    }
  }
  return "?";
}

const DEPENDENCY_ERROR = /^dependency "([^"]+)" (is dead|was cancelled|was deleted)$/;

/**
 * No run of a job starts before every dependency's last run ended (ledger order: lines are
 * appended in the order they happen), a dependency is completed whenever a dependent ran, and a
 * job with a dependency that did not complete never ran and is dead naming one of its
 * dependencies. `edges` counts the dependency edges of jobs that ran (what was checked).
 */
export function checkDependencies(events: readonly LedgerEvent[], jobs: readonly ShapedJob[]): {
  edges: number;
  cascaded: number;
  violations: string[];
} {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const lastEnd = new Map<string, number>();
  const starts = new Map<string, number[]>();
  for (const e of events) {
    if (e.kind === "end") lastEnd.set(e.id, Math.max(lastEnd.get(e.id) ?? 0, e.line));
    else starts.set(e.id, [...(starts.get(e.id) ?? []), e.line]);
  }
  const violations: string[] = [];
  let edges = 0;
  let cascaded = 0;
  for (const job of jobs) {
    if (!job.after || job.after.length === 0) continue;
    const ran = starts.get(job.id) ?? [];
    const unmet = job.after.filter((d) => byId.get(d)?.state !== "completed");
    if (unmet.length > 0) {
      if (ran.length > 0) {
        violations.push(
          `${job.id} ran (ledger line ${ran[0]}) though its dependency ${unmet[0]} is ${
            byId.get(unmet[0])?.state ?? "missing"
          }`,
        );
      }
      const named = DEPENDENCY_ERROR.exec(job.last_error ?? "")?.[1];
      if (job.state !== "dead" || named === undefined || !job.after.includes(named)) {
        violations.push(
          `${job.id} is ${job.state} (${job.last_error}) though its dependency ${unmet[0]} did not complete`,
        );
      } else cascaded++;
      continue;
    }
    if (ran.length > 0) edges += job.after.length;
    for (const line of ran) {
      for (const dep of job.after) {
        const end = lastEnd.get(dep);
        if (end === undefined || end > line) {
          violations.push(
            `${job.id} started (ledger line ${line}) before its dependency ${dep} ended (${
              end === undefined ? "it never ran" : `line ${end}`
            })`,
          );
        }
      }
    }
  }
  return { edges, cascaded, violations };
}

/** One `enqueue --unique KEY` as the harness saw it: the id it printed, and whether it was absorbed. */
export interface UniqueEnqueue {
  key: string;
  id: string;
  absorbed: boolean;
}

/**
 * One live job per unique key at any time: the jobs holding a key, in the order they were
 * created, each ended before the next was created; their runs never overlap (ledger order); every
 * enqueue that was not absorbed made exactly one job, and an absorbed one printed a job holding
 * its key.
 */
export function checkUniqueKeys(
  events: readonly LedgerEvent[],
  jobs: readonly ShapedJob[],
  enqueues: readonly UniqueEnqueue[],
): { keys: number; retaken: number; violations: string[] } {
  const violations: string[] = [];
  const byKey = new Map<string, ShapedJob[]>();
  for (const job of jobs) {
    if (job.unique === undefined) continue;
    byKey.set(job.unique, [...(byKey.get(job.unique) ?? []), job]);
  }
  let retaken = 0;
  for (const [key, holders] of byKey) {
    holders.sort((a, b) => a.created_at.localeCompare(b.created_at));
    if (holders.length > 1) retaken++;
    for (let i = 1; i < holders.length; i++) {
      const [a, b] = [holders[i - 1], holders[i]];
      if (a.finished_at === null || a.finished_at > b.created_at) {
        violations.push(
          `key ${key} was held by ${a.id} (${a.created_at} to ${
            a.finished_at ?? "now"
          }) and ${b.id} (created ${b.created_at}) at once`,
        );
      }
    }
  }
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const made = new Map<string, number>();
  for (const e of enqueues) {
    const job = byId.get(e.id);
    if (!job || job.unique !== e.key) {
      violations.push(
        `an enqueue of key ${e.key} printed ${e.id}, which ${job ? `holds ${job.unique}` : "is no job"}`,
      );
    }
    if (!e.absorbed) made.set(e.key, (made.get(e.key) ?? 0) + 1);
  }
  for (const [key, holders] of byKey) {
    if ((made.get(key) ?? 0) !== holders.length) {
      violations.push(
        `key ${key}: ${made.get(key) ?? 0} enqueue(s) made a job, but ${holders.length} job(s) hold it`,
      );
    }
  }
  const keyOf = (id: string) => byId.get(id)?.unique;
  const open = new Map<string, string>();
  for (const e of events) {
    const key = keyOf(e.id);
    if (key === undefined) continue;
    if (e.kind === "start") {
      const other = open.get(key);
      if (other !== undefined) {
        violations.push(`key ${key}: ${e.id} started (line ${e.line}) while ${other} ran`);
      }
      open.set(key, e.id);
    } else if (open.get(key) === e.id) open.delete(key);
  }
  return { keys: byKey.size, retaken, violations };
}
