/**
 * Torture step "hostile input": thousands of generated bad arguments and job JSON (fuzz/cases.ts)
 * through the CLI in this process, and a few hundred through the real binary. Every one must be
 * refused with exit 2 and one `error:` line naming the field or flag, with the home's files (list,
 * modes, bytes) unchanged, or, for the valid-but-odd ones, accepted.
 */
import { fuzz } from "./fuzz/runner.ts";
import { belowFloors } from "./lib/floors.ts";
import type { Figure, Step } from "./step.ts";

export const hostileStep: Step = async (options) => {
  const started = performance.now();
  const inProcess = options.quick ? 2_000 : 10_000;
  const binary = options.quick ? 40 : 300;
  const report = await fuzz({
    seed: options.seed,
    inProcess,
    binary,
    progress: options.progress,
  });
  const kinds = ["wrong exit code", "crash or stack trace", "message", "files changed"];
  const figures: Figure[] = [
    { label: "cases in-process", value: report.inProcess },
    { label: "cases via binary", value: report.binary },
    { label: "refused with exit 2", value: report.refused },
    { label: "accepted (valid but odd)", value: report.accepted },
    { label: "longest error line (chars)", value: report.longestMessage },
    {
      label:
        "violations: wrong exit code / crash or stack trace / message not naming the field / files changed",
      value: kinds.map((k) => report.byProblem[k] ?? 0).join(" / "),
    },
  ];
  // floors: every case was run, and most were refused (quick: 2,000 + 40 cases, 1,922 refused)
  const floors = {
    "cases in-process": inProcess,
    "cases via binary": binary,
    "refused with exit 2": inProcess / 2,
  };
  return {
    name: "hostile input",
    figures,
    violations: [...report.violations, ...belowFloors(figures, floors)],
    seconds: (performance.now() - started) / 1000,
  };
};
