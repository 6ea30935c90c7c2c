/**
 * Paired measurement: a figure and its baseline run alternately in the same run (A B B A …),
 * so that whatever else the shared machine is doing weighs on both alike.
 */
import { summarize, type Summary } from "./stats.ts";

export interface Pair {
  subject: Summary;
  baseline: Summary;
}

/**
 * Runs one untimed warm-up of each (caches, page cache), then `runs` timed rounds; each round
 * runs both, in alternating order. Each function returns its own measurement.
 */
export async function paired(
  runs: number,
  subject: () => Promise<number>,
  baseline: () => Promise<number>,
  options: { warmup?: boolean; onRound?: (round: number) => void } = {},
): Promise<Pair> {
  if (options.warmup ?? true) {
    await baseline();
    await subject();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    options.onRound?.(i + 1);
    if (i % 2 === 0) {
      a.push(await subject());
      b.push(await baseline());
    } else {
      b.push(await baseline());
      a.push(await subject());
    }
  }
  return { subject: summarize(a), baseline: summarize(b) };
}
