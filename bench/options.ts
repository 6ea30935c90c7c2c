/** Command-line options of the bench and the sizes of each mode (full, or --quick for CI). */

export interface Sizes {
  mode: "full" | "quick";
  /** pairs of (enqueue on an empty home, empty `deno run`) */
  startupRuns: number;
  /** jobs of history for the enqueue figure; the last one also serves every "at 1M" figure */
  histories: number[];
  historyRuns: number;
  /** runs of status / list / show on the largest history, each paired with its baseline */
  readRuns: number;
  batchJobs: number;
  batchRuns: number;
  drainJobs: number;
  drainRuns: number;
  sleepJobs: number;
  sleepRuns: number;
  wakeups: number;
  idleSeconds: number;
  /** records appended (and then cut by kill -9) on top of the largest history */
  tailRecords: number;
  recoveryRuns: number;
  compactRuns: number;
  /** runs of `status` and of a worker whose peak RSS is read */
  memoryRuns: number;
  /** enqueues whose change event the dashboard's event stream is timed for */
  dashboardRuns: number;
}

export const FULL: Sizes = {
  mode: "full",
  startupRuns: 15,
  histories: [100_000, 1_000_000],
  historyRuns: 7,
  readRuns: 7,
  batchJobs: 100_000,
  batchRuns: 5,
  drainJobs: 2_000,
  drainRuns: 3,
  sleepJobs: 2_000,
  sleepRuns: 2,
  wakeups: 20,
  idleSeconds: 10,
  tailRecords: 100_000,
  recoveryRuns: 5,
  compactRuns: 3,
  memoryRuns: 3,
  dashboardRuns: 20,
};

/** Under a minute on a 2-core machine: smaller histories and drains, fewer runs. */
export const QUICK: Sizes = {
  mode: "quick",
  startupRuns: 7,
  histories: [10_000, 100_000],
  historyRuns: 3,
  readRuns: 3,
  batchJobs: 100_000,
  batchRuns: 2,
  drainJobs: 300,
  drainRuns: 1,
  sleepJobs: 240,
  sleepRuns: 1,
  wakeups: 10,
  idleSeconds: 10,
  tailRecords: 10_000,
  recoveryRuns: 3,
  compactRuns: 1,
  memoryRuns: 1,
  dashboardRuns: 10,
};

export const STEPS = [
  "startup",
  "history",
  "reads",
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

  --quick   smaller sizes and fewer runs (under a minute; what CI runs)
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
