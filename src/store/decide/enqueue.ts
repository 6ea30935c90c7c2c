/**
 * Enqueue decisions: ids (given or generated), duplicates, unique keys, dependencies. Pure over a
 * caught-up state; refusals throw before any record exists.
 */
import { DependencyNotFoundError, DuplicateJobError, UsageError } from "../../errors.ts";
import { idMaker } from "../../ids.ts";
import { isWaiting, type Job, type NewJob, newJob } from "../../job.ts";
import type { Decision } from "../log.ts";
import type { JobSpec } from "../mod.ts";
import type { Loaded, RecordBody } from "../records.ts";
import type { QueueState } from "../state.ts";

export interface EnqueueResult {
  job: Job;
  /** an enqueue absorbed by a live job holding the same unique key: `job` is that job */
  existing: boolean;
}

export interface EnqueueDefaults {
  max_retries: number;
}

export function decideEnqueue(
  state: QueueState,
  specs: readonly JobSpec[],
  defaults: EnqueueDefaults,
  now: Date,
  rand: () => number = Math.random,
): Decision<EnqueueResult[]> {
  const at = now.toISOString();
  // generated ids carry the time and 40 random bits, so only given ids can repeat an archived one
  const given = specs.flatMap((spec) => spec.id === undefined || state.jobs.has(spec.id) ? [] : [spec.id]);
  const archived = (state.archived > 0 ? state.archiveView?.findAny(given) : undefined) ??
    state.pending.findAny(given);
  if (archived !== undefined) throw new DuplicateJobError(archived);
  /** dependencies waiting in pending segments: a job others wait for must be live (see state.ts) */
  const load: Loaded = [];
  const makeId = idMaker(now.getTime(), rand);
  const fields: NewJob[] = [];
  const results: EnqueueResult[] = [];
  const seen = new Set<string>();
  /** unique key → the job of this batch holding it */
  const keys = new Map<string, Job>();
  /** jobs with a dependency that is dead already, or doomed in this batch: they go to the DLQ at once */
  const doomed: Array<[string, string]> = [];
  const doomedIds = new Set<string>();
  for (const spec of specs) {
    if (spec.unique !== undefined) {
      const holder = keys.get(spec.unique) ?? live(state, state.uniques.get(spec.unique));
      if (holder) {
        results.push({ job: holder, existing: true });
        continue;
      }
    }
    let id = spec.id ?? makeId();
    // 40 random bits per millisecond: a batch of 100,000 repeats one with a chance of about 1 in 200
    for (
      let tries = 0;
      spec.id === undefined && tries < 100 && (seen.has(id) || state.jobs.has(id));
      tries++
    ) {
      id = makeId();
    }
    if (state.jobs.has(id)) throw new DuplicateJobError(id);
    if (seen.has(id)) throw new DuplicateJobError(id, "the id appears twice in this batch");
    let dead: string | undefined;
    for (const dep of spec.after ?? []) {
      if (dep === id) throw new UsageError(`Cannot enqueue job "${id}": it cannot depend on itself`);
      if (seen.has(dep)) {
        if (doomedIds.has(dep)) dead ??= dep;
        continue;
      }
      const found = state.find(dep);
      if (!found) {
        // a generated id means nothing to the user yet: name the job only when they named it
        const job = spec.id === undefined ? "the job" : `job "${id}"`;
        // a job later in this batch is a mistake in the input (its order), not a job not found
        if (specs.some((later) => later.id === dep)) {
          throw new UsageError(
            `Cannot enqueue ${job}: its dependency "${dep}" comes later in this batch (a job can wait only for jobs before it)`,
          );
        }
        throw new DependencyNotFoundError(job, dep);
      }
      if (found.state === "dead") dead ??= dep;
      if (!state.jobs.has(dep) && !load.some(([, j]) => j.id === dep)) {
        const waiting = state.pending.lookup(dep);
        if (waiting) load.push([waiting.ref, waiting.job]);
      }
    }
    // buried once, naming the first dead dependency: a bury record may name a job only once
    if (dead !== undefined) {
      doomed.push([id, `dependency "${dead}" is dead`]);
      doomedIds.add(id);
    }
    seen.add(id);
    const job: NewJob = {
      id,
      command: spec.command,
      max_retries: spec.max_retries ?? defaults.max_retries,
      priority: spec.priority ?? 0,
      run_at: spec.run_at ?? null,
      timeout: spec.timeout ?? null,
      cwd: spec.cwd ?? null,
      seq: state.nextOrder + fields.length,
    };
    if (spec.argv !== undefined) job.argv = spec.argv;
    if (spec.queue !== undefined) job.queue = spec.queue;
    if (spec.env !== undefined) job.env = spec.env;
    if (spec.after !== undefined && spec.after.length > 0) job.after = [...new Set(spec.after)];
    if (spec.unique !== undefined) job.unique = spec.unique;
    fields.push(job);
    const made = newJob(job, at);
    // a job dead on arrival holds no key: a later job of the batch may
    if (spec.unique !== undefined && dead === undefined) keys.set(spec.unique, made);
    results.push({ job: made, existing: false });
  }
  // the record holds only what was given: half the bytes to write, checksum and replay
  const records: RecordBody[] = fields.length
    ? [{ type: "enqueue", jobs: fields, ...(load.length ? { load } : {}) }]
    : [];
  if (doomed.length > 0) {
    records.push({ type: "bury", jobs: doomed });
    for (const r of results) {
      const why = doomed.find(([id]) => id === r.job.id);
      if (why && !r.existing) r.job = { ...r.job, state: "dead", last_error: why[1], finished_at: at };
    }
  }
  return { records, result: results };
}

/** The live job `id` names, if it is still pending, processing or failed. */
function live(state: QueueState, id: string | undefined): Job | undefined {
  if (id === undefined) return undefined;
  const job = state.jobs.get(id);
  return job && (isWaiting(job.state) || job.state === "processing") ? job : undefined;
}
