/** `queuectl compact` on a long history: wall time, peak RSS, and snapshot bytes per job. */
import type { Bench } from "../context.ts";
import type { PopulatedHome } from "../populated.ts";
import { queuectl, timed } from "../process.ts";
import { type Result, result } from "../report.ts";
import { summarize } from "../stats.ts";

const MB = 1024 * 1024;

/** Bytes of every file in `dir` (not recursing: the store's files sit at the top of the home). */
function filesBytes(dir: string): number {
  let total = 0;
  for (const e of Deno.readDirSync(dir)) {
    if (e.isFile) total += Deno.statSync(`${dir}/${e.name}`).size;
  }
  return total;
}

/** What `compact --json` reports (archived and segments since the archive exists). */
interface Compacted {
  jobs: number;
  snapshot_bytes: number;
  archived?: number;
  segments?: number;
}

export async function compaction(bench: Bench, history: PopulatedHome): Promise<Result[]> {
  const runs = bench.sizes.compactRuns;
  const size = history.jobs.toLocaleString("en-US");
  bench.progress(`compact with ${size} jobs: ${runs} run(s)`);
  const seconds: number[] = [];
  const rss: number[] = [];
  let report: Compacted = { jobs: 0, snapshot_bytes: 0 };
  for (let i = 0; i < runs; i++) {
    // something to fold each time (scheduled far ahead, so no later step runs it)
    await timed(bench, queuectl(bench, history.home, "enqueue", "--delay", "1000d", "true"), {
      stdout: "null",
    });
    const run = await timed(bench, queuectl(bench, history.home, "compact", "--json"), {
      stdout: "piped",
      rss: true,
    });
    seconds.push(run.ms / 1000);
    rss.push(run.rss! / MB);
    report = JSON.parse(run.stdout);
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
  return [
    result({ figure: `compact, ${size} jobs: time`, unit: "s", value: summarize(seconds) }),
    result({
      figure: `compact, ${size} jobs: peak RSS`,
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
