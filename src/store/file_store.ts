/** The embedded Store: queue operations as decisions (decide.ts) over the log engine (log.ts). */
import type { BackoffConfig } from "../backoff.ts";
import type { Job, JobState } from "../job.ts";
import { decideClaim, decideDelete, decideEnqueue, decideFinish, decideRetry, holds } from "./decide.ts";
import { type Clock, systemClock } from "../clock.ts";
import { FileLog, type LogOptions } from "./log.ts";
import type { CompactionResult, Counts, FinishRequest, JobSpec, ListQuery, Store } from "./mod.ts";
import { homePaths } from "./paths.ts";

const DELETABLE: readonly JobState[] = [
  "pending",
  "failed",
  "completed",
  "dead",
];

export class FileStore implements Store {
  readonly log: FileLog;
  readonly #clock: Clock;

  constructor(home: string, options: LogOptions = {}) {
    this.log = new FileLog(homePaths(home), options);
    this.#clock = options.clock ?? systemClock;
  }

  enqueue(specs: JobSpec[], defaultMaxRetries: number): Promise<Job[]> {
    return this.log.write((s, now) => decideEnqueue(s, specs, defaultMaxRetries, now));
  }

  get(id: string): Promise<Job | undefined> {
    return this.log.read((s) => s.find(id));
  }

  list(query: ListQuery = {}): Promise<Job[]> {
    return this.log.read((s) => {
      const limit = query.limit ?? Infinity;
      const out: Job[] = [];
      if (limit <= 0) return out;
      const desc = query.order === "desc";
      const past = query.past ?? (desc ? Infinity : 0);
      const beyond = (job: Job) => desc ? job.seq < past : job.seq > past;
      const through = query.through ?? (desc ? -Infinity : Infinity);
      const within = (job: Job) => desc ? job.seq >= through : job.seq <= through;
      const needle = query.text?.toLowerCase();
      const wanted = (job: Job) =>
        !needle || job.id.toLowerCase().includes(needle) || job.command.toLowerCase().includes(needle);
      const archiveHolds = !query.state || query.state === "completed";
      // live and archived jobs, both in enqueue order: merge them, reading (and parsing) each only
      // as far as the limit needs
      const live = filtered(
        desc ? s.inOrderDesc(query.state) : s.inOrder(query.state),
        beyond,
        within,
        wanted,
      );
      const archived = archiveHolds && s.archived > 0 && s.archiveView
        ? filtered(s.archiveView.jobs(desc ? "desc" : "asc", query.past), () => true, within, wanted)
        : null;
      let a = live.next();
      let b = archived?.next();
      while (out.length < limit) {
        const takeLive = !a.done &&
          (!b || b.done || (desc ? a.value.seq > b.value.seq : a.value.seq < b.value.seq));
        if (takeLive) {
          out.push(a.value as Job);
          if (out.length < limit) a = live.next();
        } else if (b && !b.done) {
          out.push(b.value);
          if (out.length < limit) b = archived!.next();
        } else break;
      }
      return out;
    });
  }

  counts(): Promise<Counts> {
    return this.log.read((s) => ({ ...s.counts }));
  }

  claim(
    worker: string,
    slots: number,
    leaseSeconds: number,
    proceed: () => boolean = () => true,
  ): Promise<Job[]> {
    return this.log.write((s, now) =>
      proceed() ? decideClaim(s, worker, slots, leaseSeconds, now) : { records: [], result: [] }
    );
  }

  started(
    worker: string,
    id: string,
    attempt: number,
    pid: number,
    pidStart: number | null,
  ): Promise<boolean> {
    return this.log.write((s, now) => {
      // an expired lease is final: a rescuer may be taking the job back right now
      if (!holdsLease(s.jobs.get(id), worker, attempt, now)) {
        return { records: [], result: false };
      }
      return {
        records: [{
          type: "started",
          worker,
          id,
          attempt,
          pid,
          pid_start: pidStart,
        }],
        result: true,
      };
    });
  }

  finish(request: FinishRequest): Promise<Job | null> {
    return this.log.write((s, now) => decideFinish(s, request, now));
  }

  renew(worker: string, leaseSeconds: number, ids?: string[]): Promise<void> {
    return this.log.write((s, now) => {
      const live = (id: string) => {
        const job = s.jobs.get(id);
        return holdsLease(job, worker, job?.attempts ?? 0, now);
      };
      const holding = (ids ?? [...s.processing]).filter(live);
      const lease_until = new Date(now.getTime() + leaseSeconds * 1000).toISOString();
      // the record names its jobs: one whose lease expired meanwhile is not revived
      return {
        records: holding.length ? [{ type: "renew", worker, lease_until, ids: holding }] : [],
        result: undefined,
      };
    });
  }

  lost(isDead: (worker: string) => boolean): Promise<Job[]> {
    const nowIso = this.#clock.now().toISOString();
    return this.log.read((s) =>
      [...s.processing].map((id) => s.jobs.get(id)!).filter((j) => isLost(j, nowIso, isDead))
    );
  }

  takeBack(
    job: Job,
    isDead: (worker: string) => boolean,
    config: BackoffConfig,
  ): Promise<Job | null> {
    return this.log.write((s, now) => {
      const current = s.jobs.get(job.id);
      // the process group the rescuer killed must still be the one on record
      if (
        !holds(current, null, job.attempts) || current.pid !== job.pid ||
        !isLost(current, now.toISOString(), isDead)
      ) {
        return { records: [], result: null };
      }
      return decideFinish(
        s,
        {
          worker: null,
          id: job.id,
          attempt: job.attempts,
          outcome: { kind: "lost" },
          tail: null,
          config,
        },
        now,
      );
    });
  }

  hasWork(): Promise<boolean> {
    const nowIso = this.#clock.now().toISOString();
    return this.log.read((s) => {
      for (const id of s.waiting) {
        const job = s.jobs.get(id)!;
        if (job.state === "failed" || job.run_at <= nowIso) return true;
      }
      return false;
    });
  }

  retryDead(ids: string[] | "all"): Promise<Job[]> {
    return this.log.write((s) => decideRetry(s, ids));
  }

  delete(
    ids: string[],
    states: readonly JobState[] = DELETABLE,
  ): Promise<Job[]> {
    return this.log.write((s) => decideDelete(s, ids, states));
  }

  requestStop(): Promise<number> {
    return this.log.write((s) => ({
      records: [{ type: "stop_workers" }],
      result: s.seq + 1,
    }));
  }

  stopSeq(): Promise<number> {
    return this.log.read((s) => s.stopSeq);
  }

  head(): Promise<number> {
    return this.log.read((s) => s.seq);
  }

  nextDue(): Promise<string | null> {
    const nowIso = this.#clock.now().toISOString();
    return this.log.read((s) => {
      let next: string | null = null;
      for (const id of s.waiting) {
        const at = s.jobs.get(id)!.run_at;
        if (at > nowIso && (next === null || at < next)) next = at;
      }
      return next;
    });
  }

  compact(): Promise<CompactionResult> {
    return this.log.compact();
  }

  close(): void {
    this.log.close();
  }
}

/** The jobs of `jobs` (in order) beyond `past` and `within` the end, that `keep` accepts, read lazily. */
function* filtered(
  jobs: Iterable<Job>,
  past: (job: Job) => boolean,
  within: (job: Job) => boolean,
  keep: (job: Job) => boolean,
): Generator<Job> {
  for (const job of jobs) {
    if (!past(job)) continue;
    if (!within(job)) return;
    if (keep(job)) yield job;
  }
}

function isLost(
  job: Job,
  nowIso: string,
  isDead: (worker: string) => boolean,
): boolean {
  return (job.lease_until !== null && job.lease_until < nowIso) ||
    (job.worker !== null && isDead(job.worker));
}

/** `worker` holds `job` under claim `attempt`, and the lease has not expired at `now`. */
function holdsLease(job: Job | undefined, worker: string, attempt: number, now: Date): job is Job {
  return holds(job, worker, attempt) && job.lease_until !== null && job.lease_until >= now.toISOString();
}
