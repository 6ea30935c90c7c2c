/**
 * A seeded pseudo-random generator (mulberry32): a torture run is repeated exactly by giving
 * `--seed` again. Each trial derives its own seed, so one trial can be replayed alone.
 */
export interface Rng {
  /** a float in [0, 1) */
  next(): number;
  /** an integer in [lo, hi], both included */
  int(lo: number, hi: number): number;
  /** true with probability p */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error("Cannot pick from an empty list");
      return items[Math.floor(next() * items.length)];
    },
  };
}

/** A seed for part `index` of a run seeded `seed` (FNV-1a over both), stable across runs. */
export function deriveSeed(seed: number, index: number, salt = 0): number {
  let h = 0x811c9dc5;
  for (const v of [seed >>> 0, index >>> 0, salt >>> 0]) {
    for (let shift = 0; shift < 32; shift += 8) {
      h ^= (v >>> shift) & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h;
}

/** A fresh seed for a run given none (printed, so that it can be given next time). */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}
