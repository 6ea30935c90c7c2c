/**
 * Start-up: `queuectl enqueue` and `queuectl --version`, each against a `deno run` of an empty
 * script with the same flags, in alternation.
 */
import { type Bench, scratch } from "../context.ts";
import { paired, type Sample } from "../paired.ts";
import { CLI_FLAGS, queuectl, timed } from "../process.ts";
import { type Result, result } from "../report.ts";

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
    const empty = wall(bench, ["run", ...CLI_FLAGS, `${bench.repo}/bench/fixtures/empty.ts`]);
    const home = `${s.dir}/home`;
    // the home exists (its first enqueue, not timed, created it): what a user's every call pays
    await timed(bench, queuectl(bench, home, "enqueue", "true"), { stdout: "null" });
    bench.progress(`startup: ${runs} × (enqueue, empty deno run)`);
    const enqueue = await paired(runs, wall(bench, queuectl(bench, home, "enqueue", "true")), empty);
    bench.progress(`startup: ${runs} × (--version, empty deno run)`);
    const version = await paired(
      runs,
      wall(bench, ["run", ...CLI_FLAGS, `${bench.repo}/main.ts`, "--version"]),
      empty,
    );
    const note = "baseline: `deno run` of an empty script with the CLI's flags";
    return [
      result({
        figure: "enqueue true, one CLI call",
        unit: "ms",
        value: enqueue.subject,
        baseline: enqueue.baseline,
        goal: { on: "ratio", op: "<=", target: 1.5 },
        note: `${note}; into an existing home (its first enqueue, untimed, made it)`,
      }),
      result({
        figure: "--version",
        unit: "ms",
        value: version.subject,
        baseline: version.baseline,
        goal: { on: "ratio", op: "<=", target: 1.15 },
        note,
      }),
    ];
  } finally {
    s.remove();
  }
}
