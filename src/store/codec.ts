/**
 * The record codec: one JSON object per line, sealed by a CRC-32 of the object's own text.
 *
 *   {"seq":7,"at":"2026-11-23T12:00:00.000Z","type":"claim",...,"crc":"1c291ca3"}
 *
 * The checksum covers the line as it would read without its `,"crc":"…"` member (that is, the
 * bytes before it plus the closing `}`), so a reader verifies a line without re-serialising it.
 * Any flipped byte, lost byte or spliced line fails the check; the line stays plain JSON for
 * people and for `jq`.
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

const CLOSE = 0x7d; // "}"
const NEWLINE = 0x0a;
/** `,"crc":"` + 8 hex digits + `"}` */
const SUFFIX_LENGTH = 18;
const SUFFIX_HEAD = new TextEncoder().encode(`,"crc":"`);

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function crc32(
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
  seed = 0,
): number {
  let c = ~seed;
  for (let i = start; i < end; i++) {
    c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  }
  return ~c >>> 0;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

/** Encodes one object as a sealed line, newline included. */
export function encodeLine(value: object): Uint8Array {
  const body = JSON.stringify(value);
  if (body.length <= 2 || body[body.length - 1] !== "}") {
    throw new TypeError("A record must be a JSON object with at least one field");
  }
  const bodyBytes = encoder.encode(body);
  const crc = crc32(bodyBytes);
  return encoder.encode(`${body.slice(0, -1)},"crc":"${hex8(crc)}"}\n`);
}

export type DecodeResult = { ok: true; value: Record<string, unknown> } | {
  ok: false;
  why: string;
};

/** Decodes one line (without its newline) from `bytes[start, end)`. */
export function decodeLine(
  bytes: Uint8Array,
  start: number,
  end: number,
): DecodeResult {
  const len = end - start;
  if (len < SUFFIX_LENGTH + 2) {
    return { ok: false, why: "the line is too short to be a record" };
  }
  const suffixAt = end - SUFFIX_LENGTH;
  for (let i = 0; i < SUFFIX_HEAD.length; i++) {
    if (bytes[suffixAt + i] !== SUFFIX_HEAD[i]) {
      return { ok: false, why: "the line has no checksum" };
    }
  }
  if (bytes[end - 1] !== CLOSE || bytes[end - 2] !== 0x22) {
    return { ok: false, why: "the line has no checksum" };
  }
  const stored = String.fromCharCode(
    ...bytes.subarray(suffixAt + 8, suffixAt + 16),
  );
  if (!/^[0-9a-f]{8}$/.test(stored)) {
    return { ok: false, why: "the checksum is malformed" };
  }
  const actual = crc32(
    new Uint8Array([CLOSE]),
    0,
    1,
    crc32(bytes, start, suffixAt),
  );
  if (hex8(actual) !== stored) {
    return {
      ok: false,
      why: `checksum mismatch (stored ${stored}, computed ${hex8(actual)})`,
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes.subarray(start, end)));
  } catch (e) {
    return { ok: false, why: `invalid JSON (${(e as Error).message})` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, why: "the line is not a JSON object" };
  }
  const { crc: _crc, ...rest } = value as Record<string, unknown>;
  return { ok: true, value: rest };
}

export interface SplitLines {
  /** [start, end) of each complete line, newline excluded */
  lines: Array<[number, number]>;
  /** index just past the last newline: bytes beyond it are an unfinished (or torn) line */
  complete: number;
}

export function splitLines(bytes: Uint8Array, from = 0): SplitLines {
  const lines: Array<[number, number]> = [];
  let start = from;
  for (;;) {
    const nl = bytes.indexOf(NEWLINE, start);
    if (nl < 0) break;
    lines.push([start, nl]);
    start = nl + 1;
  }
  return { lines, complete: start };
}
