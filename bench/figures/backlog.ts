/**
 * A large home against a small one: `enqueue`, `status`, `show <id>`, `list --limit 20` and one
 * claim on a home holding a backlog of pending jobs, or a history of finished ones (populate.ts),
 * each paired (A B B A) with the same on a small home prepared the same way outside the timed
 * region: the same job id for `show`, the same claimable jobs for the claims, and both homes
 * compacted (`queuectl compact`) before the rounds. And on the backlog, a worker: the rate of its
 * first jobs and its peak memory, against the same worker on a home of just those jobs.
 */
import { type Bench, scratch } from "../context.ts";
import { paired, type Sample } from "../paired.ts";
import type { PopulatedHome } from "../populated.ts";
import { check, eachLine, helper, queuectl, spawnDeno, timed } from "../process.ts";
import { type Result, result } from "../report.ts";
import { peakRss } from "../rss.ts";
import { childrenCpuMs } from "../rusage.ts";
import { summarize } from "../stats.ts";

const MB = 1024 * 1024;

/** `count` jobs of `true`, as an `enqueue --file` input. */
function jobsFile(dir: string, count: number): string {
  const file = `${dir}/claimable.jsonl`;
  Deno.writeTextFileSync(file, `${JSON.stringify({ command: "true" })}\n`.repeat(count));
  return file;
}

export async function backlogCommands(bench: Bench, big: PopulatedHome): Promise<Result[]> {
  const runs = bench.sizes.backlogRuns;
  const size = big.jobs.toLocaleString("en-US");
  const what = big.backlog ? `${size} pending` : `${size} of history`;
  const s = scratch(bench, "backlog-baseline");
  try {
    const small = `${s.dir}/home`;
    // claims: a warm-up and `runs` rounds, each taking one job from each home
    const claimable = jobsFile(s.dir, runs + 1);
    await timed(bench, queuectl(bench, small, "enqueue", "--id", big.sample_id, "true"), { stdout: "null" });
    await timed(bench, queuectl(bench, small, "enqueue", "--file", claimable), { stdout: "null" });
    // a history's pending jobs are scheduled in 2099: it gets due ones too
    if (!big.backlog) {
      await timed(bench, queuectl(bench, big.home, "enqueue", "--file", claimable), { stdout: "null" });
    }
    for (const home of [big.home, small]) {
      await timed(bench, queuectl(bench, home, "compact"), { stdout: "null" });
    }

    const commands = [["enqueue", "true"], ["status"], ["show", big.sample_id], ["list", "--limit", "20"]];
    const out: Result[] = [];
    for (const args of commands) {
      const name = args[0] === "show" ? "show <id>" : args.join(" ");
      bench.progress(`${name} with ${what}: ${runs} rounds, each paired with a small home`);
      const time = (home: string) => async (): Promise<Sample> => {
        const run = await timed(bench, queuectl(bench, home, ...args), { stdout: "null" });
        return { value: run.ms, cpu: run.cpuMs };
      };
      const pair = await paired(runs, time(big.home), time(small), {
        onRound: (i) => bench.tick(`  round ${i} of ${runs}`),
      });
      out.push(result({
        figure: `${name}, ${what}`,
        unit: "ms",
        value: pair.subject,
        baseline: pair.baseline,
        goal: { on: "ratio", op: "<=", target: 1.3 },
      }));
    }

    bench.progress(`a claim with ${what}: ${runs} rounds, each paired with a small home`);
    const claim = (home: string) => async (): Promise<Sample> => {
      const run = await timed(bench, helper(bench, "claim.ts", "--home", home), { stdout: "piped" });
      const { ms, cpu_ms } = JSON.parse(run.stdout);
      return { value: ms, cpu: cpu_ms };
    };
    const pair = await paired(runs, claim(big.home), claim(small), {
      onRound: (i) => bench.tick(`  round ${i} of ${runs}`),
    });
    out.push(result({
      figure: `a claim, ${what}`,
      unit: "ms",
      value: pair.subject,
      baseline: pair.baseline,
      goal: { on: "ratio", op: "<=", target: 1.3 },
      note: "bench/claim.ts: open the store and claim one job, committed, timed inside the process " +
        "(CPU: the process's own)",
    }));
    out[0].note = `the baseline home holds ${runs + 2} jobs (the id \`show\` asks for, and the jobs the ` +
      `claims take), written by the CLI and compacted; ${what} written by bench/populate.ts in ${
        big.seconds.toFixed(1)
      } s`;
    return out;
  } finally {
    s.remove();
  }
}

interface FirstJobs extends Sample {
  /** peak RSS, bytes */
  rss: number;
}

/**
 * Starts `worker start --count 2` on `home` and waits until it has completed `jobs` jobs (or
 * `boundSeconds` passed), then stops it (SIGTERM). The rate is the jobs completed by then over
 * the time since its spawn; the CPU time is the whole run's, stop included.
 */
async function firstJobs(bench: Bench, home: string, jobs: number, boundSeconds: number): Promise<FirstJobs> {
  const args = queuectl(bench, home, "worker", "start", "--count", "2");
  const cpu0 = childrenCpuMs();
  const t0 = performance.now();
  const child = spawnDeno(bench, args, { stdout: "piped", stderr: "piped" });
  let completed = 0;
  let reached: () => void = () => {};
  const enough = new Promise<void>((r) => reached = r);
  let elapsed = 0;
  const reading = eachLine(child.stdout, (line) => {
    if (!line.includes(" completed ")) return;
    completed++;
    if (completed === jobs) {
      elapsed = performance.now() - t0;
      reached();
    }
  });
  const stderr = new Response(child.stderr).text();
  const rss = peakRss(child);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<void>((r) => timer = setTimeout(r, boundSeconds * 1000));
  await Promise.race([enough, bound, child.status]);
  clearTimeout(timer);
  if (completed < jobs) elapsed = performance.now() - t0;
  const done = completed;
  try {
    child.kill("SIGTERM");
  } catch { /* it has exited */ }
  const [status, err, peak] = await Promise.all([child.status, stderr, rss, reading]);
  const cpu1 = childrenCpuMs();
  check(args, { code: status.code, stderr: err }, [0]);
  if (done === 0) {
    throw new Error(`Cannot measure the drain on ${home}: no job completed in ${boundSeconds} s`);
  }
  return {
    value: done / (elapsed / 1000),
    cpu: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0,
    rss: peak,
  };
}

export async function backlogDrain(bench: Bench, big: PopulatedHome): Promise<Result[]> {
  const { drainJobs: jobs, backlogDrainRuns: runs, backlogDrainSeconds: bound } = bench.sizes;
  const size = big.jobs.toLocaleString("en-US");
  bench.progress(
    `worker --count 2 with ${size} pending: first ${jobs} jobs (at most ${bound} s), ${runs} round(s), ` +
      `each paired with a home of ${jobs} jobs`,
  );
  const rss = { big: [] as number[], small: [] as number[] };
  const pair = await paired(
    runs,
    async () => {
      const r = await firstJobs(bench, big.home, jobs, bound);
      rss.big.push(r.rss / MB);
      return r;
    },
    async () => {
      const s = scratch(bench, "backlog-drain");
      try {
        const home = `${s.dir}/home`;
        await timed(bench, queuectl(bench, home, "enqueue", "--file", jobsFile(s.dir, jobs)), {
          stdout: "null",
        });
        const r = await firstJobs(bench, home, jobs, bound);
        rss.small.push(r.rss / MB);
        return r;
      } finally {
        s.remove();
      }
    },
    { warmup: false, onRound: (i) => bench.tick(`  round ${i} of ${runs}`) },
  );
  const long = bench.sizes.backlogLongJobs;
  const longBound = 4 * bound;
  bench.progress(`worker --count 2 with ${size} pending: first ${long} jobs (at most ${longBound} s), once`);
  const longRun = await firstJobs(bench, big.home, long, longBound);
  return [
    result({
      figure: `drain --count 2 with ${size} pending: first ${jobs.toLocaleString("en-US")} jobs`,
      unit: "jobs/s",
      value: pair.subject,
      baseline: pair.baseline,
      goal: { on: "ratio", op: ">=", target: 0.9 },
      note:
        `\`worker start --count 2\` until it has completed ${jobs} jobs of \`true\` (at most ${bound} s), ` +
        `then SIGTERM; rate from its spawn; baseline: the same on a home of ${jobs} jobs`,
    }),
    result({
      figure: `peak RSS of a worker with ${size} pending`,
      unit: "MB",
      value: summarize(rss.big),
      baseline: summarize(rss.small),
      goal: { on: "value", op: "<=", target: 128 },
      note: `VmHWM of the worker above (rss.ts); baseline: the worker on a home of ${jobs} jobs`,
    }),
    result({
      figure: `peak RSS of a worker with ${size} pending: first ${long.toLocaleString("en-US")} jobs`,
      unit: "MB",
      value: summarize([longRun.rss / MB]),
      goal: { on: "value", op: "<=", target: 128 },
      note:
        `VmHWM of one \`worker start --count 2\` until it has completed ${long} jobs (at most ${longBound} s), ` +
        `long enough for archive merges and V8's heap to grow; it ran ${Math.round(longRun.value)} jobs/s`,
    }),
  ];
}
