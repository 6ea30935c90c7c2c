/**
 * A Bloom filter of job ids, small enough to sit in a snapshot header: it answers "is this id
 * among the ids the filter was made of?" with a certain no or a maybe, never a wrong no.
 *
 * The protocol, precise enough for another implementation (another store, another language) to
 * read and write the same filters:
 *
 *   stored form  {"bits": "<base64 of the bit array>", "hashes": k}
 *                base64 is RFC 4648's, padded, with no whitespace and zero pad bits (a reader
 *                refuses anything else, and ignores other members); the array is m = 8 * bytes
 *                bits long, bit b being byte b >> 3, bit b & 7, least significant bit first
 *                (bit 0 is 0x01 of byte 0, bit 9 is 0x02 of byte 1). 1 <= k <= 16, m >= 8.
 *   sizing       a filter of n ids has m = max(64, 8 * ceil(20 * n / 8)) bits (20 bits per id,
 *                about 0.007% false positives with k = 14) and k = 14 hashes; a reader takes m and
 *                k from the stored form and assumes neither. So many bits because every record a
 *                process replays from the log asks about the ids it names (hundreds per call):
 *                at 10 bits per id (0.8%) one of a few hundred lookups would read the directory
 *                the filter stands for (measured: an `enqueue` replaying 25 records read it).
 *   hashing      all arithmetic on unsigned 32-bit integers, wrapping modulo 2^32:
 *                h1 = FNV-1a 32 over the id's UTF-8 bytes (a lone surrogate encodes as U+FFFD,
 *                     as WHATWG TextEncoder does): h = 0x811c9dc5; for each byte
 *                     h = (h xor byte) * 0x01000193.
 *                h2 = fmix32(h1) or 1, fmix32 being murmur3's finaliser: h ^= h >> 16;
 *                     h *= 0x85ebca6b; h ^= h >> 13; h *= 0xc2b2ae35; h ^= h >> 16.
 *                the id sets bits ((h1 + i * h2) mod 2^32) mod m for i = 0 .. k-1
 *                (Kirsch–Mitzenmacher double hashing).
 *
 * The filter of the ids "a", "b", "c" is {"bits":"OC7H5bick3E=","hashes":14}.
 */

const BITS_PER_ID = 20;
const MIN_BITS = 64;
const HASHES = 14;
const MAX_HASHES = 16;

const encoder = new TextEncoder();
/**
 * Where a non-ASCII string is encoded to hash it, if it fits (3 bytes at most a code unit); what
 * it holds matters only during one call, so sharing it is safe.
 */
const SCRATCH = new Uint8Array(3 * 128);

export class IdFilter {
  readonly #bits: Uint8Array;
  readonly #hashes: number;
  /** m, the number of bits. */
  readonly #size: number;

  private constructor(bits: Uint8Array, hashes: number) {
    this.#bits = bits;
    this.#hashes = hashes;
    this.#size = bits.length * 8;
  }

  /**
   * A filter holding `ids` (20 bits per id, at least 64 bits, 14 hashes). `count` says how many
   * ids there are, to size the bit array before iterating; more ids than `count` still all test
   * true, at a higher false-positive rate.
   */
  static of(ids: Iterable<string>, count: number): IdFilter {
    const bits = Math.max(MIN_BITS, Math.ceil((BITS_PER_ID * count) / 8) * 8);
    const filter = new IdFilter(new Uint8Array(bits / 8), HASHES);
    for (const id of ids) filter.#add(id);
    return filter;
  }

  /** Reads a filter as `toJSON()` wrote it; a malformed one gives a sentence saying what is wrong. */
  static read(value: unknown): IdFilter | string {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return "the id filter is not an object";
    }
    const { bits, hashes } = value as { bits?: unknown; hashes?: unknown };
    if (typeof bits !== "string" || bits.length === 0) {
      return "the id filter's bits are not a non-empty string";
    }
    if (typeof hashes !== "number" || !Number.isInteger(hashes) || hashes < 1 || hashes > MAX_HASHES) {
      return `the id filter's hashes (${JSON.stringify(hashes)}) are not an integer from 1 to ${MAX_HASHES}`;
    }
    let bytes: Uint8Array;
    try {
      bytes = Uint8Array.fromBase64(bits, { lastChunkHandling: "strict" });
    } catch {
      return "the id filter's bits are not valid base64";
    }
    // fromBase64 skips whitespace; with padding required, only the canonical text has this length
    if (bits.length !== 4 * Math.ceil(bytes.length / 3)) {
      return "the id filter's bits are not valid base64";
    }
    return new IdFilter(bytes, hashes);
  }

  /** False: `id` is certainly not one of the ids the filter was made of. True: it may be. */
  mayHold(id: string): boolean {
    const h1 = fnv1a(id);
    const h2 = fmix32(h1) | 1;
    for (let i = 0; i < this.#hashes; i++) {
      const b = ((h1 + Math.imul(i, h2)) >>> 0) % this.#size;
      if ((this.#bits[b >>> 3] & (1 << (b & 7))) === 0) return false;
    }
    return true;
  }

  /** `{"bits": "<base64 of the bit array>", "hashes": 7}`: what a header stores. */
  toJSON(): { bits: string; hashes: number } {
    return { bits: this.#bits.toBase64(), hashes: this.#hashes };
  }

  #add(id: string): void {
    const h1 = fnv1a(id);
    const h2 = fmix32(h1) | 1;
    for (let i = 0; i < this.#hashes; i++) {
      const b = ((h1 + Math.imul(i, h2)) >>> 0) % this.#size;
      this.#bits[b >>> 3] |= 1 << (b & 7);
    }
  }
}

/**
 * FNV-1a 32 over the UTF-8 bytes of `id`, unsigned. Every job id is ASCII, whose code units are
 * its UTF-8 bytes: hashing them directly skips the encoder, whose first call in a process costs
 * about 75 µs (a lookup from 25 µs to 3 µs in a fresh process, measured).
 */
function fnv1a(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c >= 0x80) return fnv1aEncoded(id);
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

/** fnv1a() for a string with a code unit past ASCII. */
function fnv1aEncoded(id: string): number {
  const bytes = id.length * 3 <= SCRATCH.length ? SCRATCH : new Uint8Array(id.length * 3);
  const n = encoder.encodeInto(id, bytes).written;
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/** murmur3's 32-bit finaliser, unsigned. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
