/** Summaries of repeated measurements: the median, with min and max to show the spread. */

export interface Summary {
  runs: number;
  median: number;
  min: number;
  max: number;
}

export function summarize(samples: number[]): Summary {
  if (samples.length === 0) throw new Error("Cannot summarize: no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { runs: sorted.length, median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** The same summary for a rate derived from each sample (`count / seconds`): min and max swap. */
export function rates(count: number, secondsSamples: number[]): Summary {
  return summarize(secondsSamples.map((s) => count / s));
}
