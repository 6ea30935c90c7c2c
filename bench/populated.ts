/**
 * A scratch home filled by bench/populate.ts, run as a child process: a history of finished jobs,
 * or (`pending`) a backlog of runnable ones.
 */
import { type Bench, scratch } from "./context.ts";
import type { PopulateResult } from "./populate.ts";
import { check, eachLine, helper, spawnDeno } from "./process.ts";

export interface PopulatedHome extends PopulateResult {
  home: string;
  /** a backlog of pending jobs (else a history) */
  backlog: boolean;
  /** deletes the home and everything in it */
  remove(): void;
}

export async function populated(bench: Bench, jobs: number, backlog = false): Promise<PopulatedHome> {
  const s = scratch(bench, `${backlog ? "backlog" : "history"}-${jobs}`);
  const home = `${s.dir}/home`;
  try {
    bench.progress(
      `populating ${jobs.toLocaleString("en-US")} ${backlog ? "pending jobs" : "jobs of history"}`,
    );
    const args = helper(
      bench,
      "populate.ts",
      "--home",
      home,
      "--jobs",
      String(jobs),
      ...(backlog ? ["--pending"] : []),
    );
    const child = spawnDeno(bench, args, { stdout: "piped", stderr: "piped" });
    let stderr = "";
    const [out] = await Promise.all([
      new Response(child.stdout).text(),
      eachLine(child.stderr, (line) => {
        stderr += line + "\n";
        bench.progress(`  ${line}`);
      }),
    ]);
    check(args, { code: (await child.status).code, stderr }, [0]);
    return { ...JSON.parse(out) as PopulateResult, home, backlog, remove: s.remove };
  } catch (e) {
    s.remove();
    throw e;
  }
}
