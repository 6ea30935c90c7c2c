/**
 * `deno task torture [--trials N] [--seed S] [--quick] [--only STEP,...] [--json]`: tries to
 * break the store's and the worker's guarantees (kill -9 anywhere, every crash point, exactly-once
 * accounting, and the steps of steps.ts) and prints one table of figures, then `violations: N`.
 * Progress goes to stderr. Exit 1 when any guarantee was broken, 2 on bad arguments.
 */
import { killAll } from "./lib/cli.ts";
import { OptionError, type Options, parseOptions, usage } from "./lib/options.ts";
import { renderTable } from "./lib/table.ts";
import type { StepResult } from "./step.ts";
import { STEPS } from "./steps.ts";

const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM"];
const progress = (line: string) => console.error(`${new Date().toISOString().slice(11, 19)} ${line}`);

async function main(args: string[]): Promise<number> {
  const names = STEPS.map((s) => s.name);
  let options: Options;
  try {
    options = parseOptions(args, names);
  } catch (e) {
    if (!(e instanceof OptionError)) throw e;
    console.error(`error: ${e.message} (see --help)`);
    return 2;
  }
  if (options.help) {
    console.log(usage(names));
    return 0;
  }
  // interrupted: end every process the steps started (each step's scratch is left for a look)
  const interrupted = () => {
    killAll();
    Deno.exit(130);
  };
  for (const sig of SIGNALS) Deno.addSignalListener(sig, interrupted);
  const t0 = performance.now();
  progress(
    `torture: seed ${options.seed}${
      options.seedDrawn ? " (drawn; repeat with --seed " + options.seed + ")" : ""
    }, ${options.quick ? "quick" : `${options.trials} trials`}, steps ${options.only.join(",")}`,
  );
  const results: StepResult[] = [];
  try {
    for (const step of STEPS.filter((s) => options.only.includes(s.name))) {
      progress(`${step.name}: starting`);
      const s0 = performance.now();
      let result: StepResult;
      try {
        result = await step.run({
          seed: options.seed,
          trials: options.trials,
          quick: options.quick,
          progress,
        });
      } catch (e) {
        killAll();
        const seconds = (performance.now() - s0) / 1000;
        result = {
          name: step.name,
          figures: [],
          violations: [`the step failed: ${(e as Error).stack ?? e}`],
          seconds,
        };
      }
      results.push(result);
      progress(
        `${step.name}: done in ${result.seconds.toFixed(0)} s, ${result.violations.length} violation(s)`,
      );
    }
  } finally {
    for (const sig of SIGNALS) Deno.removeSignalListener(sig, interrupted);
  }
  const violations = results.flatMap((r) => r.violations.map((v) => `${r.name}: ${v}`));
  for (const v of violations) console.error(`violation: ${v}`);
  const seconds = (performance.now() - t0) / 1000;
  progress(`torture: done in ${seconds.toFixed(0)} s (seed ${options.seed})`);
  if (options.json) {
    const report = {
      seed: options.seed,
      trials: options.trials,
      quick: options.quick,
      steps: results,
      violations: violations.length,
      seconds: Math.round(seconds),
    };
    console.log(JSON.stringify(report, null, 2));
  } else console.log(renderTable(results).trimEnd());
  return violations.length > 0 ? 1 : 0;
}

Deno.exit(await main(Deno.args));
