/**
 * What one torture step reports. `deno task torture` runs the steps in order and prints one table
 * of their figures; any violation fails the run (exit 1). Steps own their temp homes and clean up.
 */
export interface TortureOptions {
  /** Seed of every random choice, so a run can be repeated exactly. */
  seed: number;
  /** Kill -9 trials (the kill step); other steps scale their own work from `quick`. */
  trials: number;
  /** The short variant run by CI (≈ 2 minutes in all). */
  quick: boolean;
  /** Progress lines go here (stderr), one per step phase, never the table. */
  progress: (line: string) => void;
}

export interface Figure {
  label: string;
  value: string | number;
}

export interface StepResult {
  name: string;
  figures: Figure[];
  /** One sentence per broken guarantee, naming the job / file / seed needed to reproduce it. */
  violations: string[];
  seconds: number;
}

export type Step = (options: TortureOptions) => Promise<StepResult>;
