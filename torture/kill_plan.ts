/**
 * What one kill -9 trial does, drawn from its seed: pure, so a trial's plan can be printed and
 * replayed. The instants of the kills depend on the machine; the choices do not.
 */
import type { Expectation } from "./lib/invariants.ts";
import type { JobBehaviour } from "./lib/ledger.ts";
import type { Rng } from "./lib/prng.ts";

export interface TrialPlan {
  /** slots of each `worker start` process alive at a time (a killed one is replaced) */
  workers: number[];
  /** concurrent loops of `enqueue` processes */
  enqueuers: number;
  /** QUEUECTL_COMPACT_AFTER_BYTES, or null for the default: 1 compacts after every write */
  compactAfter: number | null;
  /** how long enqueuers and the killer run before the drain */
  chaosMs: number;
  /** pause between two kills, drawn in [min, max] */
  killGapMs: [number, number];
}

export function planTrial(r: Rng, quick: boolean): TrialPlan {
  return {
    workers: Array.from({ length: r.int(1, 3) }, () => r.int(2, 4)),
    enqueuers: r.int(2, 4),
    compactAfter: r.pick([null, null, 1, 1, 2048, 16384]),
    chaosMs: quick ? r.int(400, 700) : r.int(700, 1300),
    killGapMs: r.pick([[20, 100], [50, 200], [100, 350]] as Array<[number, number]>),
  };
}

export interface PlannedJob {
  expect: Expectation;
  behaviour: JobBehaviour;
}

/** One job: most succeed at once, some sleep (so kills land mid-job), some fail every run. */
export function planJob(r: Rng): PlannedJob {
  if (r.chance(0.15)) {
    return { expect: { kind: "fail", maxRetries: r.int(0, 2) }, behaviour: { sleep: 0, exit: 1 } };
  }
  const sleep = r.chance(0.5) ? r.pick([0.05, 0.1, 0.2]) : 0;
  return { expect: { kind: "ok", maxRetries: 5 }, behaviour: { sleep, exit: 0 } };
}

export type KillKind = "worker" | "enqueue" | "job";

/** The kind of process to kill next, among the kinds that have a live target. */
export function pickKill(r: Rng, available: readonly KillKind[]): KillKind | null {
  const weights: Record<KillKind, number> = { worker: 4, enqueue: 2, job: 4 };
  const total = available.reduce((sum, k) => sum + weights[k], 0);
  if (total === 0) return null;
  let x = r.next() * total;
  for (const k of available) {
    x -= weights[k];
    if (x < 0) return k;
  }
  return available[available.length - 1];
}
