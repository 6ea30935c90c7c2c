/**
 * `deno task bench [--quick] [--json] [--only STEP,...]`: measures the figures of the
 * performance issue, each next to a baseline measured in the same run, and prints one table
 * (or, with --json, the results as JSON on stdout). Progress goes to stderr. Every scenario
 * runs in a fresh temporary home, removed afterwards. See bench/README.md.
 */
import { build } from "../scripts/build.ts";
import { type Bench, createBench } from "./context.ts";
import { loadAverage, machine, revision } from "./machine.ts";
import { type Options, parseOptions, type Step, USAGE } from "./options.ts";
import { renderTable, type Result } from "./report.ts";
import { ORDER, runSteps } from "./steps.ts";

/** Interrupted (Ctrl-C, or a CI time-out's SIGTERM): kill what runs, remove the scratch, exit. */
const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM"];

function cleanUp(bench: Bench): void {
  for (const child of bench.children) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }
  try {
    Deno.removeSync(bench.tmp, { recursive: true });
  } catch { /* best effort */ }
}

async function main(args: string[]): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(args);
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const repo = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
  const bench = createBench(options.sizes, repo);
  const interrupted = () => {
    cleanUp(bench);
    Deno.exit(130);
  };
  for (const sig of SIGNALS) Deno.addSignalListener(sig, interrupted);
  const t0 = performance.now();
  const loadBefore = loadAverage();
  let byStep: Map<Step, Result[]>;
  const failed: Step[] = [];
  try {
    bench.progress(`queuectl bench (${options.sizes.mode}), scratch in ${bench.tmp}`);
    // the CLI as installed: the bundle of these sources (scripts/build.ts), not an older dist/
    await build(`${bench.tmp}/bundle`);
    bench.progress(`built the bundle: ${bench.main}`);
    byStep = await runSteps(bench, options, failed);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 1;
  } finally {
    for (const sig of SIGNALS) Deno.removeSignalListener(sig, interrupted);
    cleanUp(bench);
  }
  const results = ORDER.flatMap((step) => byStep.get(step) ?? []);
  bench.progress(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const table = renderTable(results);
  if (options.json) {
    console.error(table);
    const report = {
      machine: machine(),
      date: new Date().toISOString(),
      command: ["deno task bench", ...args].join(" "),
      revision: await revision(bench.repo),
      mode: options.sizes.mode,
      seconds: Math.round((performance.now() - t0) / 1000),
      load_average: { before: loadBefore, after: loadAverage() },
      results,
    };
    console.log(JSON.stringify(report, null, 2));
  } else console.log(table);
  if (failed.length > 0) console.error(`error: not measured: ${[...new Set(failed)].join(", ")}`);
  return failed.length > 0 ? 1 : 0;
}

Deno.exit(await main(Deno.args));
