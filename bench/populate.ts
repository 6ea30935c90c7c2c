/**
 * Fills a home with a history of jobs through the store's own code paths (FileStore in this
 * process; no hand-written files, no process per job): in batches, enqueue, claim and finish.
 * 99% of the jobs end completed; of the other 1%, half end dead (one failed attempt and no
 * retries left) and half stay pending, scheduled far in the future so that no worker of the
 * bench runs them.
 * Nothing is left processing, so no worker ever tries to take a job back from the made-up
 * worker id used here (only `lost`/`takeBack` consult the worker registry; enqueue, claim and
 * finish take the worker id as a plain string).
 *
 * The store compacts by itself as it fills, with its default threshold, so the home ends up
 * with the archive segments a long-lived queue would have; a final `compact()` then leaves an
 * empty log, so every run of the bench starts from the same state. `--no-auto-compact` turns
 * the automatic compactions off (one compaction at the end: a single archive segment).
 *
 * `--pending` writes a backlog instead: N jobs of `true`, due now, that all stay pending,
 * enqueued in batches of 100,000 (`--batch`); the store's compactions move them into pending
 * segments as it goes (plain pending jobs: no dependencies, no unique key).
 *
 *   deno run --allow-all bench/populate.ts --home DIR --jobs N [--batch 10000] [--no-auto-compact] [--pending]
 *
 * Progress goes to stderr; one JSON summary line (PopulateResult) to stdout.
 */
import { FileStore } from "../src/store/file_store.ts";
import type { JobSpec } from "../src/store/mod.ts";
import { claimFor } from "../testkit/store.ts";
import { flagValue } from "./helper_args.ts";

export interface PopulateOptions {
  home: string;
  jobs: number;
  /** jobs per enqueue/claim/finish round (default 10,000) */
  batch?: number;
  /** let the store compact by itself while filling (default true) */
  autoCompact?: boolean;
  progress?: (line: string) => void;
  /** a backlog: every job stays pending, due now (default false: a history) */
  pending?: boolean;
}

export interface PopulateResult {
  jobs: number;
  completed: number;
  dead: number;
  pending: number;
  /** a completed job from the middle of the history, for `show` */
  sample_id: string;
  seconds: number;
}

const WORKER = "w-bench-populate";
const FAR_FUTURE = "2099-01-01T00:00:00.000Z";
const BACKOFF = { backoff_base: 2, backoff_max: 3600 };

export function populate(options: PopulateOptions): Promise<PopulateResult> {
  if (options.pending) return fill(options, 100_000, "pending jobs", backlogRound);
  return fill(options, 10_000, "jobs", historyRound);
}

/**
 * One round of `fill`: adds `n` jobs (numbered from `done`) to `store`, and counts them in `result`
 * (`jobs`, and how each ended; `sample_id` once the round passes `middle`).
 */
type Round = (
  store: FileStore,
  done: number,
  n: number,
  middle: number,
  result: PopulateResult,
) => Promise<void>;

/**
 * Fills the home in rounds of `batch` jobs (default `defaultBatch`), saying how far it got every
 * two seconds, then compacts: the part the history and the backlog share. `what` names the jobs
 * in the progress lines.
 */
async function fill(
  options: PopulateOptions,
  defaultBatch: number,
  what: string,
  round: Round,
): Promise<PopulateResult> {
  const batch = options.batch ?? defaultBatch;
  const say = options.progress ?? (() => {});
  const started = performance.now();
  const auto = options.autoCompact ?? true;
  const store = new FileStore(options.home, auto ? {} : { compactAfterBytes: Number.MAX_SAFE_INTEGER });
  const result: PopulateResult = { jobs: 0, completed: 0, dead: 0, pending: 0, sample_id: "", seconds: 0 };
  const middle = Math.floor(options.jobs / 2);
  let lastSay = started;
  try {
    for (let done = 0; done < options.jobs; done += batch) {
      await round(store, done, Math.min(batch, options.jobs - done), middle, result);
      const now = performance.now();
      if (now - lastSay > 2000) {
        lastSay = now;
        say(`populate: ${result.jobs} of ${options.jobs} ${what} (${((now - started) / 1000).toFixed(1)}s)`);
      }
    }
    say(`populate: compacting ${result.jobs} ${what}`);
    await store.compact();
  } finally {
    store.close();
  }
  result.seconds = (performance.now() - started) / 1000;
  say(`populate: ${result.jobs} ${what} in ${result.seconds.toFixed(1)}s`);
  return result;
}

/** A round of the history: enqueue, claim and finish (1% dead, 1% left pending far in the future). */
const historyRound: Round = async (store, done, n, middle, result) => {
  const specs: JobSpec[] = [];
  for (let i = 0; i < n; i++) {
    const k = done + i;
    const spec: JobSpec = { command: `echo job ${k}; sleep 0`, cwd: "/srv/app" };
    if (k % 200 === 37) spec.run_at = FAR_FUTURE; // stays pending
    if (k % 200 === 137) spec.max_retries = 0; // fails once, goes dead
    specs.push(spec);
  }
  await store.enqueue(specs, { max_retries: 3 });
  const claimed = await claimFor(store, WORKER, n, 3600);
  // all finishes at once: the store's group commit writes them in one append
  const finished = await Promise.all(claimed.map((job) => {
    const fail = job.max_retries === 0;
    return store.finish({
      worker: WORKER,
      id: job.id,
      claim: job.claim,
      outcome: { kind: "exited", code: fail ? 1 : 0 },
      tail: fail ? `job failed: ${job.id}\n` : `job ${job.id} done\n`,
      config: BACKOFF,
    });
  }));
  for (const job of finished) {
    if (job?.state === "completed") result.completed++;
    else if (job?.state === "dead") result.dead++;
    else {throw new Error(
        `Cannot populate: a finish left job ${job?.id ?? "?"} ${job?.state ?? "unrecorded"}`,
      );}
  }
  result.pending += n - claimed.length;
  result.jobs += n;
  if (!result.sample_id && done + n > middle) {
    result.sample_id = finished.find((j) => j?.state === "completed")?.id ?? "";
  }
};

/** A round of `--pending`: N runnable jobs of `true`, enqueued in one batch, all left pending. */
const backlogRound: Round = async (store, done, n, middle, result) => {
  const specs: JobSpec[] = Array.from({ length: n }, () => ({ command: "true" }));
  const enqueued = await store.enqueue(specs, { max_retries: 3 });
  if (!result.sample_id && done + n > middle) result.sample_id = enqueued[middle - done].job.id;
  result.pending += n;
  result.jobs += n;
};

if (import.meta.main) {
  const args = Deno.args;
  const flag = (name: string) => flagValue(args, name);
  const home = flag("--home");
  const jobs = Number(flag("--jobs"));
  if (!home || !(jobs > 0)) {
    console.error("usage: populate.ts --home DIR --jobs N [--batch N] [--no-auto-compact] [--pending]");
    Deno.exit(2);
  }
  const result = await populate({
    home,
    jobs,
    batch: flag("--batch") ? Number(flag("--batch")) : undefined,
    autoCompact: !args.includes("--no-auto-compact"),
    pending: args.includes("--pending"),
    progress: (line) => console.error(line),
  });
  console.log(JSON.stringify(result));
}
