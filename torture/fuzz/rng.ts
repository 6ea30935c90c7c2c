/**
 * The fuzzer's view of the torture PRNG (`lib/prng.ts`, mulberry32): the same seed gives the same
 * cases on every machine. `int(n)` counts from 0, as array indexes do.
 */
import { rng as prng } from "../lib/prng.ts";

export interface Rng {
  /** a float in [0, 1) */
  next(): number;
  /** an integer in [0, n) */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export function rng(seed: number): Rng {
  const r = prng(seed);
  return { next: r.next, int: (n) => r.int(0, n - 1), pick: r.pick, chance: r.chance };
}
