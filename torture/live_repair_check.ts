/**
 * What one round of the live-repair step must keep (pure, so its test can feed it violations):
 *   - no run of a job starts while an earlier run of it still lives: each job's shell looks for
 *     its earlier runs as it starts and writes an `X` line when one is alive (see `liveJobCommand`),
 *     and ended runs may not overlap in the ledger;
 *   - nothing acknowledged is lost but what a repair named (or said it cannot tell);
 *   - every job left ends completed (every run of it succeeds): none dead, failed or stuck;
 *   - no worker calls the store corrupt but for the file the round damaged (a worker may meet the
 *     damage before the repair does; nothing after the repair may look damaged to it).
 */
import { type LedgerEvent, runsOf } from "./lib/ledger.ts";

/**
 * The shell command of a live-repair job: a ledger start line, then an `X <id> <pid> <other pid>`
 * line for every earlier run of the same job still alive (not a zombie) whose command line shows
 * it, then its pid noted for later runs, a sleep, and the end line.
 */
export function liveJobCommand(ledger: string, dir: string, id: string, sleep: number): string {
  if (!/^[A-Za-z0-9._-]+$/.test(id) || !/^[A-Za-z0-9._/-]+$/.test(ledger + dir)) {
    throw new Error(`Cannot build a live-repair command for "${id}": unsafe characters`);
  }
  const mark = `qlive-${id}-run`;
  return [
    `echo "S ${id} $$ $PPID $(date +%s%N)" >> ${ledger}`,
    `for p in $(cat ${dir}/${id}.pids 2>/dev/null); do ` +
    `st=$(sed 's/.*) //' /proc/$p/stat 2>/dev/null | cut -c1); ` +
    `if [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ] && tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -q ${mark}; ` +
    `then echo "X ${id} $$ $p" >> ${ledger}; fi; done`,
    `echo $$ >> ${dir}/${id}.pids`,
    `sleep ${sleep}`,
    `echo "E ${id} $$ $PPID $(date +%s%N) 0" >> ${ledger}`,
  ].join("; ");
}

export interface RoundFacts {
  /** every id acknowledged by its enqueue */
  acked: readonly string[];
  /** the final `list`: id, state and why its last attempt failed */
  jobs: ReadonlyArray<{ id: string; state: string; last_error?: string | null }>;
  /** the ledger's start and end lines */
  events: LedgerEvent[];
  /** its `X` lines: [job id, the run that found another, the one it found alive] */
  overlaps: Array<[string, number, number]>;
  /** ids the repairs named lost or set back */
  named: ReadonlySet<string>;
  /** a repair said that some lost jobs cannot be told */
  untellable: boolean;
  /** the file the round damaged */
  damaged: string;
  /** each worker's output */
  workerOutputs: readonly string[];
}

export interface RoundCheck {
  violations: string[];
  /** workers that met the damage before the repair and stopped (as they must) */
  stoppedByDamage: number;
  /** acknowledged jobs a repair named lost, or could not tell */
  lost: number;
}

const CORRUPT = /error: Store file (\S+) is corrupt at [^:]*: ([^;\n]*)/g;
/** what only a repair taken for damage would make a reader say */
const MISREAD = /shrank|removed or replaced/;

export function checkRound(f: RoundFacts): RoundCheck {
  const violations: string[] = [];
  for (const [id, run, other] of f.overlaps) {
    violations.push(`job ${id}: the run by pid ${run} started while its run by pid ${other} was still alive`);
  }
  const { runs } = runsOf(f.events);
  for (const [id, list] of runs) {
    for (const a of list) {
      if (a.end === null) continue;
      const b = list.find((x) => x !== a && x.start > a.start && x.start < a.end!);
      if (b) {
        violations.push(
          `job ${id}: run by pid ${b.token} started (ledger line ${b.start}) before the run by pid ${a.token} ended`,
        );
      }
    }
  }
  const listed = new Map(f.jobs.map((j) => [j.id, j.state]));
  const why = new Map(f.jobs.map((j) => [j.id, j.last_error ?? null]));
  let lost = 0;
  for (const id of f.acked) {
    if (listed.has(id)) continue;
    lost++;
    if (!f.named.has(id) && !f.untellable) {
      violations.push(`job ${id} was acknowledged, is gone, and no repair named it`);
    }
  }
  for (const [id, state] of listed) {
    if (state !== "completed") {
      violations.push(`job ${id} ends ${state} (${why.get(id)}), though every run of it succeeds`);
    }
    if (!runs.get(id)?.some((r) => r.end !== null)) {
      violations.push(`job ${id} is listed but never ran to its end`);
    }
  }
  let stoppedByDamage = 0;
  for (const out of f.workerOutputs) {
    const found = [...out.matchAll(CORRUPT)];
    if (found.length === 0) continue;
    const other = found.filter(([, file, why]) => file !== f.damaged || MISREAD.test(why)).map((
      [, file, why],
    ) => `${file} (${why})`);
    if (other.length > 0) {
      violations.push(
        `a worker called the store corrupt, naming ${other.join(", ")}, not the damaged ${f.damaged}`,
      );
    } else stoppedByDamage++;
  }
  return { violations, stoppedByDamage, lost };
}
