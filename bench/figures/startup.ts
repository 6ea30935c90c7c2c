/**
 * Start-up: `queuectl enqueue`, `queuectl status` and `queuectl --version`, each against a `deno
 * run` of an empty script with the same flags, in alternation. The CLI is the bundle, as installed
 * (bench.main); `enqueue` with no worker, `status` and `--version` also run from the sources
 * (bench.source) in the same rounds (bundle, empty, sources, then the other way round), so that
 * both rows share one baseline. `enqueue` three ways: with no worker running (the caller runs it),
 * handed to an idle worker of the home (src/handoff; the worker claims from another queue, so no
 * job runs meanwhile), and handed to a worker that runs each job it takes.
 */
import { type Bench, scratch } from "../context.ts";
import { paired, pairedMany, type Sample } from "../paired.ts";
import { denoRun, queuectl, queuectlSource, timed } from "../process.ts";
import { type Result, result } from "../report.ts";
import { startedWorker } from "../worker_proc.ts";

function wall(bench: Bench, args: string[]): () => Promise<Sample> {
  return async () => {
    const run = await timed(bench, args, { stdout: "null" });
    return { value: run.ms, cpu: run.cpuMs };
  };
}

export async function startup(bench: Bench): Promise<Result[]> {
  const runs = bench.sizes.startupRuns;
  const s = scratch(bench, "startup");
  try {
    const empty = wall(bench, denoRun(`${bench.repo}/bench/fixtures/empty.ts`));
    const home = `${s.dir}/home`;
    // the home exists (its first enqueue, not timed, created it): what a user's every call pays
    await timed(bench, queuectl(bench, home, "enqueue", "true"), { stdout: "null" });
    bench.progress(`startup: ${runs} × (enqueue, empty deno run, enqueue from the sources)`);
    const enqueue = await pairedMany(runs, wall(bench, queuectl(bench, home, "enqueue", "true")), [
      empty,
      wall(bench, queuectlSource(bench, home, "enqueue", "true")),
    ]);
    bench.progress(`startup: ${runs} × (status, empty deno run, status from the sources)`);
    const status = await pairedMany(runs, wall(bench, queuectl(bench, home, "status")), [
      empty,
      wall(bench, queuectlSource(bench, home, "status")),
    ]);
    const served = await withWorker(bench, home, ["--queue", "bench-elsewhere"], async () => {
      bench.progress(`startup: ${runs} × (enqueue taken by an idle worker, empty deno run)`);
      return await paired(runs, wall(bench, queuectl(bench, home, "enqueue", "true")), empty);
    });
    const busyHome = `${s.dir}/busy`;
    await timed(bench, queuectl(bench, busyHome, "enqueue", "true"), { stdout: "null" });
    const busy = await withWorker(bench, busyHome, [], async () => {
      bench.progress(`startup: ${runs} × (enqueue taken by a worker that runs it, empty deno run)`);
      return await paired(runs, wall(bench, queuectl(bench, busyHome, "enqueue", "true")), empty);
    });
    bench.progress(`startup: ${runs} × (--version, empty deno run, --version from the sources)`);
    const version = await pairedMany(runs, wall(bench, denoRun(bench.main, "--version")), [
      empty,
      wall(bench, denoRun(bench.source, "--version")),
    ]);
    const note = "baseline: `deno run` of an empty script with the CLI's flags";
    const fromSource = "the same from the sources (main.ts), in the same rounds: what the bundle saves";
    return [
      result({
        figure: "enqueue true, one CLI call",
        unit: "ms",
        value: enqueue.subject,
        baseline: enqueue.baselines[0],
        goal: { on: "ratio", op: "<=", target: 1.5 },
        note:
          `${note}; no worker running, so the call runs the command itself; into an existing home (its first enqueue, untimed, made it)`,
      }),
      result({
        figure: "enqueue true, one CLI call, from the sources",
        unit: "ms",
        value: enqueue.baselines[1],
        baseline: enqueue.baselines[0],
        note: `${note}; ${fromSource}`,
      }),
      result({
        figure: "enqueue true, taken by a running worker",
        unit: "ms",
        value: served.subject,
        baseline: served.baseline,
        goal: { on: "ratio", op: "<=", target: 1.5 },
        note:
          `${note}; an idle worker of the home runs the call (src/handoff), claiming from another queue so that no job runs meanwhile`,
      }),
      result({
        figure: "enqueue true, taken by a worker that runs the job",
        unit: "ms",
        value: busy.subject,
        baseline: busy.baseline,
        note: `${note}; the worker runs each job as it is enqueued, on the same 2 cores as the calls`,
      }),
      result({
        figure: "status",
        unit: "ms",
        value: status.subject,
        baseline: status.baselines[0],
        note: `${note}; the home of the enqueue rows, holding their jobs`,
      }),
      result({
        figure: "status, from the sources",
        unit: "ms",
        value: status.baselines[1],
        baseline: status.baselines[0],
        note: `${note}; ${fromSource}`,
      }),
      result({
        figure: "--version",
        unit: "ms",
        value: version.subject,
        baseline: version.baselines[0],
        goal: { on: "ratio", op: "<=", target: 1.15 },
        note,
      }),
      result({
        figure: "--version, from the sources",
        unit: "ms",
        value: version.baselines[1],
        baseline: version.baselines[0],
        note: `${note}; ${fromSource}`,
      }),
    ];
  } finally {
    s.remove();
  }
}

/** Runs `measure` while a worker of `home` (started with `args`) runs; the home's socket must be there. */
async function withWorker<T>(
  bench: Bench,
  home: string,
  args: string[],
  measure: () => Promise<T>,
): Promise<T> {
  const worker = await startedWorker(bench, home, args);
  try {
    const sockets = [...Deno.readDirSync(`${home}/workers`)].filter((e) => e.name.endsWith(".sock"));
    if (sockets.length !== 1) throw new Error(`Cannot measure: the worker of ${home} made no socket`);
    return await measure();
  } finally {
    await worker.stop();
  }
}
