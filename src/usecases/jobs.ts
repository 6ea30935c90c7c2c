/**
 * The user's commands on jobs that the CLI and the dashboard both offer (delete, dlq retry,
 * cancel, kill) and the dependency listing of `show` and the job page: written once here, over
 * the Store seam. The rules (which states allow what, dependents sent to the DLQ) are the store's
 * decisions (store/decide/manage.ts); ids are checked by the callers, each in its own words.
 */
import type { Job, JobState } from "../job.ts";
import { removeJobLog } from "../output/job_log.ts";
import type { CascadeResult, Store } from "../store/mod.ts";
import type { HomePaths } from "../store/paths.ts";

/** What these use-cases need of a home: its store, and its paths for the output files. */
export interface JobDeps {
  store: Store;
  paths: Pick<HomePaths, "jobLog" | "runOutput">;
}

/**
 * Deletes jobs (refused unless each is in `states`, when given), all or none, then the output
 * files that were theirs alone (a slot's output file, shared by many jobs, stays); returns them,
 * and the jobs that waited for them, sent to the DLQ.
 */
export async function deleteJobs(
  deps: JobDeps,
  ids: string[],
  states?: readonly JobState[],
): Promise<CascadeResult> {
  const done = await deps.store.delete(ids, states);
  for (const job of done.jobs) await removeJobLog(deps.paths, job.id);
  return done;
}

/** Moves dead jobs (these, or every one) back to pending with attempts reset; returns them. */
export function retryDead(store: Store, ids: string[] | "all"): Promise<Job[]> {
  return store.retryDead(ids);
}

/** Sends pending or failed jobs to the DLQ ("cancelled"), with the jobs that wait for them; returns both. */
export function cancelJobs(store: Store, ids: string[]): Promise<CascadeResult> {
  return store.cancel(ids);
}

/**
 * Asks the workers running these processing jobs to kill them; returns the jobs with the kill
 * recorded. Each ends dead ("killed") once its worker has killed it: the caller waits, if it wants
 * to, on the store's changes.
 */
export function requestKill(store: Store, ids: string[]): Promise<Job[]> {
  return store.kill(ids);
}

/**
 * The waiting jobs that depend on these, directly or through others: they go to the DLQ with any
 * of these that ends dead (a kill's caller names them once it has).
 */
export function dependentsOf(store: Store, ids: string[]): Promise<Job[]> {
  return store.dependents(ids);
}

/** One dependency of a job: its id and its state now, null once it no longer exists. */
export interface Dependency {
  id: string;
  state: JobState | null;
}

/** The jobs `job` waits for (its `after`), in its order, each with its state now. */
export async function dependenciesOf(store: Store, job: Job): Promise<Dependency[]> {
  const out: Dependency[] = [];
  for (const id of job.after ?? []) out.push({ id, state: (await store.get(id))?.state ?? null });
  return out;
}
