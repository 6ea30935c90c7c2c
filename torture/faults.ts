/**
 * The torture step for faults from the system (issue 4, item 4): a full disk, a read-only home,
 * a missing or unwritable home, a lock held by a stranger, a huge job output, a job leaving a
 * daemon, a job ignoring SIGTERM. Each scenario lives in `faults/` and reports its figures and
 * violations; `tests/faults/fault_*_test.ts` run the same scenarios at the quick size.
 */
import { belowFloors } from "./lib/floors.ts";
import type { Step, StepResult } from "./step.ts";
import type { FaultOptions, FaultReport } from "./faults/common.ts";
import { diskFull } from "./faults/disk_full.ts";
import { readOnlyHome } from "./faults/readonly_home.ts";
import { missingHome } from "./faults/missing_home.ts";
import { lockHeld } from "./faults/lock_held.ts";
import { hugeOutput } from "./faults/huge_output.ts";
import { daemonJob } from "./faults/daemon.ts";
import { sigtermIgnored } from "./faults/sigterm.ts";

export const FAULTS: ReadonlyArray<(options: FaultOptions) => Promise<FaultReport>> = [
  diskFull,
  readOnlyHome,
  missingHome,
  lockHeld,
  hugeOutput,
  daemonJob,
  sigtermIgnored,
];

export const faultsStep: Step = async (options): Promise<StepResult> => {
  const started = performance.now();
  const result: StepResult = { name: "faults from the system", figures: [], violations: [], seconds: 0 };
  let ran = 0;
  for (const scenario of FAULTS) {
    let report: FaultReport;
    try {
      report = await scenario({ quick: options.quick, progress: options.progress });
      ran++;
    } catch (e) {
      // a scenario that cannot even run is a violation of its own, not the end of the run
      report = { name: scenario.name, figures: [], violations: [`${scenario.name}: ${(e as Error).stack}`] };
    }
    result.figures.push(...report.figures);
    result.violations.push(...report.violations);
  }
  result.figures.push({ label: "fault scenarios run", value: ran });
  // floors: every scenario ran to its end, and the full disk refused its 4 commands (a round)
  result.violations.push(...belowFloors(result.figures, {
    "fault scenarios run": FAULTS.length,
    "disk full: commands refused by the full disk": 4,
  }));
  result.seconds = (performance.now() - started) / 1000;
  return result;
};
