/**
 * What the log since the last compaction costs a command: every command replays it (src/store/log.ts
 * READ), and it compacts only at 256 KB. `enqueue true` into a home whose log holds `logBytes` of
 * one-job enqueue records (bench/log_home.ts), against the same into a home whose log holds one, in
 * alternation; both homes are copied afresh from their templates before each call, so that neither
 * log grows during the rounds (nor reaches its compaction).
 */
import { type Bench, scratch } from "../context.ts";
import { paired, type Sample } from "../paired.ts";
import { helper, queuectl, timed } from "../process.ts";
import { type Result, result } from "../report.ts";

export async function logReplay(bench: Bench): Promise<Result[]> {
  const { startupRuns: runs, logBytes } = bench.sizes;
  const s = scratch(bench, "log");
  try {
    const long = `${s.dir}/long`;
    const short = `${s.dir}/short`;
    bench.progress(`log: filling a home's log with ${logBytes.toLocaleString("en-US")} bytes of enqueues`);
    const fill = helper(bench, "log_home.ts", "--home", long, "--bytes", String(logBytes));
    const filled = JSON.parse((await timed(bench, fill, { stdout: "piped" })).stdout) as {
      records: number;
      bytes: number;
    };
    await timed(bench, queuectl(bench, short, "enqueue", "true"), { stdout: "null" });
    const fresh = (template: string) => async (): Promise<Sample> => {
      const home = `${template}-run`;
      try {
        Deno.removeSync(home, { recursive: true });
      } catch { /* the first round */ }
      copyDir(template, home);
      const run = await timed(bench, queuectl(bench, home, "enqueue", "true"), { stdout: "null" });
      return { value: run.ms, cpu: run.cpuMs };
    };
    bench.progress(`log: ${runs} × (enqueue into the long log, enqueue into a one-record log)`);
    const pair = await paired(runs, fresh(long), fresh(short));
    return [result({
      figure: `enqueue true, ${Math.round(filled.bytes / 1000)} KB of log since the last compaction`,
      unit: "ms",
      value: pair.subject,
      baseline: pair.baseline,
      note: `${filled.records.toLocaleString("en-US")} one-job enqueue records (bench/log_home.ts), ` +
        "which every command replays; the log compacts at 256 KB; baseline: the same into a home whose log " +
        "holds one record; each call into a fresh copy of its home",
    })];
  } finally {
    s.remove();
  }
}

/** A copy of directory `from` (flat: a home's files) at `to`. */
function copyDir(from: string, to: string): void {
  Deno.mkdirSync(to, { mode: 0o700 });
  for (const e of Deno.readDirSync(from)) {
    if (e.isFile) Deno.copyFileSync(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}
