/**
 * Lazy merges of streams that are each in seq order: the segments of the archive and of the
 * pending set, an archive merge's inputs, and the sources of a listing. One home for the merge
 * they all do.
 */

/** An item with the seq that orders it. */
export interface Seqd {
  seq: number;
}

/** `before(a, b)`: seq a comes first. */
export type Before = (a: number, b: number) => boolean;
export const ascending: Before = (a, b) => a < b;
export const descending: Before = (a, b) => a > b;

/**
 * The items of `waiting`'s streams merged in one seq direction. `waiting` is in the order the
 * merge reaches the sources, `reach(source)` the seq at which it does; a source is opened only
 * then, so reading the first few items touches few sources. `waiting` is consumed.
 */
export function* mergeBySeq<S, T extends Seqd>(
  waiting: S[],
  reach: (source: S) => number,
  open: (source: S) => Iterator<T>,
  before: Before,
): Generator<T> {
  const heads: Array<{ it: Iterator<T>; next: IteratorResult<T> }> = [];
  for (;;) {
    let best: { it: Iterator<T>; next: IteratorResult<T> } | null = null;
    for (const h of heads) {
      if (!h.next.done && (best === null || before(h.next.value.seq, (best.next.value as T).seq))) best = h;
    }
    if (waiting.length > 0 && (best === null || !before((best.next.value as T).seq, reach(waiting[0])))) {
      const it = open(waiting.shift()!);
      heads.push({ it, next: it.next() });
      continue;
    }
    if (best === null) return;
    yield best.next.value as T;
    best.next = best.it.next();
  }
}

/** Streams already open, merged in enqueue order (newest first when `desc`). */
export function mergeOpen<T extends Seqd>(sources: readonly Iterator<T>[], desc: boolean): Generator<T> {
  return mergeBySeq(
    [...sources],
    () => desc ? Infinity : -Infinity,
    (it) => it,
    desc ? descending : ascending,
  );
}
