/**
 * The pending segments as one loaded state sees them (pending.ts is their file format): their
 * records and what of them is consumed, both from the snapshot and advanced by the log's
 * records since, and a reader of their files (wired by log.ts). It answers lookups, listings and
 * prefix searches over the jobs still waiting in them, and gives claims their lists; the reducer
 * consumes the places that records name. A job consumed here lives on among the live jobs (a
 * record took it out: claimed, cancelled, deleted, or promoted once its time came).
 */
import { type Job, upgradeJob } from "../job.ts";
import type { PendingList, PendingReader, PendingSegment } from "./pending.ts";
import { consume, consumed, type Consumption, freshConsumption, remaining } from "./pending_consumption.ts";
import type { SegRef } from "./records.ts";

export class PendingSet {
  /** in use, oldest first */
  segments: PendingSegment[] = [];
  /** segment number → one consumption per list */
  readonly consumption = new Map<number, Consumption[]>();
  /** reads the files; absent for a state that has no segments on disk */
  reader: PendingReader | null = null;

  /** Jobs still waiting in the segments. */
  get waiting(): number {
    let n = 0;
    for (const seg of this.segments) n += remaining(seg, this.consumption.get(seg.n));
    return n;
  }

  add(seg: PendingSegment): void {
    this.segments = [...this.segments, seg];
    this.consumption.set(seg.n, freshConsumption(seg));
  }

  /** Replaces `gone` by `added` (a rewrite) or nothing (a drop). */
  replace(gone: readonly PendingSegment[], added: PendingSegment | null): void {
    const names = new Set(gone.map((s) => s.n));
    this.segments = this.segments.filter((s) => !names.has(s.n));
    for (const n of names) this.consumption.delete(n);
    if (added) this.add(added);
  }

  segment(n: number): PendingSegment | undefined {
    return this.segments.find((s) => s.n === n);
  }

  /** Why `ref` cannot be consumed now, or null. */
  problem(ref: SegRef): string | null {
    const [n, list, pos] = ref;
    const seg = this.segment(n);
    if (!seg) return `pending segment ${n} is not in use`;
    if (!(list >= 0 && list < seg.lists.length)) return `pending segment ${n} has no list ${list}`;
    if (!(Number.isInteger(pos) && pos >= 0 && pos < seg.lists[list].count)) {
      return `list ${list} of pending segment ${n} has no position ${pos}`;
    }
    if (consumed(this.consumption.get(n)![list], pos)) {
      return `position ${pos} of list ${list} of pending segment ${n} is used up`;
    }
    return null;
  }

  /** Marks `ref` used up (the caller checked `problem`). */
  consume(ref: SegRef): void {
    const [n, list, pos] = ref;
    const cs = [...this.consumption.get(n)!];
    cs[list] = consume(cs[list], pos);
    this.consumption.set(n, cs);
  }

  isConsumed(ref: SegRef): boolean {
    const cs = this.consumption.get(ref[0]);
    return !cs || consumed(cs[ref[1]], ref[2]);
  }

  /** The waiting job `id` and its place, if a segment holds it unconsumed. */
  lookup(id: string): { job: Job; ref: SegRef } | undefined {
    if (!this.reader) return undefined;
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const seg = this.segments[i];
      if (seg.jobs === 0 || id < seg.min_id || id > seg.max_id) continue;
      const found = this.reader.lookup(seg, id);
      if (!found) continue;
      const ref: SegRef = [seg.n, found.list, found.pos];
      if (this.isConsumed(ref)) continue;
      return { job: upgradeJob(found.job as Job), ref };
    }
    return undefined;
  }

  /** The first of `ids` that waits in a segment, for duplicate checks. */
  findAny(ids: readonly string[]): string | undefined {
    if (!this.reader || ids.length === 0) return undefined;
    for (const seg of this.segments) {
      for (const e of this.reader.findIds(seg, ids)) {
        if (!this.isConsumed([seg.n, e.list, e.pos])) return e.id;
      }
    }
    return undefined;
  }

  /** Waiting ids starting with `prefix`, sorted, at most `limit`. */
  idsWithPrefix(prefix: string, limit: number): string[] {
    if (!this.reader) return [];
    const out: string[] = [];
    for (const seg of this.segments) {
      for (const e of this.reader.idsWithPrefix(seg, prefix, limit + out.length)) {
        if (!this.isConsumed([seg.n, e.list, e.pos])) out.push(e.id);
      }
    }
    return out.sort().slice(0, limit);
  }

  /** Waiting jobs in enqueue order (newest first for "desc"), past seq `past`. */
  *jobs(order: "asc" | "desc", past?: number): Generator<Job> {
    if (!this.reader || this.segments.length === 0) return;
    const it = order === "desc"
      ? this.reader.jobsDesc(this.segments, this.consumption, past ?? Infinity)
      : this.reader.jobs(this.segments, this.consumption, past ?? -Infinity);
    for (const job of it) yield upgradeJob(job as Job);
  }

  /** The lists of `kind`, with their segment: what claims walk. */
  *lists(kind: PendingList["kind"]): Generator<{ seg: PendingSegment; list: number; queue: string }> {
    for (const seg of this.segments) {
      for (const [list, l] of seg.lists.entries()) if (l.kind === kind) yield { seg, list, queue: l.queue };
    }
  }

  /** The unconsumed entries of a list from its first on (see PendingReader.walk). */
  walk(seg: PendingSegment, list: number) {
    return this.reader!.walk(seg, list, this.consumption.get(seg.n)![list]);
  }

  /** The job at a list's position, as claims read it. */
  at(ref: SegRef): Job {
    const seg = this.segment(ref[0])!;
    return upgradeJob(this.reader!.at(seg, ref[1], ref[2]).job as Job);
  }

  /** What the snapshot stores of them. */
  toJSON(): { segments: PendingSegment[]; consumption: Array<[number, Consumption[]]> } {
    return { segments: this.segments, consumption: [...this.consumption] };
  }
}
