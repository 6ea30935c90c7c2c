/**
 * Repair of a damaged log segment. Every line from the first bad one to the end moves, byte for
 * byte, into a side file, and the segment is cut before it. Then the records of the moved part
 * that are intact (their checksum holds) are written again, in seq order, each as long as it still
 * applies: a duplicated line is dropped, swapped lines go back in order, and the records after one
 * lost line stay, but a record that needed the lost one (a claim of a job whose enqueue was lost)
 * is dropped too. The report names every job whose record was dropped.
 */
import type { CorruptionError } from "../errors.ts";
import { decodeLine, sealedEnd, splitLines } from "./codec.ts";
import { FileLog } from "./log.ts";
import type { HomePaths } from "./paths.ts";
import { idsIn, underLock, writeSideFile } from "./quarantine.ts";
import { type LogRecord, RECORD_TYPES, type RecordBody } from "./records.ts";

export interface RepairOutcome {
  /** sentences for the report */
  done: string[];
  /** ids of jobs a dropped or unreadable record named: missing, or older than they were */
  lost: string[];
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
      return [rec.id];
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

export async function repairWal(
  paths: HomePaths,
  error: CorruptionError,
  now: Date,
): Promise<RepairOutcome | null> {
  if (!/^wal-\d{8}\.jsonl$/.test(error.file) || error.line < 1) return null;
  const path = `${paths.home}/${error.file}`;
  const cut = await underLock(paths, () => {
    const bytes = Deno.readFileSync(path);
    const { lines, complete } = splitLines(bytes);
    // the bad line may be the unterminated last one, which starts where the complete lines end
    const at = error.line - 1 < lines.length ? lines[error.line - 1][0] : complete;
    const side = writeSideFile(paths, error.file, bytes.subarray(at), now);
    const wal = Deno.openSync(path, { write: true });
    try {
      wal.truncateSync(at);
      wal.syncSync();
    } finally {
      wal.close();
    }
    const kept = new Set(
      lines.filter(([s]) => s < at).map(([s, e]) => decodeLine(bytes, s, e)).flatMap((r) =>
        r.ok ? [r.value.seq as number] : []
      ),
    );
    return { side, moved: bytes.slice(at), keptSeqs: kept };
  });
  const { lines, complete } = splitLines(cut.moved);
  const all: Array<[number, number]> = complete < cut.moved.length
    ? [...lines, [complete, cut.moved.length]]
    : lines;
  const intact: LogRecord[] = [];
  const lost = new Set<string>();
  const unreadable: string[] = [];
  for (let i = 0; i < all.length; i++) {
    for (const piece of pieces(cut.moved.subarray(all[i][0], all[i][1]))) {
      if (piece.rec) intact.push(piece.rec);
      else {
        const named = idsIn(piece.bytes);
        named.forEach((id) => lost.add(id));
        unreadable.push(
          `line ${error.line + i} (${
            named.length ? `naming ${named.join(", ")}` : "no job id readable: its jobs cannot be told"
          })`,
        );
      }
    }
  }
  // in seq order, each seq once, none already in the log; a seal stays out (its snapshot is not ours)
  intact.sort((a, b) => a.seq - b.seq);
  const seen = new Set(cut.keptSeqs);
  const candidates = intact.filter((rec) => {
    if (seen.has(rec.seq)) return false;
    seen.add(rec.seq);
    return rec.type !== "seal";
  });
  const skipped = intact.length - candidates.length;
  let reapplied = 0;
  const dropped: string[] = [];
  const log = new FileLog(paths);
  try {
    // seqs that no line holds any more: records deleted, or in unreadable lines
    let expect = await log.read((st) => st.seq) + 1;
    let missing = 0;
    for (const rec of candidates) {
      if (rec.seq > expect) missing += rec.seq - expect;
      expect = Math.max(expect, rec.seq + 1);
    }
    if (missing > unreadable.length) {
      unreadable.push(
        `${
          missing - unreadable.length
        } record(s) missing from the sequence: the jobs they named cannot be told`,
      );
    }
    for (const rec of candidates) {
      const { seq: _seq, ...body } = rec;
      try {
        // the record's own time stays; its seq follows the log as it now is
        await log.write(() => ({ records: [body as RecordBody], result: undefined }));
        reapplied++;
      } catch (e) {
        // only a record that does not apply is dropped; anything else stops the repair
        if (!/invalid record/.test((e as Error).message)) throw e;
        idsOf(rec).forEach((id) => lost.add(id));
        dropped.push(`${rec.type} (seq ${rec.seq})`);
      }
    }
  } finally {
    log.close();
  }
  const done = [
    `moved ${all.length} line(s) (${cut.moved.length} bytes) of ${error.file} from line ${error.line} on into ${cut.side}`,
    `wrote back ${reapplied} intact record(s) in seq order${
      skipped ? `, left out ${skipped} repeated or seal record(s)` : ""
    }`,
  ];
  if (unreadable.length) done.push(`unreadable: ${unreadable.join("; ")}`);
  if (dropped.length) done.push(`dropped record(s) that no longer apply: ${dropped.join(", ")}`);
  return { done, lost: [...lost] };
}
