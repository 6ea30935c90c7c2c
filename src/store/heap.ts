/** A binary min-heap under a given order: the building block of the runnable index. */
export class Heap<T> {
  readonly #items: T[];
  readonly #before: (a: T, b: T) => boolean;

  /** `before(a, b)`: a comes out first. `items` (taken over, not copied) are arranged in one pass. */
  constructor(before: (a: T, b: T) => boolean, items: T[] = []) {
    this.#before = before;
    this.#items = items;
    this.#arrange();
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const a = this.#items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.#items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      this.#down(0);
    }
    return top;
  }

  /** Moves the item at `i` down until neither child comes out before it. */
  #down(i: number): void {
    const a = this.#items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.#before(a[l], a[m])) m = l;
      if (r < a.length && this.#before(a[r], a[m])) m = r;
      if (m === i) return;
      [a[i], a[m]] = [a[m], a[i]];
      i = m;
    }
  }

  /** Keeps only the items `keep` accepts (stale entries), rebuilding the heap. */
  filter(keep: (item: T) => boolean): void {
    const a = this.#items;
    let n = 0;
    for (const item of a) if (keep(item)) a[n++] = item;
    a.length = n;
    this.#arrange();
  }

  /** Makes the items a heap in one pass (Floyd): each parent moved down, the last first. */
  #arrange(): void {
    for (let i = (this.#items.length >> 1) - 1; i >= 0; i--) this.#down(i);
  }
}
