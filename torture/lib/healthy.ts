/**
 * Healthy runs: for the steps whose events (a wall-clock step, a stalled store lock) must not
 * make a live worker lose a job. Every job succeeds at its first run, so any second run, any
 * attempt recorded "worker lost" and any job not completed at its first attempt is a violation.
 * The job's shell looks in /proc for an earlier run of its job still alive as it starts
 * (`liveJobCommand`: an `X` line). The harness notes the ledger's length at each event, so the
 * runs that were going on across one are counted (a floor: the step must have had work in
 * flight when its events struck). Pure: the test feeds it violating histories.
 */
import { parseLedger, runsOf } from "./ledger.ts";

export { liveJobCommand as healthyJobCommand } from "../live_repair_check.ts";

/** A job as `list --json` shows it, reduced to what is judged here. */
export interface HealthyJob {
  id: string;
  state: string;
  attempts: number;
  last_error: string | null;
  runs?: Array<{ attempt: number; result?: string | null }>;
}

export interface HealthyVerdict {
  violations: string[];
  /** runs in the ledger */
  runs: number;
  /** runs that had started and not ended when an event struck (counted once per run) */
  spanning: number;
}

/**
 * Judges a run of healthy jobs: `ids` the jobs enqueued, `jobs` the final list, `ledger` the
 * ledger's text, `events` the number of ledger lines written when each event struck.
 */
export function judgeHealthy(
  ids: readonly string[],
  jobs: readonly HealthyJob[],
  ledger: string,
  events: readonly number[],
): HealthyVerdict {
  const violations: string[] = [];
  const text = ledger.split("\n").filter((l) => l !== "");
  for (const line of text) {
    const f = line.split(" ");
    if (f[0] === "X") {
      violations.push(`job ${f[1]}: its run by pid ${f[2]} started while its run by pid ${f[3]} lived`);
    }
  }
  const { events: parsed, bad } = parseLedger(text.filter((l) => !l.startsWith("X ")).join("\n") + "\n");
  if (bad.length > 0) violations.push(`ledger lines ${bad.slice(0, 5).join(", ")} do not parse`);
  // line numbers of the filtered text: events count lines of the whole ledger, X lines included
  const lineOf: number[] = [];
  text.forEach((l, i) => {
    if (!l.startsWith("X ")) lineOf.push(i + 1);
  });
  const { runs } = runsOf(parsed);
  const byId = new Map(jobs.map((j) => [j.id, j]));
  let count = 0;
  let spanning = 0;
  for (const id of ids) {
    const list = runs.get(id) ?? [];
    count += list.length;
    const job = byId.get(id);
    if (!job) {
      violations.push(`job ${id} was enqueued but is not listed`);
      continue;
    }
    if (list.length !== 1) {
      violations.push(`job ${id} ran ${list.length} times (it succeeds at its first run)`);
    }
    if (list.some((r) => r.end === null)) {
      violations.push(`job ${id} has a run that never wrote its end (killed)`);
    }
    if (job.state !== "completed" || job.attempts !== 1) {
      violations.push(`job ${id} is ${job.state} after ${job.attempts} attempt(s) (${job.last_error})`);
    }
    const lost = (job.runs ?? []).filter((r) => /lost|taken back/.test(r.result ?? ""));
    if (lost.length > 0) {
      violations.push(`job ${id}: attempt ${lost[0].attempt} was recorded "${lost[0].result}"`);
    }
    for (const r of list) {
      const start = lineOf[r.start - 1];
      const end = r.end === null ? Infinity : lineOf[r.end - 1];
      if (events.some((e) => start <= e && e < end)) spanning++;
    }
  }
  for (const id of runs.keys()) if (!ids.includes(id)) violations.push(`${id} ran but was never enqueued`);
  return { violations, runs: count, spanning };
}
