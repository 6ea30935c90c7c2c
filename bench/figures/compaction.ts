/**
 * `queuectl compact` on a long history, folding a realistic log: before each timed run, a log of
 * the size at which automatic compaction would start on this home (max(256 KiB, twice the bytes
 * of the live jobs' snapshot), log.ts) is appended untimed by tail_writer.ts (jobs enqueued,
 * claimed, started and finished, one record each). Reports wall time, peak RSS, and bytes on disk
 * per job; the figure names the log it folds.
 */
import type { Bench } from "../context.ts";
import type { PopulatedHome } from "../populated.ts";
import { helper, queuectl, timed } from "../process.ts";
import { type Result, result } from "../report.ts";
import { summarize } from "../stats.ts";
import { logBytes } from "../tail_writer.ts";

const MB = 1024 * 1024;
/** the store's least threshold of automatic compaction (log.ts, compactAfterBytes) */
const MIN_LOG = 256 * 1024;
/** jobs per group of the tail writer: the log overshoots its size by at most one group (~80 KB) */
const GROUP = 100;

/** Bytes of every file in `dir` (not recursing: the store's files sit at the top of the home). */
function filesBytes(dir: string): number {
  let total = 0;
  for (const e of Deno.readDirSync(dir)) {
    if (e.isFile) total += Deno.statSync(`${dir}/${e.name}`).size;
  }
  return total;
}

/** What `compact --json` reports. */
interface Compacted {
  jobs: number;
  snapshot_bytes: number;
  archived?: number;
  segments?: number;
}

export async function compaction(bench: Bench, history: PopulatedHome): Promise<Result[]> {
  const runs = bench.sizes.compactRuns;
  const size = history.jobs.toLocaleString("en-US");
  const compact = async (rss: boolean) => {
    const run = await timed(bench, queuectl(bench, history.home, "compact", "--json"), {
      stdout: "piped",
      rss,
    });
    return { run, report: JSON.parse(run.stdout) as Compacted };
  };
  // the live jobs' snapshot as it stands (populate.ts ended with a compaction: this one folds nothing)
  const before = (await compact(false)).report;
  const target = Math.max(MIN_LOG, 2 * before.snapshot_bytes);
  const what = `folding a ${(target / MB).toFixed(1)} MB log`;
  bench.progress(`compact with ${size} jobs, ${what}: ${runs} run(s)`);
  const seconds: number[] = [];
  const rss: number[] = [];
  const folded: string[] = [];
  let report = before;
  for (let i = 0; i < runs; i++) {
    const writer = await timed(
      bench,
      // ids of their own ("fold-<run>-…"): the recovery figure writes its tail into this home later
      helper(
        bench,
        "tail_writer.ts",
        "--home",
        history.home,
        "--until-bytes",
        String(target),
        "--group",
        String(GROUP),
        "--prefix",
        `fold-${i}`,
      ),
      { stdout: "piped" },
    );
    const records = Number(writer.stdout.trim().split("\n").pop());
    const bytes = logBytes(history.home);
    const { run, report: r } = await compact(true);
    seconds.push(run.ms / 1000);
    rss.push(run.rss! / MB);
    folded.push(`${records.toLocaleString("en-US")} records, ${(bytes / MB).toFixed(2)} MB`);
    report = r;
  }
  const status = await timed(bench, queuectl(bench, history.home, "status", "--json"), { stdout: "piped" });
  const counts: Record<string, number> = JSON.parse(status.stdout).counts;
  const jobs = Object.values(counts).reduce((a, b) => a + b, 0);
  const live = `snapshot ${report.snapshot_bytes} bytes for ${report.jobs} live jobs (${
    Math.round(report.snapshot_bytes / Math.max(1, report.jobs))
  } per job)`;
  const archive = report.archived === undefined
    ? ""
    : `, ${report.archived} archived jobs in ${report.segments} segment(s)`;
  const log =
    `each run folds a log written untimed by tail_writer.ts (enqueue, claim, started, finish per job), the size at which automatic compaction starts here: max(256 KiB, 2 × the live snapshot of ${before.snapshot_bytes} bytes); folded: ${
      folded.join("; ")
    }`;
  return [
    result({
      figure: `compact, ${size} jobs, ${what}: time`,
      unit: "s",
      value: summarize(seconds),
      note: log,
    }),
    result({
      figure: `compact, ${size} jobs, ${what}: peak RSS`,
      unit: "MB",
      value: summarize(rss),
      goal: { on: "value", op: "<=", target: 300 },
    }),
    result({
      figure: `compact, ${size} jobs: bytes on disk per job`,
      unit: "bytes/job",
      value: summarize([filesBytes(history.home) / jobs]),
      note: `every file of the home after compaction over ${jobs} jobs; ${live}${archive}`,
    }),
  ];
}
