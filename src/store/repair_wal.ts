/**
 * The log of a generation under repair, replayed onto its snapshot's state in memory (repair.ts
 * writes the result as a new generation; the log itself is never cut or rewritten). Lines apply
 * in order up to the first bad one. From there on, the file's bytes are kept whole in a side file,
 * and every record of the rest that is intact (its checksum holds) applies in seq order, with its
 * own seq, as long as it still applies: a duplicated line is dropped, swapped lines go back in
 * order, the records after one lost line stay, but a record that needed the lost one (a claim of a
 * job whose enqueue was lost) is dropped too. The report names every job whose record was
 * dropped or unreadable, and says when a lost record's jobs cannot be told.
 *
 * A torn last line is what a crash leaves (never acknowledged): it is left out, as a writer
 * would cut it, and is no damage. A whole record whose newline alone is missing applies.
 */
import { decodeLine, sealedEnd, splitLines } from "./codec.ts";
import type { HomePaths } from "./paths.ts";
import { idsIn, writeSideFile } from "./quarantine.ts";
import { type LogRecord, RECORD_TYPES } from "./records.ts";
import type { AttemptLog } from "./repair_fence.ts";
import { apply, ApplyError, type QueueState } from "./state.ts";

export interface RepairOutcome {
  /** sentences for the report */
  done: string[];
  /** ids of jobs a dropped or unreadable record named: missing, or older than they were */
  lost: string[];
}

export interface WalOutcome extends RepairOutcome {
  /** the log had a bad line */
  damaged: boolean;
  /** records with a seq up to this may be lost: -Infinity when none was, Infinity when any may be */
  lostUpTo: number;
  /** bytes no record could be read from (seqs they held are never used again) */
  unreadableBytes: number;
  /** the generation a seal at the log's end names (a compaction that crashed before its snapshot) */
  sealedNext: number | null;
}

/** The job ids a record names. */
export function idsOf(rec: LogRecord): string[] {
  switch (rec.type) {
    case "enqueue":
      return rec.jobs.map((j) => j.id);
    case "claim":
    case "retry":
      return rec.ids;
    case "delete":
    case "prune":
      return [...rec.ids, ...(rec.archived ?? [])];
    case "renew":
      return rec.ids ?? [];
    case "started":
    case "finish":
    case "unclaim":
    case "kill":
      return [rec.id];
    case "bury":
      return rec.jobs.map(([id]) => id);
    default:
      return [];
  }
}

const isRecord = (v: Record<string, unknown>): boolean =>
  typeof v.seq === "number" && typeof v.at === "string" && RECORD_TYPES.has(v.type as string);

/**
 * The records of one line, or its unreadable bytes. A damaged newline joins two lines into one:
 * the whole record before it is read up to its checksum, and what follows the damaged byte is
 * read again as a line of its own.
 */
function pieces(bytes: Uint8Array): Array<{ rec: LogRecord | null; bytes: Uint8Array }> {
  const out: Array<{ rec: LogRecord | null; bytes: Uint8Array }> = [];
  let rest = bytes;
  while (rest.length > 0) {
    const sealed = sealedEnd(rest);
    const end = sealed > 0 ? sealed : rest.length;
    const r = decodeLine(rest, 0, end);
    if (r.ok && isRecord(r.value)) {
      out.push({ rec: r.value as unknown as LogRecord, bytes: rest.subarray(0, end) });
    } else return [...out, { rec: null, bytes: rest }];
    rest = rest.subarray(Math.min(rest.length, end + 1));
  }
  return out;
}

/** Replays log `gen` onto `state` (its snapshot's), salvaging what follows a bad line. */
export function replayForRepair(
  paths: HomePaths,
  state: QueueState,
  gen: number,
  now: Date,
  attempts: AttemptLog,
): WalOutcome {
  const name = paths.wal(gen).slice(paths.home.length + 1);
  let bytes = new Uint8Array();
  try {
    bytes = Deno.readFileSync(paths.wal(gen));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const { lines, complete } = splitLines(bytes);
  let sealedNext: number | null = null;
  let bad = -1;
  let why = "it is damaged";
  for (let i = 0; i < lines.length && bad < 0; i++) {
    const r = decodeLine(bytes, lines[i][0], lines[i][1]);
    if (sealedNext !== null || !r.ok || !isRecord(r.value)) {
      bad = i;
      if (sealedNext !== null && r.ok) why = "records follow its seal";
      break;
    }
    const rec = r.value as unknown as LogRecord;
    try {
      apply(state, rec);
    } catch (e) {
      if (!(e instanceof ApplyError)) throw e;
      bad = i;
      why = `its records no longer apply (${e.message})`;
      break;
    }
    attempts.note(rec);
    if (rec.type === "seal") sealedNext = rec.next_gen;
  }
  const clean: WalOutcome = {
    done: [],
    lost: [],
    damaged: false,
    lostUpTo: -Infinity,
    unreadableBytes: 0,
    sealedNext,
  };
  if (bad < 0) {
    if (complete === bytes.length) return clean;
    const tail = bytes.subarray(complete);
    const end = sealedEnd(tail);
    if (end < 0 || end === tail.length) {
      // torn (what a crash leaves, never acknowledged), or a whole record missing only its newline
      const r = decodeLine(tail, 0, tail.length);
      if (!r.ok || !isRecord(r.value) || sealedNext !== null) return clean;
      try {
        apply(state, r.value as unknown as LogRecord);
        attempts.note(r.value as unknown as LogRecord);
        return clean;
      } catch (e) {
        if (!(e instanceof ApplyError)) throw e;
      }
    }
    bad = lines.length;
  }
  return salvage(paths, name, state, bytes, bad, why, now, attempts, sealedNext);
}

function salvage(
  paths: HomePaths,
  name: string,
  state: QueueState,
  bytes: Uint8Array,
  bad: number,
  why: string,
  now: Date,
  attempts: AttemptLog,
  sealedBefore: number | null,
): WalOutcome {
  const { lines, complete } = splitLines(bytes);
  const all: Array<[number, number]> = complete < bytes.length ? [...lines, [complete, bytes.length]] : lines;
  const from = all[bad][0];
  const side = writeSideFile(paths, name, bytes, now);
  const intact: LogRecord[] = [];
  const lost = new Set<string>();
  const unreadable: string[] = [];
  let unreadableBytes = 0;
  /** an unreadable piece follows every intact record (in file order): what it held may be anything */
  let unreadableLast = false;
  for (let i = bad; i < all.length; i++) {
    for (const piece of pieces(bytes.subarray(all[i][0], all[i][1]))) {
      if (piece.rec) {
        intact.push(piece.rec);
        unreadableLast = false;
        continue;
      }
      unreadableLast = true;
      unreadableBytes += piece.bytes.length;
      const named = idsIn(piece.bytes);
      named.forEach((id) => lost.add(id));
      unreadable.push(
        `line ${i + 1} (${
          named.length ? `naming ${named.join(", ")}` : "no job id readable: its jobs cannot be told"
        })`,
      );
    }
  }
  // in seq order, each seq once, none already applied; a seal stays out (its snapshot is not ours)
  intact.sort((a, b) => a.seq - b.seq);
  let sealedNext = sealedBefore;
  let repeated = 0;
  let applied = 0;
  let missing = 0;
  let lostUpTo = -Infinity;
  const dropped: string[] = [];
  for (const rec of intact) {
    if (rec.seq <= state.seq) {
      repeated++;
      continue;
    }
    if (rec.seq > state.seq + 1) {
      missing += rec.seq - state.seq - 1;
      lostUpTo = rec.seq - 1;
      state.seq = rec.seq - 1;
    }
    attempts.note(rec);
    if (rec.type === "seal") {
      sealedNext = Math.max(sealedNext ?? 0, rec.next_gen);
      state.seq = rec.seq;
      repeated++;
      continue;
    }
    try {
      apply(state, rec);
      applied++;
    } catch (e) {
      if (!(e instanceof ApplyError)) throw e;
      idsOf(rec).forEach((id) => lost.add(id));
      dropped.push(`${rec.type} (seq ${rec.seq})`);
      state.seq = rec.seq; // its seq is used: never again
    }
  }
  if (unreadableLast) lostUpTo = Infinity;
  if (missing > unreadable.length) {
    unreadable.push(
      `${
        missing - unreadable.length
      } record(s) missing from the sequence: the jobs they named cannot be told`,
    );
  }
  const done = [
    `moved ${name} (${bytes.length} bytes) into ${side}; from line ${bad + 1} on (byte ${from}) ${why}`,
    `kept ${applied} intact record(s) from there on, in seq order with their own seqs${
      repeated ? `, left out ${repeated} repeated or seal record(s)` : ""
    }`,
  ];
  if (unreadable.length) done.push(`unreadable: ${unreadable.join("; ")}`);
  if (dropped.length) done.push(`dropped record(s) that no longer apply: ${dropped.join(", ")}`);
  return { done, lost: [...lost], damaged: true, lostUpTo, unreadableBytes, sealedNext };
}
