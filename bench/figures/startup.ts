/** `queuectl enqueue` on an empty home against a `deno run` of an empty script with the same flags. */
import { type Bench, scratch } from "../context.ts";
import { paired } from "../paired.ts";
import { CLI_FLAGS, queuectl, timed } from "../process.ts";
import { type Result, result } from "../report.ts";

/** Wall time (ms) of one `enqueue` into a home that does not exist yet (a new user's first call). */
export function enqueueIntoEmptyHome(bench: Bench, dir: string): () => Promise<number> {
  let n = 0;
  return async () => (await timed(bench, queuectl(bench, `${dir}/empty-${n++}`, "enqueue", "true"))).ms;
}

export async function startup(bench: Bench): Promise<Result[]> {
  const runs = bench.sizes.startupRuns;
  bench.progress(`startup: ${runs} × (enqueue on an empty home, empty deno run)`);
  const s = scratch(bench, "startup");
  try {
    const empty = ["run", ...CLI_FLAGS, `${bench.repo}/bench/fixtures/empty.ts`];
    const pair = await paired(
      runs,
      enqueueIntoEmptyHome(bench, s.dir),
      async () => (await timed(bench, empty)).ms,
    );
    return [result({
      figure: "enqueue, one CLI call, empty home",
      unit: "ms",
      value: pair.subject,
      baseline: pair.baseline,
      goal: { on: "ratio", op: "<=", target: 1.5 },
      note: "baseline: `deno run` of an empty script with the CLI's flags",
    })];
  } finally {
    s.remove();
  }
}
