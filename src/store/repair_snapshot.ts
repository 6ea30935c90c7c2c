/**
 * A damaged snapshot under repair. An older generation is gone once compaction completes, so the
 * state is rebuilt in memory from what is intact (repair.ts writes it as a new generation): the
 * file is copied, byte for byte, into a side file; every job line whose checksum holds is kept;
 * the header's counters, archive, pending segments, queues and schedules are kept when the header's
 * own checksum holds, and otherwise derived: seq from the log that follows, the archive from the
 * segments on disk (each rewritten from its intact lines), the waiting jobs from the pending
 * segments on disk (repair_pending.ts). The log of the generation then replays on top as usual; a
 * record naming a lost job is dropped by the log's replay.
 */
import { type Job, upgradeJob } from "../job.ts";
import type { Segment } from "./archive.ts";
import { lineOf, writeSegment } from "./archive_write.ts";
import { decodeLine, splitLines } from "./codec.ts";
import { type HomePaths, scanGenerations } from "./paths.ts";
import { idsIn, writeSideFile } from "./quarantine.ts";
import { adoptPendingFromDisk } from "./repair_pending.ts";
import { headerSettings } from "./snapshot.ts";
import type { RepairOutcome } from "./repair_wal.ts";
import { QueueState } from "./state.ts";

const isJob = (v: Record<string, unknown>): boolean =>
  typeof v.id === "string" && typeof v.state === "string" && typeof v.seq === "number" &&
  typeof v.command === "string";

export interface SnapshotOutcome extends RepairOutcome {
  state: QueueState;
}

/** Rebuilds the state of snapshot `gen` from its intact parts (the file stays as it is). */
export function salvageSnapshot(paths: HomePaths, gen: number, now: Date): SnapshotOutcome {
  const path = paths.snapshot(gen);
  const file = path.slice(paths.home.length + 1);
  const bytes = Deno.readFileSync(path);
  const { lines, complete } = splitLines(bytes);
  const all: Array<[number, number]> = complete < bytes.length ? [...lines, [complete, bytes.length]] : lines;
  let header: Record<string, unknown> | null = null;
  const jobs = new Map<string, Job>();
  const unreadable: number[] = [];
  const named = new Set<string>();
  /** from version 6, line 2: the ids of the ended job lines */
  let endedIds: string[] = [];
  /** the seq and stop_seq a damaged header still shows, if it does */
  let head: HeadCounters = { seq: null, stop: null };
  for (let i = 0; i < all.length; i++) {
    const r = decodeLine(bytes, all[i][0], all[i][1]);
    if (r.ok && r.value.format === "queuectl-snapshot" && i === 0) header = r.value;
    else if (r.ok && r.value.directory === "ended" && i === 1 && Array.isArray(r.value.ids)) {
      endedIds = r.value.ids.filter((id): id is string => typeof id === "string");
    } else if (r.ok && isJob(r.value)) {
      if (!jobs.has(r.value.id as string)) {
        jobs.set(r.value.id as string, upgradeJob(r.value as unknown as Job));
      }
    } else if (!(r.ok && r.value.end === true)) {
      unreadable.push(i + 1);
      const raw = bytes.subarray(all[i][0], all[i][1]);
      [...idsIn(raw), ...(i <= 1 ? listedIds(raw) : [])].forEach((id) => named.add(id));
      if (i === 0) head = { seq: counterIn(raw, "seq"), stop: counterIn(raw, "stop_seq") };
    }
  }
  // an intact header without the directory and archive this repair keeps (version 1, or 2 before its
  // directory) is derived from disk too: its counters still hold
  if (header) head = { seq: counterOf(header.seq), stop: counterOf(header.stop_seq) };
  const side = writeSideFile(paths, file, bytes, now);
  const state = new QueueState();
  for (const job of [...jobs.values()].sort((a, b) => a.seq - b.seq)) state.put(job);
  const done = [`moved ${file} (${bytes.length} bytes) into ${side}`];
  const lost = new Set<string>();
  if (header && Array.isArray(header.archive) && Array.isArray(header.ids)) {
    state.seq = header.seq as number;
    state.nextOrder = header.next_order as number;
    state.stopSeq = header.stop_seq as number;
    state.archive = header.archive as Segment[];
    state.tombstones = new Map(header.tombstones as Array<[string, number]>);
    state.nextSegment = header.next_segment as number;
    state.archived = header.archived as number;
    // the header's checksum holds, so its pending segments make sense too; checked as a load checks them
    headerSettings(state, header, (seg, problem) => {
      done.push(`left out pending segment ${seg.n}: ${problem}; its waiting jobs cannot be told`);
    });
    for (const id of [...header.ids as string[], ...endedIds]) if (!jobs.has(id)) lost.add(id);
    // version 6 with its line 2 unreadable: the ended ids left are those damaged lines still show
    const ended = (header.ended as { jobs?: unknown } | undefined)?.jobs;
    if (typeof ended === "number" && ended > endedIds.length) {
      named.forEach((id) => !jobs.has(id) && lost.add(id));
    }
  } else {
    derive(paths, gen, state, done, now, lost, head);
    // from version 6 the header lists only the jobs that may still run: an intact line 2 names the ended ones
    [...named, ...endedIds].forEach((id) => !jobs.has(id) && lost.add(id));
    if (!header) {
      done.push("the header is unreadable: live jobs it listed beyond those named here cannot be told");
    }
  }
  done.push(
    `rebuilt its state from ${jobs.size} intact job line(s)${
      header ? " and its header" : ", without its header"
    }${unreadable.length ? `; unreadable line(s) ${unreadable.join(", ")}` : ""}`,
  );
  return { state, done, lost: [...lost] };
}

function counterOf(value: unknown): number | null {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? value as number : null;
}

/** The `"<name>":N` (seq, stop_seq) a damaged header still shows, or null. */
function counterIn(raw: Uint8Array, name: "seq" | "stop_seq"): number | null {
  const m = new TextDecoder().decode(raw).match(new RegExp(`"${name}":(\\d{1,15})[,}]`));
  return m ? Number(m[1]) : null;
}

/** The ids a damaged header still lists in its directory (`"ids":["a","b",…`), as far as it goes. */
function listedIds(raw: Uint8Array): string[] {
  const text = new TextDecoder().decode(raw);
  const at = text.indexOf('"ids":[');
  if (at < 0) return [];
  const list = text.slice(at + 7, text.indexOf("]", at) < 0 ? undefined : text.indexOf("]", at));
  return [...list.matchAll(/"([A-Za-z0-9._:@+-]{1,128})"/g)].map((m) => m[1]);
}

interface HeadCounters {
  seq: number | null;
  stop: number | null;
}

/**
 * Without a header: the archive and the waiting jobs from the segments on disk, and the seq from
 * the log that follows. Queue settings and schedules lived in the header alone. With no record in
 * the log (right after a compaction), the seq is the highest the home still shows: the damaged
 * header's own `"seq"` if it still reads, the claim tokens of the jobs (each a claim record's seq),
 * and the enqueue orders (at least as high as the records that enqueued them one by one), so the
 * head never goes back to seqs other processes saw (claim tokens a running worker may hold).
 * The last stop request's seq (`worker stop`) is the header's `"stop_seq"` if it still reads, and
 * counts among those seqs; a value past a log's first record is damage (one past the head would
 * stop every worker started since) and is dropped. A damaged digit that still reads as a number
 * cannot be told from the real one.
 */
function derive(
  paths: HomePaths,
  gen: number,
  state: QueueState,
  done: string[],
  now: Date,
  lost: Set<string>,
  head: HeadCounters,
): void {
  const found = scanGenerations(paths.home);
  let maxSeq = 0;
  for (const job of state.jobs.values()) maxSeq = Math.max(maxSeq, job.seq);
  const segments: Segment[] = [];
  for (const n of found.archives) {
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(paths.archiveJobs(n));
    } catch {
      continue; // an index without its jobs file holds no job
    }
    const jobs: Job[] = [];
    let bad = 0;
    for (const [s, e] of splitLines(bytes).lines) {
      const r = decodeLine(bytes, s, e);
      if (r.ok && isJob(r.value)) jobs.push(r.value as unknown as Job);
      else {
        bad++;
        idsIn(bytes.subarray(s, e)).forEach((id) => lost.add(id));
      }
    }
    const unique = [...new Map(jobs.map((j) => [j.id, j])).values()];
    if (bad > 0 || unique.length !== jobs.length) {
      const name = paths.archiveJobs(n).slice(paths.home.length + 1);
      done.push(`moved ${name} into ${writeSideFile(paths, name, bytes, now)}: ${bad} unreadable line(s)`);
    }
    const seg = writeSegment(paths, n, unique.map(lineOf));
    segments.push(seg);
    maxSeq = Math.max(maxSeq, seg.max_seq);
  }
  state.archive = segments.filter((s) => s.jobs > 0);
  state.archived = state.archive.reduce((n, s) => n + s.jobs, 0);
  state.nextSegment = Math.max(0, ...found.archives, ...found.pendings) + 1;
  const archivedIds = new Set<string>();
  for (const n of found.archives) {
    try {
      for (const line of Deno.readTextFileSync(paths.archiveIndex(n)).split("\n")) {
        if (line.includes(" ")) archivedIds.add(line.slice(0, line.indexOf(" ")));
      }
    } catch { /* rewritten above, or gone */ }
  }
  const waiting = adoptPendingFromDisk(paths, state, found.pendings, archivedIds, now, done, lost);
  maxSeq = Math.max(maxSeq, waiting.maxSeq);
  state.nextOrder = maxSeq + 1;
  // the log that follows starts right after the snapshot's seq
  let first: number | null = null;
  try {
    const wal = Deno.readFileSync(paths.wal(gen));
    const line = splitLines(wal).lines[0];
    const r = line ? decodeLine(wal, line[0], line[1]) : null;
    if (r?.ok && typeof r.value.seq === "number") first = r.value.seq;
  } catch { /* no log yet */ }
  let claims = 0;
  for (const job of state.jobs.values()) claims = Math.max(claims, job.claim ?? 0);
  // a stop request is a record's seq that workers have seen: the head never goes below it either
  state.seq = first !== null ? first - 1 : Math.max(maxSeq, claims, head.seq ?? 0, head.stop ?? 0);
  const stop = head.stop !== null && head.stop <= state.seq ? head.stop : null;
  state.stopSeq = stop ?? 0;
  done.push(
    `derived the header: seq ${state.seq}, ${state.archive.length} archive segment(s) with ${state.archived} job(s) from disk, ${waiting.jobs} waiting job(s) from ${found.pendings.length} pending segment(s); deleted jobs may show again, and queue settings and schedules are lost`,
  );
  const again = "a worker asked to stop before may go on (`queuectl worker stop` asks again)";
  if (head.stop === null) done.push(`the last stop request could not be read: ${again}`);
  else if (stop === null) {
    done.push(
      `dropped the stop request the damaged header shows (seq ${head.stop}), past the log's first record: ${again}`,
    );
  } else if (stop > 0) done.push(`kept the last stop request (seq ${stop})`);
}
