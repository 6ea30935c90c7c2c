/**
 * The runnable index of the live jobs a state holds in memory: which waiting job a claim takes
 * next, read from the head of a heap instead of a scan of every waiting job.
 *
 * - `due`: one heap per queue of jobs with no start time (or one that has come, once a claim saw
 *   it), in claim order: priority descending, then seq;
 * - `later`: one heap, by start time, of waiting jobs that have one; a claim moves those whose
 *   time has come into `due`.
 *
 * Built when something first asks (a claim, `hasWork`), from every waiting job, then kept current
 * by the reducer: every job it puts is `note`d. Entries are never removed in place: an entry
 * whose job no longer matches it (claimed, changed, deleted, blocked) is dropped when it reaches
 * the head ("lazy deletion"), so a note costs one push and a claim pops what it skips.
 * Jobs waiting for a dependency are not indexed until the reducer notes them again (it does when
 * the dependency completes).
 *
 * A snapshot's waiting jobs that are not parsed yet are indexed from the claim key its header
 * gives them (version 5: lazy_jobs.ts `waitingKeys()`), so building the index parses no job: a job
 * is parsed when its entry reaches a head, and if a dependency blocks it then, its entry is dropped
 * as any other that no longer matches (the reducer notes it again when the dependency completes).
 */
import { claimsBefore, isWaiting, type Job } from "../job.ts";
import { Heap } from "./heap.ts";
import type { KeyedLine } from "./lazy_jobs.ts";

interface Entry {
  id: string;
  queue: string;
  priority: number;
  seq: number;
  /** run_at in ms since the epoch, or -Infinity for "as soon as possible" */
  at: number;
}

export interface IndexSource {
  job(id: string): Job | undefined;
  /** true while some dependency of `job` has not completed */
  blocked(job: Job): boolean;
}

function atOf(job: Pick<Job, "run_at">): number {
  return job.run_at === null ? -Infinity : Date.parse(job.run_at);
}

function entryOf(job: Job): Entry {
  return { id: job.id, queue: job.queue, priority: job.priority, seq: job.seq, at: atOf(job) };
}

function laterBefore(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export class RunnableIndex {
  readonly #source: IndexSource;
  readonly #due = new Map<string, Heap<Entry>>();
  readonly #later: Heap<Entry>;

  /**
   * `jobs`: the waiting jobs, parsed or as the keys of unparsed snapshot lines (`waitingKeys()`),
   * gathered first and arranged into heaps in one pass each (not pushed one by one).
   */
  constructor(source: IndexSource, jobs: Iterable<Job | KeyedLine>) {
    this.#source = source;
    const due = new Map<string, Entry[]>();
    const later: Entry[] = [];
    for (const job of jobs) {
      // a header's key is an entry as it is
      const entry = "state" in job ? this.#indexable(job) ? entryOf(job) : null : job;
      if (!entry) continue;
      if (entry.at !== -Infinity) later.push(entry);
      else {
        const list = due.get(entry.queue);
        if (list) list.push(entry);
        else due.set(entry.queue, [entry]);
      }
    }
    for (const [queue, entries] of due) this.#due.set(queue, new Heap(claimsBefore, entries));
    this.#later = new Heap(laterBefore, later);
  }

  /** A job was put into the state: index it if it may be claimed some day. */
  note(job: Job): void {
    if (!this.#indexable(job)) return;
    const entry = entryOf(job);
    if (entry.at === -Infinity) this.#heap(job.queue).push(entry);
    else this.#later.push(entry);
  }

  #indexable(job: Job): boolean {
    return isWaiting(job.state) && !this.#source.blocked(job);
  }

  #heap(queue: string): Heap<Entry> {
    let h = this.#due.get(queue);
    if (!h) {
      h = new Heap<Entry>(claimsBefore);
      this.#due.set(queue, h);
    }
    return h;
  }

  /** The entry still describes a waiting, unblocked job. */
  #current(e: Entry): Job | undefined {
    const job = this.#source.job(e.id);
    if (
      !job || !isWaiting(job.state) || job.queue !== e.queue || job.priority !== e.priority ||
      job.seq !== e.seq || atOf(job) !== e.at || this.#source.blocked(job)
    ) return undefined;
    return job;
  }

  /** Moves the waiting jobs whose start time is at or before `nowMs` to their queue's heap. */
  promote(nowMs: number): void {
    for (let e = this.#later.peek(); e && e.at <= nowMs; e = this.#later.peek()) {
      this.#later.pop();
      if (this.#current(e)) this.#heap(e.queue).push(e);
    }
  }

  /** The queues that may hold due jobs. */
  queues(): IterableIterator<string> {
    return this.#due.keys();
  }

  #head(heap: Heap<Entry>): Job | undefined {
    for (let e = heap.peek(); e; e = heap.peek()) {
      const job = this.#current(e);
      if (job) return job;
      heap.pop();
    }
    return undefined;
  }

  /**
   * The best due job of `queue` that is not in `taken` (ids already picked by the claim being
   * decided), or undefined; call `promote(now)` first. Taken heads are popped into `popped`, and
   * `restore(popped)` puts them back, so a decision leaves the index as it found it.
   */
  next(queue: string, taken: Set<string>, popped: Entry[]): Job | undefined {
    const heap = this.#due.get(queue);
    if (!heap) return undefined;
    for (;;) {
      const job = this.#head(heap);
      if (!job || !taken.has(job.id)) return job;
      popped.push(heap.pop()!);
    }
  }

  /** Takes the head of `queue` (the job `next` returned), remembering it in `popped`. */
  take(queue: string, popped: Entry[]): void {
    popped.push(this.#due.get(queue)!.pop()!);
  }

  restore(popped: Entry[]): void {
    for (const e of popped) this.#heap(e.queue).push(e);
  }

  /** The earliest start time (ms) of a waiting job that is not due at `nowMs`, if any. */
  nextDue(nowMs: number): number | null {
    this.promote(nowMs);
    for (let e = this.#later.peek(); e; e = this.#later.peek()) {
      if (this.#current(e)) return e.at;
      this.#later.pop();
    }
    return null;
  }
}

export type { Entry as IndexEntry };
