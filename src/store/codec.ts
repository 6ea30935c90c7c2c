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
import { CRC32_TABLE } from "./crc32_table.ts";

/** Slicing-by-8 tables: T[k*256 + b] is the CRC of byte b followed by k zero bytes. */
const TABLE = CRC32_TABLE;

const CLOSE = 0x7d; // "}"
const NEWLINE = 0x0a;
/** `,"crc":"` + 8 hex digits + `"}` */
const SUFFIX_LENGTH = 18;
const SUFFIX_HEAD = new TextEncoder().encode(`,"crc":"`);

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The CRC-32 of `bytes[start, end)`, continuing from `seed` (the CRC of the bytes before them).
 * A range of WASM_FROM bytes or more, below WASM_UNTIL, is checked in WebAssembly (below); the
 * rest, and everything where WebAssembly is unavailable, in JavaScript.
 */
export function crc32(
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
  seed = 0,
): number {
  const n = end - start;
  if (n >= WASM_FROM && n < WASM_UNTIL) {
    const w = wasmCrc();
    if (w) return crc32InWasm(w, bytes, start, end, seed);
  }
  return crc32InJs(bytes, start, end, seed);
}

function crc32InJs(bytes: Uint8Array, start: number, end: number, seed: number): number {
  // eight bytes per step (a 3-4x speed-up on long lines), then byte by byte
  let c = ~seed;
  let i = start;
  const T = TABLE;
  for (; i + 8 <= end; i += 8) {
    const a = (c ^ (bytes[i] | bytes[i + 1] << 8 | bytes[i + 2] << 16 | bytes[i + 3] << 24)) >>> 0;
    c = T[7 * 256 + (a & 0xff)] ^ T[6 * 256 + ((a >>> 8) & 0xff)] ^ T[5 * 256 + ((a >>> 16) & 0xff)] ^
      T[4 * 256 + (a >>> 24)] ^ T[3 * 256 + bytes[i + 4]] ^ T[2 * 256 + bytes[i + 5]] ^
      T[256 + bytes[i + 6]] ^
      T[bytes[i + 7]];
  }
  for (; i < end; i++) {
    c = T[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  }
  return ~c >>> 0;
}

/**
 * Long ranges in WebAssembly. A short command checks a long line once (a snapshot header of a
 * home with a history: 29 KB), in a process where V8 has not optimised crc32InJs()'s loop yet: it
 * runs in the interpreter, 1.3-3.4 ms for those 29 KB, against 0.2 ms here plus 0.55 ms, once a
 * process, to instantiate the module (bench/results/2026-12-07-crc/). Optimised JavaScript is
 * faster again (1.7 ns a byte against 2.7), and V8 optimises a loop that long within its first
 * megabyte: ranges of WASM_UNTIL or more stay in JavaScript.
 *
 * The module (src/store/crc32.wat, its protocol at its top) is instantiated at the first long
 * range; each range is copied into its memory WASM_CHUNK bytes at a time, so it never grows. Its
 * bytes are a literal: decoding them from base64 (`atob`, then a byte per character) took 1.3-1.8
 * ms of that first range, against 0.01-0.02 (bench/results/2026-12-07-wasm-bytes/).
 */
const WASM_FROM = 16 * 1024;
const WASM_UNTIL = 1024 * 1024;
const WASM_TABLE_BYTES = 1024;
const WASM_CHUNK = 65536 - WASM_TABLE_BYTES;

// deno-fmt-ignore: twenty a row
const CRC32_WASM = new Uint8Array([
  // crc32.wat compiled: written by scripts/crc32_wasm.ts
  0, 97, 115, 109, 1, 0, 0, 0, 1, 11, 2, 96, 0, 0, 96, 3, 127, 127, 127, 1,
  127, 3, 3, 2, 0, 1, 5, 3, 1, 0, 1, 7, 16, 2, 6, 109, 101, 109, 111, 114,
  121, 2, 0, 3, 99, 114, 99, 0, 1, 8, 1, 0, 10, 142, 1, 2, 75, 1, 3, 127,
  3, 64, 32, 0, 33, 1, 65, 8, 33, 2, 3, 64, 65, 160, 134, 226, 237, 126, 32, 1,
  65, 1, 118, 115, 32, 1, 65, 1, 118, 32, 1, 65, 1, 113, 27, 33, 1, 32, 2, 65,
  1, 107, 34, 2, 13, 0, 11, 32, 0, 65, 2, 116, 32, 1, 54, 2, 0, 32, 0, 65,
  1, 106, 34, 0, 65, 128, 2, 73, 13, 0, 11, 11, 64, 1, 1, 127, 32, 2, 65, 127,
  115, 33, 3, 2, 64, 3, 64, 32, 0, 32, 1, 79, 13, 1, 32, 3, 32, 0, 45, 0,
  0, 115, 65, 255, 1, 113, 65, 2, 116, 40, 2, 0, 32, 3, 65, 8, 118, 115, 33, 3,
  32, 0, 65, 1, 106, 33, 0, 12, 0, 11, 11, 32, 3, 65, 127, 115, 11,
]);

interface WasmCrc {
  crc(p: number, end: number, seed: number): number;
  memory: Uint8Array;
}

/** undefined until first asked; null where WebAssembly is unavailable (`--jitless`) */
let wasm: WasmCrc | null | undefined;

function wasmCrc(): WasmCrc | null {
  if (wasm !== undefined) return wasm;
  try {
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(CRC32_WASM));
    wasm = {
      crc: exports.crc as WasmCrc["crc"],
      memory: new Uint8Array((exports.memory as WebAssembly.Memory).buffer),
    };
  } catch {
    wasm = null;
  }
  return wasm;
}

function crc32InWasm(w: WasmCrc, bytes: Uint8Array, start: number, end: number, seed: number): number {
  let c = seed;
  for (let at = start; at < end; at += WASM_CHUNK) {
    const n = Math.min(WASM_CHUNK, end - at);
    w.memory.set(bytes.subarray(at, at + n), WASM_TABLE_BYTES);
    c = w.crc(WASM_TABLE_BYTES, WASM_TABLE_BYTES + n, c) >>> 0;
  }
  return c;
}

/** The two lowercase hex digits of each byte, as character codes: HEX[2b], HEX[2b + 1]. */
const HEX = (() => {
  const t = new Uint8Array(512);
  const digits = "0123456789abcdef";
  for (let b = 0; b < 256; b++) {
    t[2 * b] = digits.charCodeAt(b >>> 4);
    t[2 * b + 1] = digits.charCodeAt(b & 15);
  }
  return t;
})();

/** The CRC-32 of an ASCII text (one byte a character), as crc32() of its bytes: nothing allocated. */
export function crc32Ascii(text: string, seed = 0): number {
  let c = ~seed;
  for (let i = 0; i < text.length; i++) c = TABLE[(c ^ text.charCodeAt(i)) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

export function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

/** `text`, a space, the CRC-32 of its UTF-8 bytes in hex8 digits, and a newline: an index file's line. */
export function checkedLine(text: string): string {
  return `${text} ${hex8(crc32(encoder.encode(text)))}\n`;
}

/** The text of a `checkedLine` given without its newline, or null when its checksum does not match. */
export function checkedText(line: string): string | null {
  const last = line.lastIndexOf(" ");
  if (last < 0) return null;
  const text = line.slice(0, last);
  return line.slice(last + 1) === hex8(crc32(encoder.encode(text))) ? text : null;
}

/**
 * Writes the 8 lowercase hex digits of `n` (as hex8 spells them) into `buf` at `at`; returns the
 * position after them. For writers of many lines: no string per checksum (a third of the cost of
 * sealing a short line went to hex8's).
 */
export function hex8Into(n: number, buf: Uint8Array, at: number): number {
  for (let shift = 24; shift >= 0; shift -= 8) {
    const b = (n >>> shift) & 0xff;
    buf[at++] = HEX[2 * b];
    buf[at++] = HEX[2 * b + 1];
  }
  return at;
}

/** Encodes one object as a sealed line, newline included. */
export function encodeLine(value: object): Uint8Array {
  return encodeLines([value]);
}

/**
 * The sealed lines of `values`, encodeLine() of each, one after another in one buffer. Each text
 * is encoded once, straight into its place (a batch of 100,000 jobs is one 15 MB record: no
 * second and third copy of it), in a buffer sized for ASCII, grown only for a text that is not.
 */
export function encodeLines(values: readonly object[]): Uint8Array {
  const bodies = values.map((value) => {
    const body = JSON.stringify(value);
    if (body.length <= 2 || body[body.length - 1] !== "}") {
      throw new TypeError("A record must be a JSON object with at least one field");
    }
    return body;
  });
  // a line is its body's bytes, less its "}", plus `,"crc":"…"}` and the newline: one byte a character in ASCII
  let ascii = 0;
  for (const body of bodies) ascii += body.length + SUFFIX_LENGTH;
  let buf = new Uint8Array(ascii);
  let at = 0;
  for (let i = 0; i < bodies.length; i++) {
    const body = bodies[i];
    let { read, written } = encoder.encodeInto(body, buf.subarray(at));
    if (read < body.length || buf.length - at - written < SUFFIX_LENGTH) {
      // not ASCII: room for this text and the rest at 3 bytes a character (so this happens once)
      let rest = 0;
      for (let k = i; k < bodies.length; k++) rest += bodies[k].length * 3 + SUFFIX_LENGTH;
      const grown = new Uint8Array(at + rest);
      grown.set(buf.subarray(0, at));
      buf = grown;
      written = encoder.encodeInto(body, buf.subarray(at)).written;
    }
    at += sealInPlace(buf, at, written);
  }
  // exact unless a text was not ASCII: then a copy, so no caller keeps the spare room alive
  return at === buf.length ? buf : buf.slice(0, at);
}

/**
 * Writes the sealed line of `json`, the text of one object as JSON.stringify gives it, into `buf`
 * at `at`, newline included, byte for byte as encodeLine() would; returns its length, or -1 when
 * `buf` might not have room (3 bytes a character, and the seal). `last`, the JSON text of one more
 * member (`"o":[1,2]`), is added as the object's last. For writers of many lines into one buffer:
 * nothing is allocated per line.
 */
export function sealInto(json: string, buf: Uint8Array, at: number, last = ""): number {
  if (json.length < 2 || json[json.length - 1] !== "}" || (json.length === 2 && last === "")) {
    throw new TypeError("A record must be a JSON object with at least one field");
  }
  if (buf.length - at < (json.length + last.length) * 3 + SUFFIX_LENGTH + 2) return -1;
  let n = encoder.encodeInto(json, buf.subarray(at)).written;
  if (last !== "") {
    // over the body's "}": a comma unless the object was empty, the member, and "}" again
    n--;
    if (json.length > 2) buf[at + n++] = 0x2c;
    n += encoder.encodeInto(last, buf.subarray(at + n)).written;
    buf[at + n++] = CLOSE;
  }
  return sealInPlace(buf, at, n);
}

/** How many bytes sealing adds to an object's text: `,"crc":"…"}` and a newline, less its own "}". */
export const SEAL_BYTES = SUFFIX_LENGTH;

/**
 * Seals the text of one object, `buf[at, at + n)` (its last byte the object's "}"), in place:
 * that "}" becomes `,"crc":"…"}` followed by a newline, as encodeLine() would write it. `buf`
 * needs SEAL_BYTES more bytes past the text. Returns the line's length.
 */
export function sealInPlace(buf: Uint8Array, at: number, n: number): number {
  const crc = crc32(buf, at, at + n);
  let p = at + n - 1;
  buf.set(SUFFIX_HEAD, p);
  p += SUFFIX_HEAD.length;
  p = hex8Into(crc, buf, p);
  buf[p++] = 0x22; // "
  buf[p++] = CLOSE;
  buf[p++] = NEWLINE;
  return p - at;
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
  const why = checkLine(bytes, start, end);
  if (why !== null) return { ok: false, why };
  const suffixAt = end - SUFFIX_LENGTH;
  let value: unknown;
  try {
    // parse the checksummed text itself (the body and its "}"), so no crc member needs removing
    value = JSON.parse(decoder.decode(bytes.subarray(start, suffixAt)) + "}");
  } catch (e) {
    return { ok: false, why: `invalid JSON (${(e as Error).message})` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, why: "the line is not a JSON object" };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/**
 * Where a whole record ends inside `bytes` (an unterminated last line), when it holds one followed
 * by more bytes: the end of its first checksum suffix that seals the text before it. -1 otherwise.
 * A torn append leaves a prefix of one record, never a whole record and then something else.
 */
export function sealedEnd(bytes: Uint8Array): number {
  for (let at = bytes.indexOf(SUFFIX_HEAD[0]); at >= 0; at = bytes.indexOf(SUFFIX_HEAD[0], at + 1)) {
    const end = at + SUFFIX_LENGTH;
    if (end > bytes.length) return -1;
    if (SUFFIX_HEAD.every((b, i) => bytes[at + i] === b) && checkLine(bytes, 0, end) === null) return end;
  }
  return -1;
}

/** The lines `parts` (or any byte strings) one after another, in one buffer. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
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

/** Why the line `bytes[start, end)` fails its checksum, or null when it holds (no JSON parsing). */
export function checkLine(bytes: Uint8Array, start: number, end: number): string | null {
  const len = end - start;
  if (len < SUFFIX_LENGTH + 2) {
    return "the line is too short to be a record";
  }
  const suffixAt = end - SUFFIX_LENGTH;
  for (let i = 0; i < SUFFIX_HEAD.length; i++) {
    if (bytes[suffixAt + i] !== SUFFIX_HEAD[i]) {
      return "the line has no checksum";
    }
  }
  if (bytes[end - 1] !== CLOSE || bytes[end - 2] !== 0x22) {
    return "the line has no checksum";
  }
  const stored = hexValue(bytes, suffixAt + 8);
  if (stored < 0) {
    return "the checksum is malformed";
  }
  // the checksummed text is the line up to its crc member, then "}"; compared as numbers, so that
  // checking a line makes no string (every command checks every line of the log it replays)
  const actual = crc32Ascii("}", crc32(bytes, start, suffixAt));
  if (actual !== stored) {
    return `checksum mismatch (stored ${hex8(stored)}, computed ${hex8(actual)})`;
  }
  return null;
}

/** The value of the 8 lowercase hex digits at `bytes[at]` (as hex8 writes them), or -1. */
function hexValue(bytes: Uint8Array, at: number): number {
  let v = 0;
  for (let i = at; i < at + 8; i++) {
    const b = bytes[i];
    const digit = b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x61 && b <= 0x66 ? b - 0x57 : -1;
    if (digit < 0) return -1;
    v = v * 16 + digit;
  }
  return v;
}
