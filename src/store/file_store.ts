/** The embedded Store: queue operations as decisions (decide/) over the log engine (log.ts). */
import { type Clock, systemClock } from "../clock.ts";
import type { Job, JobState } from "../job.ts";
import { lazy, type LazyModule } from "../lazy.ts";
import type { ClaimRequest } from "./decide/claim.ts";
import { decideEnqueue, type EnqueueDefaults, type EnqueueResult } from "./decide/enqueue.ts";
import type { FinishRequest } from "./decide/finish.ts";
import type { TickResult } from "./decide/schedule.ts";
import { type CompactionResult, type Decide, FileLog, type LogOptions } from "./log.ts";
import type { PruneRequest, PruneResult } from "./decide/prune.ts";
import type { CascadeResult, Counts, JobSpec, ListQuery, QueueInfo, Store } from "./mod.ts";
import { homePaths } from "./paths.ts";
import type { QueueSettings, Schedule } from "./records.ts";
import { queueListed } from "./queue_listing.ts";
import type { QueueState } from "./state.ts";
import { mergeSources, type SeqSource } from "./seq_merge.ts";

const DELETABLE: readonly JobState[] = ["pending", "failed", "completed", "dead"];

/** A worker's record: written at once, synced within SYNC_AFTER_MS (log.ts, DURABILITY). */
const WORKER = false;

/**
 * A decide module, imported on first use (lazy.ts): a call loads the decisions it makes, and an
 * enqueue, the commonest, none but its own. `value` is there once `load()` has settled; log.ts
 * waits for that, in the call's turn, before it decides.
 */
class Code<M> {
  value: M | undefined;
  #loading: Promise<M> | undefined;
  readonly #name: LazyModule;

  constructor(name: LazyModule) {
    this.#name = name;
  }

  load(): Promise<M> {
    return this.#loading ??= lazy<M>(this.#name).then((m) => this.value = m);
  }
}

export class FileStore implements Store {
  readonly log: FileLog;
  readonly #clock: Clock;
  readonly #claimCode = new Code<typeof import("./decide/claim.ts")>("src/store/decide/claim.ts");
  readonly #finishCode = new Code<typeof import("./decide/finish.ts")>("src/store/decide/finish.ts");
  readonly #manageCode = new Code<typeof import("./decide/manage.ts")>("src/store/decide/manage.ts");
  readonly #scheduleCode = new Code<typeof import("./decide/schedule.ts")>("src/store/decide/schedule.ts");
  readonly #pruneCode = new Code<typeof import("./decide/prune.ts")>("src/store/decide/prune.ts");
  readonly #rerunCode = new Code<typeof import("./decide/rerun.ts")>("src/store/decide/rerun.ts");

  constructor(home: string, options: LogOptions = {}) {
    this.log = new FileLog(homePaths(home), options);
    this.#clock = options.clock ?? systemClock;
  }

  /** Writes what `decide` decides with the module of `code` (loaded first, in the write's turn). */
  #write<M, T>(code: Code<M>, decide: (module: M) => Decide<T>, durable = true): Promise<T> {
    if (code.value) return this.log.write(decide(code.value), durable);
    return this.log.write((s, now) => decide(code.value!)(s, now), durable, code.load());
  }

  enqueue(specs: JobSpec[], defaults: EnqueueDefaults): Promise<EnqueueResult[]> {
    return this.log.write((s, now) => decideEnqueue(s, specs, defaults, now));
  }

  get(id: string): Promise<Job | undefined> {
    return this.log.read((s) => s.find(id));
  }

  idsWithPrefix(prefix: string, limit: number): Promise<string[]> {
    return this.log.read((s) => {
      const out = new Set<string>();
      for (const id of s.jobs.keysWithPrefix(prefix)) out.add(id);
      for (const id of s.archiveView?.idsWithPrefix(prefix, limit + 1) ?? []) out.add(id);
      for (const id of s.pending.idsWithPrefix(prefix, limit + 1)) out.add(id);
      return [...out].sort().slice(0, limit);
    });
  }

  list(query: ListQuery = {}): Promise<Job[]> {
    return this.log.read((s) => listJobs(s, query));
  }

  counts(): Promise<Counts> {
    return this.log.read((s) => ({ ...s.counts }));
  }

  queues(): Promise<QueueInfo[]> {
    return this.log.read((s) => {
      const names = [...new Set([...s.byQueue.keys(), ...s.queues.keys()])].sort();
      const listed = names.filter((name) => queueListed(s.settings(name), s.queueCounts(name)));
      return listed.map((name) => ({ name, ...s.settings(name), counts: { ...s.queueCounts(name) } }));
    });
  }

  setQueue(name: string, change: Partial<QueueSettings>): Promise<QueueSettings> {
    return this.#write(this.#manageCode, (d) => (s) => d.decideQueue(s, name, change));
  }

  claim(request: ClaimRequest, proceed: () => boolean = () => true): Promise<Job[]> {
    return this.#write(
      this.#claimCode,
      (d) => (s, now) => proceed() ? d.decideClaim(s, request, now) : { records: [], result: [] },
      WORKER,
    );
  }

  finish(request: FinishRequest): Promise<Job | null> {
    return this.#write(this.#finishCode, (d) => (s, now) => d.decideFinish(s, request, now), WORKER);
  }

  unclaim(worker: string, id: string, claim: number): Promise<Job | null> {
    return this.#write(
      this.#finishCode,
      (d) => (s, now) => d.decideUnclaim(s, worker, id, claim, now),
      WORKER,
    );
  }

  renew(
    worker: string,
    leaseSeconds: number,
    holds: ReadonlyArray<readonly [string, number]>,
  ): Promise<void> {
    return this.#write(
      this.#finishCode,
      (d) => (s, now) => d.decideRenew(s, worker, holds, leaseSeconds, now),
      WORKER,
    );
  }

  processing(): Promise<Job[]> {
    return this.log.read((s) => [...s.processing].map((id) => s.jobs.get(id)!));
  }

  dependents(ids: string[]): Promise<Job[]> {
    const code = this.#manageCode;
    return this.log.read((s) => code.value!.dependentsOf(s, ids), code.load());
  }

  killRequests(worker: string): Promise<Job[]> {
    return this.log.read((s) =>
      [...s.processing].map((id) => s.jobs.get(id)!).filter((j) =>
        j.worker === worker && j.kill !== undefined
      )
    );
  }

  hasWork(queues?: readonly string[]): Promise<boolean> {
    const now = this.#clock.now();
    const claim = this.#claimCode;
    return this.log.read((s) => {
      const room = claim.value!.room;
      const serves = (queue: string) => (!queues || queues.includes(queue)) && room(s, queue) > 0;
      const index = s.runnable;
      index.promote(now.getTime());
      for (const queue of index.queues()) {
        if (serves(queue) && index.next(queue, new Set(), [])) return true;
      }
      for (const { seg, list, queue } of s.pending.lists("due")) {
        if (serves(queue) && !s.pending.walk(seg, list).next().done) return true;
      }
      for (const { seg, list, queue } of s.pending.lists("scheduled")) {
        const head = s.pending.walk(seg, list).next();
        if (serves(queue) && !head.done && Date.parse(head.value.entry.run_at!) <= now.getTime()) return true;
      }
      // a failed job waits for its retry: a draining worker waits with it (the count first: the
      // loop parses every waiting job, thousands of them scheduled far ahead in a history)
      if (s.counts.failed === 0) return false;
      for (const id of s.waiting) {
        const job = s.jobs.get(id)!;
        if (
          job.state === "failed" && (!queues || queues.includes(job.queue)) && !s.settings(job.queue).paused
        ) {
          return true;
        }
      }
      return false;
    }, claim.value ? undefined : claim.load());
  }

  nextDue(): Promise<string | null> {
    const now = this.#clock.now();
    return this.log.read((s) => {
      let at = s.runnable.nextDue(now.getTime());
      for (const { seg, list } of s.pending.lists("scheduled")) {
        const head = s.pending.walk(seg, list).next();
        if (head.done) continue;
        const ms = Date.parse(head.value.entry.run_at!);
        if (ms > now.getTime() && (at === null || ms < at)) at = ms;
      }
      return at === null ? null : new Date(at).toISOString();
    });
  }

  retryDead(ids: string[] | "all"): Promise<Job[]> {
    return this.#write(this.#manageCode, (d) => (s, now) => d.decideRetry(s, ids, now));
  }

  delete(ids: string[], states: readonly JobState[] = DELETABLE): Promise<CascadeResult> {
    return this.#write(this.#manageCode, (d) => (s, now) => d.decideDelete(s, ids, states, now));
  }

  cancel(ids: string[]): Promise<CascadeResult> {
    return this.#write(this.#manageCode, (d) => (s, now) => d.decideCancel(s, ids, now));
  }

  rerun(id: string): Promise<Job> {
    return this.#write(this.#rerunCode, (d) => (s, now) => d.decideRerun(s, id, now));
  }

  kill(ids: string[], reason = "killed"): Promise<Job[]> {
    return this.#write(this.#manageCode, (d) => (s, now) => d.decideKill(s, ids, reason, now));
  }

  schedules(): Promise<Schedule[]> {
    return this.log.read((s) => [...s.schedules.values()].sort((a, b) => a.name.localeCompare(b.name)));
  }

  addSchedule(schedule: Schedule): Promise<Schedule> {
    return this.#write(this.#scheduleCode, (d) => (s) => d.decideScheduleAdd(s, schedule));
  }

  removeSchedule(name: string): Promise<Schedule> {
    return this.#write(this.#scheduleCode, (d) => (s) => d.decideScheduleRemove(s, name));
  }

  pauseSchedule(name: string, paused: boolean, skipThrough: string | null = null): Promise<Schedule> {
    return this.#write(this.#scheduleCode, (d) => (s) => d.decideSchedulePause(s, name, paused, skipThrough));
  }

  tick(name: string, tick: string, maxRetries: number): Promise<TickResult> {
    return this.#write(
      this.#scheduleCode,
      (d) => (s, now) => d.decideTick(s, name, tick, maxRetries, now),
      WORKER,
    );
  }

  requestStop(): Promise<number> {
    return this.#write(this.#manageCode, (d) => (s) => d.decideStop(s));
  }

  stopSeq(): Promise<number> {
    return this.log.read((s) => s.stopSeq);
  }

  head(): Promise<number> {
    return this.log.read((s) => s.seq);
  }

  compact(): Promise<CompactionResult> {
    return this.log.compact();
  }

  async prune(request: PruneRequest): Promise<PruneResult> {
    const result = await this.#write(this.#pruneCode, (d) => (s) => d.decidePrune(s, request));
    this.log.removeJobLogs(result.legacy);
    await this.log.removeUnusedOutputs();
    return result;
  }

  close(): void {
    this.log.close();
  }
}

/**
 * `list`: live, archived and pending-segment jobs merged in enqueue order, each source read (and
 * parsed) only as far as the limit needs.
 */
function listJobs(s: QueueState, query: ListQuery): Job[] {
  const limit = query.limit ?? Infinity;
  if (limit <= 0) return [];
  const desc = query.order === "desc";
  const past = query.past ?? (desc ? Infinity : 0);
  const beyond = (job: Job) => desc ? job.seq < past : job.seq > past;
  const through = query.through ?? (desc ? -Infinity : Infinity);
  const within = (job: Job) => desc ? job.seq >= through : job.seq <= through;
  const needle = query.text?.toLowerCase();
  const wanted = (job: Job) =>
    (!query.queue || job.queue === query.queue) &&
    (!needle || job.id.toLowerCase().includes(needle) || job.command.toLowerCase().includes(needle));
  const order = desc ? "desc" : "asc";
  const now = desc ? Infinity : -Infinity;
  const sources: SeqSource<Job>[] = s.liveRuns(desc, query.state).map((run) => ({
    reach: run.reach,
    open: () => filtered(run.open(), beyond, within, wanted),
  }));
  const archive = s.archiveView;
  if ((!query.state || query.state === "completed") && s.archived > 0 && archive) {
    sources.push({
      reach: now,
      open: () => filtered(archive.jobs(order, query.past)[Symbol.iterator](), () => true, within, wanted),
    });
  }
  if (!query.state || query.state === "pending") {
    sources.push({
      reach: now,
      open: () => filtered(s.pending.jobs(order, query.past), () => true, within, wanted),
    });
  }
  return take(mergeSources(sources, desc), limit);
}

function take<T>(it: Iterator<T>, limit: number): T[] {
  const out: T[] = [];
  while (out.length < limit) {
    const r = it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

/** The jobs of `jobs` (in order) beyond `past` and `within` the end, that `keep` accepts, read lazily. */
function* filtered(
  jobs: Iterator<Job>,
  past: (job: Job) => boolean,
  within: (job: Job) => boolean,
  keep: (job: Job) => boolean,
): Generator<Job> {
  for (let r = jobs.next(); !r.done; r = jobs.next()) {
    const job = r.value;
    if (!past(job)) continue;
    if (!within(job)) return;
    if (keep(job)) yield job;
  }
}
