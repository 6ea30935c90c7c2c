/**
 * Paired measurement: a figure and its baselines run alternately in the same run (A B B A …,
 * or A B C C B A … with several baselines), so that whatever else the shared machine is doing
 * weighs on all of them alike.
 */
import { summarize, type Summary } from "./stats.ts";

/** One measurement: the figure's value (ms, jobs/s …) and the CPU time it took, when known. */
export interface Sample {
  value: number;
  /** CPU ms of the measured processes (rusage.ts), null when unknown */
  cpu: number | null;
}

/** The summaries of repeated samples; `cpu` only when every sample knew its CPU time. */
export interface Measured {
  value: Summary;
  cpu: Summary | null;
}

export interface PairOptions {
  /** one untimed run of each first (caches, page cache); default true */
  warmup?: boolean;
  onRound?: (round: number) => void;
}

/**
 * Runs `runs` rounds; each runs the subject and every baseline, in alternating order (the
 * subject first in odd rounds, last in even ones). Each function returns its own sample.
 */
export async function pairedMany(
  runs: number,
  subject: () => Promise<Sample>,
  baselines: Array<() => Promise<Sample>>,
  options: PairOptions = {},
): Promise<{ subject: Measured; baselines: Measured[] }> {
  const all = [subject, ...baselines];
  if (options.warmup ?? true) { for (const fn of [...all].reverse()) await fn(); }
  const samples: Sample[][] = all.map(() => []);
  for (let i = 0; i < runs; i++) {
    options.onRound?.(i + 1);
    const order = all.map((_, k) => k);
    if (i % 2 === 1) order.reverse();
    for (const k of order) samples[k].push(await all[k]());
  }
  const [s, ...b] = samples.map(measured);
  return { subject: s, baselines: b };
}

/** A subject and one baseline, alternating (A B B A …). */
export async function paired(
  runs: number,
  subject: () => Promise<Sample>,
  baseline: () => Promise<Sample>,
  options: PairOptions = {},
): Promise<{ subject: Measured; baseline: Measured }> {
  const r = await pairedMany(runs, subject, [baseline], options);
  return { subject: r.subject, baseline: r.baselines[0] };
}

export function measured(samples: Sample[]): Measured {
  const cpus = samples.map((s) => s.cpu);
  return {
    value: summarize(samples.map((s) => s.value)),
    cpu: cpus.every((c) => c !== null) ? summarize(cpus as number[]) : null,
  };
}
