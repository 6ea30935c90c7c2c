/**
 * The line formats of a pending segment (pending.ts has the protocol): encoding and checking one
 * line of each file kind, pure. Nothing here reads or writes a file.
 */
import {
  checkedLine,
  checkedText,
  crc32,
  crc32Ascii,
  decodeLine,
  encodeLine,
  hex8,
  hex8Into,
  SEAL_BYTES,
} from "./codec.ts";
import type { OrderEntry, PendingJob, PendingList } from "./pending.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ---- .jobs: a sealed job line with its place in the claim order -------------------------------

export type JobLine = { job: PendingJob; list: number; pos: number };

/** The job of the line `bytes[start, end)` (newline excluded), its `o` member taken off; or why not. */
export function decodeJobLine(bytes: Uint8Array, start: number, end: number): JobLine | string {
  const r = decodeLine(bytes, start, end);
  if (!r.ok) return r.why;
  const { o, ...job } = r.value;
  if (!Array.isArray(o) || o.length !== 2 || !o.every((x) => Number.isInteger(x) && x >= 0)) {
    return "the job line has no place in the claim order";
  }
  if (typeof job.id !== "string" || !Number.isSafeInteger(job.seq)) return "the job line has no id or seq";
  return { job: job as unknown as PendingJob, list: o[0], pos: o[1] };
}

const QUOTE = 0x22;
const ID_HEAD = encoder.encode(`{"id":"`);

/**
 * The place a sealed job line gives itself, read from its bytes without parsing it: the line
 * `bytes[start, end)` (newline excluded, its checksum already checked) ends with
 * `,"o":[list,pos],"crc":"…"}`. `member` is where that `,"o":` begins. Null if it does not.
 */
export function placeInLine(
  bytes: Uint8Array,
  start: number,
  end: number,
): { list: number; pos: number; member: number } | null {
  // back from the seal: `]`, pos, `,`, list, `[`, then `,"o":`
  let p = end - SEAL_BYTES - 1;
  if (bytes[p] !== 0x5d) return null;
  const number = () => {
    let value = 0;
    let scale = 1;
    const last = p;
    while (p > start && bytes[p - 1] >= 0x30 && bytes[p - 1] <= 0x39) {
      p--;
      value += (bytes[p] - 0x30) * scale;
      scale *= 10;
    }
    return p < last && last - p <= 15 ? value : -1;
  };
  const pos = number();
  if (pos < 0 || bytes[--p] !== 0x2c) return null;
  const list = number();
  if (list < 0 || bytes[--p] !== 0x5b) return null;
  const member = p - 5;
  const head = [0x2c, QUOTE, 0x6f, QUOTE, 0x3a]; // ,"o":
  if (member <= start || !head.every((b, i) => bytes[member + i] === b)) return null;
  return { list, pos, member };
}

/** The id of a job line that begins `{"id":"…"` (as a job's does), without parsing it; else null. */
export function idAtStart(bytes: Uint8Array, start: number, end: number): string | null {
  if (end - start <= ID_HEAD.length || !ID_HEAD.every((b, i) => bytes[start + i] === b)) return null;
  const from = start + ID_HEAD.length;
  const close = bytes.indexOf(QUOTE, from);
  // ids are of a safe alphabet (ids.ts): no escapes
  if (close < 0 || close >= end || bytes.subarray(from, close).includes(0x5c)) return null;
  return decoder.decode(bytes.subarray(from, close));
}

// ---- .index: `<id> <offset> <length> <list> <pos> <crc8>` -------------------------------------

export interface IndexEntry {
  id: string;
  offset: number;
  length: number;
  list: number;
  pos: number;
}

/** The text of an index line, all but its CRC. */
export function indexText(id: string, offset: number, length: number, list: number, pos: number): string {
  return `${id} ${offset} ${length} ${list} ${pos}`;
}

export function encodeIndexLine(
  id: string,
  offset: number,
  length: number,
  list: number,
  pos: number,
): string {
  return checkedLine(indexText(id, offset, length, list, pos));
}

/**
 * Writes the index line encodeIndexLine() gives into `buf` at `at` (room for `id` at 3 bytes a
 * character and 70 more); returns the position after its newline. For a writer of many lines:
 * digits and an ASCII id go in byte by byte, no string is made.
 */
export function indexLineInto(
  id: string,
  offset: number,
  length: number,
  list: number,
  pos: number,
  buf: Uint8Array,
  at: number,
): number {
  const start = at;
  let ascii = true;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c >= 0x80) {
      ascii = false;
      break;
    }
    buf[at + i] = c;
  }
  at += ascii ? id.length : encoder.encodeInto(id, buf.subarray(at)).written;
  buf[at++] = 0x20;
  at = decimalInto(offset, buf, at);
  buf[at++] = 0x20;
  at = decimalInto(length, buf, at);
  buf[at++] = 0x20;
  at = decimalInto(list, buf, at);
  buf[at++] = 0x20;
  at = decimalInto(pos, buf, at);
  const crc = crc32(buf, start, at);
  buf[at++] = 0x20;
  at = hex8Into(crc, buf, at);
  buf[at++] = 0x0a;
  return at;
}

/** The decimal digits of `n`, a whole number from 0 (as String(n) spells it), at `at`; the position after them. */
export function decimalInto(n: number, buf: Uint8Array, at: number): number {
  let width = 1;
  while (width < POWERS_OF_TEN.length && n >= POWERS_OF_TEN[width]) width++;
  return fixedInto(n, width, buf, at);
}

const POWERS_OF_TEN = Array.from({ length: 16 }, (_, i) => 10 ** i);

/** `n` in exactly `width` decimal digits (zero-padded; it fits them), at `at`; the position after them. */
function fixedInto(n: number, width: number, buf: Uint8Array, at: number): number {
  let p = at + width;
  // in small-integer arithmetic: % of a double is a call to fmod, several times the cost of a digit
  while (n >= 0x40000000) {
    const high = Math.floor(n / 1e8);
    let low = n - high * 1e8;
    for (let i = 0; i < 8; i++) {
      const q = (low / 10) | 0;
      buf[--p] = 0x30 + low - q * 10;
      low = q;
    }
    n = high;
  }
  let m = n | 0;
  while (p > at) {
    const q = (m / 10) | 0;
    buf[--p] = 0x30 + m - q * 10;
    m = q;
  }
  return at + width;
}

/** The entry of one index line (newline excluded), or null when it fails its checksum or form. */
export function parseIndexLine(line: string): IndexEntry | null {
  const text = checkedText(line);
  if (text === null) return null;
  const parts = text.split(" ");
  if (parts.length !== 5 || !parts.slice(1).every((p) => /^\d{1,15}$/.test(p))) return null;
  const [id, offset, length, list, pos] = parts;
  return { id, offset: Number(offset), length: Number(length), list: Number(list), pos: Number(pos) };
}

// ---- .order: a header line, then fixed-width entries -------------------------------------------

export const ORDER_FORMAT = "queuectl-pending-order";
export const ORDER_VERSION = 1;

const SEQ_DIGITS = 16; // every safe integer
const PRIORITY_DIGITS = 10; // after its sign
const RUN_AT_CHARS = 24; // an ISO-8601 time of a four-digit year, as toISOString() writes it
const OFFSET_DIGITS = 12;
const LENGTH_DIGITS = 9;
const NO_RUN_AT = "-".repeat(RUN_AT_CHARS);
/** the checksummed text of an entry: every column but the CRC */
const TEXT_CHARS = SEQ_DIGITS + 1 + 1 + PRIORITY_DIGITS + 1 + RUN_AT_CHARS + 1 + OFFSET_DIGITS + 1 +
  LENGTH_DIGITS;
/** bytes of one order entry, newline included */
export const ENTRY_WIDTH = TEXT_CHARS + 1 + 8 + 1;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** where each column starts */
const SEQ_AT = 0;
const PRIORITY_AT = SEQ_DIGITS + 1;
const RUN_AT_AT = PRIORITY_AT + 1 + PRIORITY_DIGITS + 1;
const OFFSET_AT = RUN_AT_AT + RUN_AT_CHARS + 1;
const LENGTH_AT = OFFSET_AT + OFFSET_DIGITS + 1;

/**
 * A run_at in the form the order file holds (toISOString of a four-digit year) with its time in
 * ms; null for null (as soon as possible); "invalid" when it is no such time.
 */
export function canonicalRunAt(runAt: string | null): { ms: number; iso: string } | null | "invalid" {
  if (runAt === null) return null;
  const ms = Date.parse(runAt);
  if (Number.isNaN(ms)) return "invalid";
  const iso = new Date(ms).toISOString();
  return ISO.test(iso) ? { ms, iso } : "invalid";
}

function digits(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** Why a job's seq or priority does not fit the order file's columns, or null. */
export function keyProblem(seq: number, priority: number): string | null {
  if (!Number.isSafeInteger(seq) || seq < 0) return `seq ${seq}, not a whole number from 0`;
  if (!Number.isInteger(priority) || Math.abs(priority) >= 10 ** PRIORITY_DIGITS) {
    return `priority ${priority}, which does not fit ${PRIORITY_DIGITS} digits`;
  }
  return null;
}

/** Why a job line's offset or length does not fit the order file's columns, or null. */
export function placeProblem(offset: number, length: number): string | null {
  if (!(offset >= 0 && offset < 10 ** OFFSET_DIGITS)) return `offset ${offset}, past what an entry can hold`;
  if (!(length >= 0 && length < 10 ** LENGTH_DIGITS)) {
    return `a line of ${length} bytes, too long for an entry`;
  }
  return null;
}

/** The text of an entry, every column but its CRC. */
export function entryText(e: OrderEntry): string {
  const sign = e.priority < 0 ? "-" : "+";
  return `${digits(e.seq, SEQ_DIGITS)} ${sign}${digits(Math.abs(e.priority), PRIORITY_DIGITS)} ${
    e.run_at ?? NO_RUN_AT
  } ${digits(e.offset, OFFSET_DIGITS)} ${digits(e.length, LENGTH_DIGITS)}`;
}

/** Where the CRC of entry `k` starts: the CRC-32 of `<k> `, so a whole line moved elsewhere fails it. */
export function entrySeed(k: number): number {
  // ASCII: one byte a character (a million entries, a million small allocations less)
  return crc32Ascii(`${k} `);
}

/** Entry number `k` of the file (counted from 0 over all lists), newline included. */
export function encodeEntry(k: number, e: OrderEntry): string {
  const text = entryText(e);
  return `${text} ${hex8(crc32(encoder.encode(text), 0, TEXT_CHARS, entrySeed(k)))}\n`;
}

/**
 * Writes entry number `k` into `buf` at `at` (ENTRY_WIDTH bytes, and ENTRY_ROOM free: its seed is
 * spelled past it first), byte for byte as encodeEntry() spells it; `runAt` is the canonical run_at
 * or null. Returns the position after it. For a writer of many entries: no string is made for an
 * entry, its columns or its seed.
 */
export function entryInto(
  k: number,
  seq: number,
  priority: number,
  runAt: string | null,
  offset: number,
  length: number,
  buf: Uint8Array,
  at: number,
): number {
  const start = at;
  at = fixedInto(seq, SEQ_DIGITS, buf, at);
  buf[at++] = 0x20;
  buf[at++] = priority < 0 ? 0x2d : 0x2b;
  at = fixedInto(Math.abs(priority), PRIORITY_DIGITS, buf, at);
  buf[at++] = 0x20;
  if (runAt === null) buf.fill(0x2d, at, at + RUN_AT_CHARS);
  else for (let i = 0; i < RUN_AT_CHARS; i++) buf[at + i] = runAt.charCodeAt(i);
  at += RUN_AT_CHARS;
  buf[at++] = 0x20;
  at = fixedInto(offset, OFFSET_DIGITS, buf, at);
  buf[at++] = 0x20;
  at = fixedInto(length, LENGTH_DIGITS, buf, at);
  // the seed, the CRC of `<k> `, from the digits of k written past the entry (overwritten below)
  const seedAt = at + 1;
  const seedEnd = decimalInto(k, buf, seedAt);
  buf[seedEnd] = 0x20;
  const crc = crc32(buf, start, at, crc32(buf, seedAt, seedEnd + 1));
  buf[at++] = 0x20;
  at = hex8Into(crc, buf, at);
  buf[at++] = 0x0a;
  return at;
}

/** The room entryInto() needs. */
export const ENTRY_ROOM = ENTRY_WIDTH + SEQ_DIGITS + 2;

/** The entry number `k` held in `bytes` at `start` (ENTRY_WIDTH bytes), or why it is damaged. */
export function decodeEntry(k: number, bytes: Uint8Array, start: number): OrderEntry | string {
  if (bytes[start + ENTRY_WIDTH - 1] !== 0x0a || bytes[start + TEXT_CHARS] !== 0x20) {
    return "an order entry is not where its fixed width puts it";
  }
  // compared byte by byte and read digit by digit: a walk decodes many entries, and makes no strings
  const crc = hex8(crc32(bytes, start, start + TEXT_CHARS, entrySeed(k)));
  for (let i = 0; i < 8; i++) {
    if (bytes[start + TEXT_CHARS + 1 + i] !== crc.charCodeAt(i)) return `order entry ${k} fails its checksum`;
  }
  const seq = digitsAt(bytes, start + SEQ_AT, SEQ_DIGITS);
  const sign = bytes[start + PRIORITY_AT];
  const priority = digitsAt(bytes, start + PRIORITY_AT + 1, PRIORITY_DIGITS);
  const offset = digitsAt(bytes, start + OFFSET_AT, OFFSET_DIGITS);
  const length = digitsAt(bytes, start + LENGTH_AT, LENGTH_DIGITS);
  let runAt: string | null = null;
  if (!bytes.subarray(start + RUN_AT_AT, start + RUN_AT_AT + RUN_AT_CHARS).every((b) => b === 0x2d)) {
    runAt = decoder.decode(bytes.subarray(start + RUN_AT_AT, start + RUN_AT_AT + RUN_AT_CHARS));
    if (!ISO.test(runAt)) return `order entry ${k} is malformed`;
  }
  const spaced = [PRIORITY_AT - 1, RUN_AT_AT - 1, OFFSET_AT - 1, LENGTH_AT - 1].every((at) =>
    bytes[start + at] === 0x20
  );
  if (
    !spaced || seq < 0 || !Number.isSafeInteger(seq) || priority < 0 || offset < 0 || length < 0 ||
    (sign !== 0x2b && sign !== 0x2d)
  ) {
    return `order entry ${k} is malformed`;
  }
  return { seq, priority: sign === 0x2d ? -priority : priority, run_at: runAt, offset, length };
}

/** The number written in `n` decimal digits at `at`, or -1 if they are not all digits. */
function digitsAt(bytes: Uint8Array, at: number, n: number): number {
  let value = 0;
  for (let i = 0; i < n; i++) {
    const d = bytes[at + i] - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

export interface OrderHeader {
  format: typeof ORDER_FORMAT;
  version: number;
  n: number;
  now: string;
  width: number;
  lists: PendingList[];
}

export function encodeOrderHeader(n: number, now: string, lists: readonly PendingList[]): Uint8Array {
  return encodeLine({ format: ORDER_FORMAT, version: ORDER_VERSION, n, now, width: ENTRY_WIDTH, lists });
}

/** Why the header line `bytes[0, end)` does not describe segment `n` with `lists`, or null. */
export function headerProblem(
  bytes: Uint8Array,
  end: number,
  n: number,
  now: string,
  lists: readonly PendingList[],
): string | null {
  const r = decodeLine(bytes, 0, end);
  if (!r.ok) return `the header ${r.why}`;
  const h = r.value;
  if (h.format !== ORDER_FORMAT || h.version !== ORDER_VERSION) return "the header names another format";
  if (h.n !== n || h.now !== now) return `the header belongs to another segment (${h.n}, written ${h.now})`;
  if (h.width !== ENTRY_WIDTH) return `the header gives entries ${h.width} bytes, not ${ENTRY_WIDTH}`;
  const same = (a: PendingList, b: PendingList) =>
    a.queue === b.queue && a.kind === b.kind && a.first === b.first && a.count === b.count &&
    a.first_run_at === b.first_run_at && a.last_run_at === b.last_run_at && a.top_priority === b.top_priority;
  const theirs = h.lists as PendingList[];
  if (
    !Array.isArray(theirs) || theirs.length !== lists.length ||
    !lists.every((l, i) => theirs[i] && same(l, theirs[i]))
  ) {
    return "the header's lists differ from the snapshot's record";
  }
  return null;
}
