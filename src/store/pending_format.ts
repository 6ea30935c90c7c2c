/**
 * The line formats of a pending segment (pending.ts has the protocol): encoding and checking one
 * line of each file kind, pure. Nothing here reads or writes a file.
 */
import { crc32, decodeLine, encodeLine, hex8 } from "./codec.ts";
import type { OrderEntry, PendingJob, PendingList } from "./pending.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ---- .jobs: a sealed job line with its place in the claim order -------------------------------

/** The job's sealed line, carrying `"o":[list,pos]` as its last member. */
export function encodeJobLine(job: object, list: number, pos: number): Uint8Array {
  return encodeLine({ ...job, o: [list, pos] });
}

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

// ---- .index: `<id> <offset> <length> <list> <pos> <crc8>` -------------------------------------

export interface IndexEntry {
  id: string;
  offset: number;
  length: number;
  list: number;
  pos: number;
}

export function encodeIndexLine(
  id: string,
  offset: number,
  length: number,
  list: number,
  pos: number,
): string {
  const text = `${id} ${offset} ${length} ${list} ${pos}`;
  return `${text} ${hex8(crc32(encoder.encode(text)))}\n`;
}

/** The entry of one index line (newline excluded), or null when it fails its checksum or form. */
export function parseIndexLine(line: string): IndexEntry | null {
  const last = line.lastIndexOf(" ");
  if (last < 0) return null;
  const text = line.slice(0, last);
  if (line.slice(last + 1) !== hex8(crc32(encoder.encode(text)))) return null;
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
const ENTRY = new RegExp(
  `^(\\d{${SEQ_DIGITS}}) ([+-]\\d{${PRIORITY_DIGITS}}) (\\S{${RUN_AT_CHARS}}) (\\d{${OFFSET_DIGITS}}) (\\d{${LENGTH_DIGITS}})$`,
);

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

/** Entry number `k` of the file (counted from 0 over all lists), newline included. */
export function encodeEntry(k: number, e: OrderEntry): string {
  const sign = e.priority < 0 ? "-" : "+";
  const text = `${digits(e.seq, SEQ_DIGITS)} ${sign}${digits(Math.abs(e.priority), PRIORITY_DIGITS)} ${
    e.run_at ?? NO_RUN_AT
  } ${digits(e.offset, OFFSET_DIGITS)} ${digits(e.length, LENGTH_DIGITS)}`;
  return `${text} ${hex8(entryCrc(k, encoder.encode(text), 0, TEXT_CHARS))}\n`;
}

/** The CRC-32 of `<k> ` followed by the entry's text: a whole line moved to another place fails it. */
function entryCrc(k: number, bytes: Uint8Array, start: number, end: number): number {
  return crc32(bytes, start, end, crc32(encoder.encode(`${k} `)));
}

/** The entry number `k` held in `bytes` at `start` (ENTRY_WIDTH bytes), or why it is damaged. */
export function decodeEntry(k: number, bytes: Uint8Array, start: number): OrderEntry | string {
  if (bytes[start + ENTRY_WIDTH - 1] !== 0x0a || bytes[start + TEXT_CHARS] !== 0x20) {
    return "an order entry is not where its fixed width puts it";
  }
  const stored = decoder.decode(bytes.subarray(start + TEXT_CHARS + 1, start + ENTRY_WIDTH - 1));
  if (stored !== hex8(entryCrc(k, bytes, start, start + TEXT_CHARS))) {
    return `order entry ${k} fails its checksum`;
  }
  const m = ENTRY.exec(decoder.decode(bytes.subarray(start, start + TEXT_CHARS)));
  if (!m || (m[3] !== NO_RUN_AT && !ISO.test(m[3]))) return `order entry ${k} is malformed`;
  return {
    seq: Number(m[1]),
    priority: Number(m[2]),
    run_at: m[3] === NO_RUN_AT ? null : m[3],
    offset: Number(m[4]),
    length: Number(m[5]),
  };
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
    a.queue === b.queue && a.kind === b.kind && a.first === b.first && a.count === b.count;
  const theirs = h.lists as PendingList[];
  if (
    !Array.isArray(theirs) || theirs.length !== lists.length ||
    !lists.every((l, i) => theirs[i] && same(l, theirs[i]))
  ) {
    return "the header's lists differ from the snapshot's record";
  }
  return null;
}
