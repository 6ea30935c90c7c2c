/**
 * What the archive's and the pending set's segment writers share (archive_write.ts,
 * pending_write.ts): lines gathered into large writes, and the order of a segment's ids for its
 * index.
 */

/** Bytes written to a file at a time. */
export const CHUNK_BYTES = 1024 * 1024;

/**
 * Collects lines into large writes (for replaceFileDurablyStreamed), encoding each straight into
 * its buffer: a million lines cost no allocation of bytes per line. A line larger than the
 * buffer gets a buffer of its size.
 */
export class Chunked {
  #buf = new Uint8Array(CHUNK_BYTES);
  #used = 0;
  /** bytes taken so far */
  total = 0;
  constructor(readonly write: (bytes: Uint8Array) => void) {}

  /** Makes room for `n` more bytes. */
  #room(n: number): void {
    if (this.#used + n <= this.#buf.length) return;
    this.flush();
    if (n > this.#buf.length) this.#buf = new Uint8Array(n);
  }

  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.#used);
    this.#used += b.length;
    this.total += b.length;
  }

  /**
   * What `into` writes into the buffer at the given position (`room` bytes at most); `into`
   * returns where it ended. Returns how many bytes it wrote.
   */
  into(room: number, into: (buf: Uint8Array, at: number) => number): number {
    this.#room(room);
    const end = into(this.#buf, this.#used);
    const n = end - this.#used;
    this.total += n;
    this.#used = end;
    return n;
  }

  flush(): void {
    if (this.#used > 0) this.write(this.#buf.subarray(0, this.#used));
    this.#used = 0;
  }
}

/** How many characters of an id a numeric sort key of idOrder() holds, at most (8 bits each). */
const KEY_CHARS = 4;

/**
 * The order of `ids` (distinct or not) as strings compare: the i-th number is the index of the
 * i-th smallest. Sorting numbers is several times faster than sorting with a comparator, so each
 * id gets a key from its first characters past the prefix they all share (generated ids of a batch
 * share their time), its index in the low bits; only ids alike in those characters are compared
 * as strings.
 */
export function idOrder(ids: readonly string[]): Uint32Array {
  const count = ids.length;
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const compare = (a: number, b: number) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0);
  // generated ids begin with their time, so jobs in seq order are often in id order already
  let sorted = true;
  for (let i = 1; i < count && sorted; i++) sorted = ids[i - 1] < ids[i];
  if (sorted) return order;
  const indexBits = Math.max(1, Math.ceil(Math.log2(count)));
  const keyChars = Math.min(KEY_CHARS, Math.floor((53 - indexBits) / 8));
  if (keyChars < 1) return order.sort(compare);
  const scale = 2 ** indexBits;
  const first = ids[0];
  let shared = first.length;
  for (let i = 1; i < count && shared > 0; i++) {
    const id = ids[i];
    const n = Math.min(shared, id.length);
    let j = 0;
    while (j < n && id.charCodeAt(j) === first.charCodeAt(j)) j++;
    shared = j;
  }
  const keys = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const id = ids[i];
    let key = 0;
    for (let j = shared; j < shared + keyChars; j++) {
      // 0 past the end: a shorter id comes first; a character past 254 does not fit the key
      const c = j < id.length ? id.charCodeAt(j) + 1 : 0;
      if (c > 255) return order.sort(compare);
      key = key * 256 + c;
    }
    keys[i] = key * scale + i;
  }
  keys.sort();
  for (let r = 0; r < count; r++) order[r] = keys[r] - Math.floor(keys[r] / scale) * scale;
  for (let r = 0; r < count;) {
    const key = Math.floor(keys[r] / scale);
    let end = r + 1;
    while (end < count && Math.floor(keys[end] / scale) === key) end++;
    if (end - r > 1) order.subarray(r, end).sort(compare);
    r = end;
  }
  return order;
}
