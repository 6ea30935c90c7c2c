/**
 * Read commands on a long history (status, list --limit 20, show <id>), each against the same
 * command on a home that holds a single job with the same id (so `show` succeeds there too;
 * a home that does not exist at all would skip opening the store).
 */
import { type Bench, scratch } from "../context.ts";
import { paired } from "../paired.ts";
import type { PopulatedHome } from "../populated.ts";
import { queuectl, timed } from "../process.ts";
import { type Result, result } from "../report.ts";

export async function reads(bench: Bench, history: PopulatedHome): Promise<Result[]> {
  const runs = bench.sizes.readRuns;
  const size = history.jobs.toLocaleString("en-US");
  const s = scratch(bench, "reads-baseline");
  try {
    const small = `${s.dir}/home`;
    await timed(bench, queuectl(bench, small, "enqueue", "--id", history.sample_id, "true"), {
      stdout: "piped",
    });
    const commands = [["status"], ["list", "--limit", "20"], ["show", history.sample_id]];
    const out: Result[] = [];
    for (const args of commands) {
      const name = args[0] === "show" ? "show <id>" : args.join(" ");
      bench.progress(`${name} with ${size} jobs: ${runs} runs, each paired with a one-job home`);
      const time = (home: string) => async () => (await timed(bench, queuectl(bench, home, ...args))).ms;
      // no warm-up round: the history was just written (page cache warm), and a round may take seconds
      const pair = await paired(runs, time(history.home), time(small), {
        warmup: false,
        onRound: (i) => bench.tick(`  round ${i} of ${runs}`),
      });
      out.push(result({
        figure: `${name}, ${size} jobs`,
        unit: "ms",
        value: pair.subject,
        baseline: pair.baseline,
        goal: { on: "ratio", op: "<=", target: 1.3 },
      }));
    }
    return out;
  } finally {
    s.remove();
  }
}
