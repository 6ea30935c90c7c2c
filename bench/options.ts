/** Command-line options of the bench and the sizes of each mode (full, or --quick for CI). */

export interface Sizes {
  mode: "full" | "quick";
  /** pairs of (enqueue, empty `deno run`) and of (--version, empty `deno run`) */
  startupRuns: number;
  /** jobs of the backlog (all pending) and of the history (all finished but 1%) */
  backlogJobs: number;
  /** rounds of each command on the large homes, each paired with a small home */
  backlogRuns: number;
  /** rounds of the worker on the backlog (its first `drainJobs` jobs), each paired with a small home */
  backlogDrainRuns: number;
  /** the most one of those rounds may take */
  backlogDrainSeconds: number;
  /** jobs of one longer drain of the backlog, whose peak RSS is read (archive merges, V8's growth) */
  backlogLongJobs: number;
  batchJobs: number;
  batchRuns: number;
  drainJobs: number;
  drainRuns: number;
  sleepJobs: number;
  sleepRuns: number;
  wakeups: number;
  idleSeconds: number;
  /** records appended (and then cut by kill -9) on top of the history */
  tailRecords: number;
  recoveryRuns: number;
  compactRuns: number;
  /** runs of `status` and of a worker whose peak RSS is read */
  memoryRuns: number;
  /** enqueues whose change event the dashboard's event stream is timed for */
  dashboardRuns: number;
  /** bytes of one-job enqueue records in the log of the `log` step's home (it compacts at 256 KB) */
  logBytes: number;
}

/**
 * The full run. Rounds of a few milliseconds each: seven rounds a row left ±0.2 between runs of the
 * same code on this shared machine (bench/results/2026-12-07-enqueue-build/, the pending and history
 * steps run twice on each of two commits), and they cost little beside the homes they run on.
 */
export const FULL: Sizes = {
  mode: "full",
  startupRuns: 21,
  backlogJobs: 1_000_000,
  backlogRuns: 21,
  backlogDrainRuns: 3,
  backlogDrainSeconds: 120,
  backlogLongJobs: 40_000,
  batchJobs: 100_000,
  batchRuns: 5,
  drainJobs: 2_000,
  // five: the rows beside tsp are near 1.0 and each code's rounds spread over ±10 % in one run
  drainRuns: 5,
  sleepJobs: 2_000,
  sleepRuns: 3,
  wakeups: 20,
  idleSeconds: 10,
  tailRecords: 100_000,
  recoveryRuns: 5,
  compactRuns: 3,
  memoryRuns: 3,
  dashboardRuns: 20,
  logBytes: 235_000,
};

/** About a minute on a 2-core machine: smaller homes and drains, fewer runs. */
export const QUICK: Sizes = {
  mode: "quick",
  startupRuns: 5,
  backlogJobs: 20_000,
  backlogRuns: 3,
  backlogDrainRuns: 1,
  backlogDrainSeconds: 30,
  backlogLongJobs: 1_000,
  batchJobs: 100_000,
  batchRuns: 1,
  drainJobs: 300,
  drainRuns: 1,
  sleepJobs: 200,
  sleepRuns: 1,
  wakeups: 5,
  idleSeconds: 5,
  tailRecords: 10_000,
  recoveryRuns: 1,
  compactRuns: 1,
  memoryRuns: 1,
  dashboardRuns: 10,
  logBytes: 235_000,
};

export const STEPS = [
  "startup",
  "log",
  "pending",
  "history",
  "memory",
  "compaction",
  "recovery",
  "batch",
  "drain",
  "sleep",
  "idle",
  "dashboard",
] as const;
export type Step = typeof STEPS[number];

export interface Options {
  help: boolean;
  sizes: Sizes;
  json: boolean;
  steps: Set<Step>;
}

export const USAGE = `usage: deno task bench [--quick] [--json] [--only STEP,...] [--help]

  --quick   smaller sizes and fewer runs (about a minute; what CI runs)
  --json    print the results as JSON on stdout (the table goes to stderr)
  --only    run only these steps: ${STEPS.join(", ")}`;

/** Parses the bench's arguments; throws with a one-line message on anything unknown. */
export function parseOptions(args: string[]): Options {
  let quick = false;
  let json = false;
  let help = false;
  let steps = new Set<Step>(STEPS);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--quick") quick = true;
    else if (arg === "--help" || arg === "-h") help = true;
    else if (arg === "--json") json = true;
    else if (arg === "--only" || arg.startsWith("--only=")) {
      const list = arg === "--only" ? args[++i] ?? "" : arg.slice("--only=".length);
      const names = list.split(",").filter((s) => s);
      const unknown = names.filter((n) => !(STEPS as readonly string[]).includes(n));
      if (names.length === 0 || unknown.length > 0) {
        throw new Error(`Invalid --only "${list}": expected steps among ${STEPS.join(", ")}`);
      }
      steps = new Set(names as Step[]);
    } else throw new Error(`Unknown argument "${arg}"`);
  }
  return { help, sizes: quick ? QUICK : FULL, json, steps };
}
