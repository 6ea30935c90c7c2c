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

/**
 * A stream in seq order that is opened only when a merge reaches `reach`: none of its items comes
 * before that seq (±Infinity: open it at once).
 */
export interface SeqSource<T> {
  reach: number;
  open(): Iterator<T>;
}

/** Sources merged in enqueue order (newest first when `desc`), each opened when the merge reaches it. */
export function mergeSources<T extends Seqd>(sources: readonly SeqSource<T>[], desc: boolean): Generator<T> {
  const before = desc ? descending : ascending;
  const waiting = [...sources].sort((a, b) =>
    before(a.reach, b.reach) ? -1 : before(b.reach, a.reach) ? 1 : 0
  );
  return mergeBySeq(waiting, (s) => s.reach, (s) => s.open(), before);
}

/** Streams already open, merged in enqueue order (newest first when `desc`). */
export function mergeOpen<T extends Seqd>(sources: readonly Iterator<T>[], desc: boolean): Generator<T> {
  return mergeSources(sources.map((it) => ({ reach: desc ? Infinity : -Infinity, open: () => it })), desc);
}
