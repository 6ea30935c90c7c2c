/**
 * Floors: the least work a torture step (or one kill trial) must have done for its "0 violations"
 * to mean anything. A figure below its floor is a violation, so a step that ran idle (workers that
 * never started, a killer that found nothing to kill, trials that crashed nothing) cannot pass.
 * Pure: the steps pass their figures in; tested alone.
 */
import type { Figure } from "../step.ts";

/** The least value of each figure, by label (figures not named here have no floor). */
export type Floors = Readonly<Record<string, number>>;

/** One sentence per figure of `floors` that is missing, not a number, or below its floor. */
export function belowFloors(figures: readonly Figure[], floors: Floors): string[] {
  const out: string[] = [];
  for (const [label, min] of Object.entries(floors)) {
    const figure = figures.find((f) => f.label === label);
    if (!figure) out.push(`the figure "${label}" is missing (its floor is ${min})`);
    else if (typeof figure.value !== "number" || !Number.isFinite(figure.value)) {
      out.push(
        `the figure "${label}" is ${JSON.stringify(figure.value)}, not a number (its floor is ${min})`,
      );
    } else if (figure.value < min) {
      out.push(
        `"${label}" is ${figure.value}, below its floor of ${min}: the step did too little to prove anything`,
      );
    }
  }
  return out;
}

/** `floors` scaled by `factor` (a run with more trials than the quick one), each rounded down. */
export function scaled(floors: Floors, factor: number): Floors {
  return Object.fromEntries(Object.entries(floors).map(([k, v]) => [k, Math.floor(v * factor)]));
}
