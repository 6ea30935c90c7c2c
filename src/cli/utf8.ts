/**
 * Text given to the CLI as bytes (a --file, stdin) must be UTF-8: a lossy decode would turn a
 * stray byte into U+FFFD and enqueue a command the user never wrote.
 */
import { UsageError } from "../errors.ts";

const strict = new TextDecoder("utf-8", { fatal: true });

/** Decodes `bytes` (a leading BOM is dropped) or refuses them, naming `what` and the first bad byte. */
export function decodeInput(bytes: Uint8Array, what: string): string {
  try {
    return strict.decode(bytes);
  } catch {
    throw new UsageError(`Cannot read ${what}: it is not valid UTF-8 (at byte ${firstInvalid(bytes)})`);
  }
}

/** Offset of the first byte that does not begin (or continue) a well-formed UTF-8 sequence. */
export function firstInvalid(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    // [sequence length, allowed range of the second byte] per lead byte (RFC 3629, table 3-7)
    const [n, lo, hi] = b < 0x80
      ? [1, 0, 0]
      : b >= 0xc2 && b <= 0xdf
      ? [2, 0x80, 0xbf]
      : b === 0xe0
      ? [3, 0xa0, 0xbf]
      : b === 0xed
      ? [3, 0x80, 0x9f]
      : b >= 0xe1 && b <= 0xef
      ? [3, 0x80, 0xbf]
      : b === 0xf0
      ? [4, 0x90, 0xbf]
      : b >= 0xf1 && b <= 0xf3
      ? [4, 0x80, 0xbf]
      : b === 0xf4
      ? [4, 0x80, 0x8f]
      : [0, 0, 0];
    if (n === 0) return i;
    for (let k = 1; k < n; k++) {
      const c = bytes[i + k];
      const ok = k === 1 ? c >= lo && c <= hi : c >= 0x80 && c <= 0xbf;
      if (c === undefined || !ok) return i;
    }
    i += n;
  }
  return -1;
}
