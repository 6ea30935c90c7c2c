/**
 * Job and worker ids. Generated ids are time-sortable (48-bit millisecond time then 40 random
 * bits, Crockford base32, lowercase). User ids are restricted to a safe alphabet so that an id
 * can name a file inside the home and never escape it.
 */
import { UsageError } from "./errors.ts";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}$/;

export function newId(nowMs: number, rand: () => number = Math.random): string {
  return idMaker(nowMs, rand)();
}

/** Makes ids for one instant: a batch of 100,000 pays for the time part once. */
export function idMaker(nowMs: number, rand: () => number = Math.random): () => string {
  let time = "";
  let t = Math.floor(nowMs);
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  // the time's characters as arguments of their own: a spread into fromCharCode costs more than the rest
  const [t0, t1, t2, t3, t4, t5, t6, t7, t8, t9] = [...time].map((c) => c.charCodeAt(0));
  const letters = [...ALPHABET].map((c) => c.charCodeAt(0));
  return () => {
    // 40 random bits from two draws of 20, written into one flat string (cheap to hash later)
    const a = Math.floor(rand() * 0x100000);
    const b = Math.floor(rand() * 0x100000);
    return String.fromCharCode(
      t0,
      t1,
      t2,
      t3,
      t4,
      t5,
      t6,
      t7,
      t8,
      t9,
      letters[a >>> 15],
      letters[(a >>> 10) & 31],
      letters[(a >>> 5) & 31],
      letters[a & 31],
      letters[b >>> 15],
      letters[(b >>> 10) & 31],
      letters[(b >>> 5) & 31],
      letters[b & 31],
    );
  };
}

/** Why `id` is not acceptable as a job id, or null when it is. */
export function idProblem(id: string): string | null {
  if (id.length === 0) return "it is empty";
  if (id.length > 128) {
    return `it is ${id.length} characters long (at most 128)`;
  }
  if (!ID_PATTERN.test(id) || id.includes("..")) {
    return "use letters, digits and . _ : @ + - (not first, and no '..')";
  }
  return null;
}

/** Refuses an id that cannot name a job (exit 2), naming the id and why. */
export function checkJobId(id: string): void {
  const problem = idProblem(id);
  if (problem) {
    throw new UsageError(`Invalid job id "${id.slice(0, 80)}": ${problem}`);
  }
}
