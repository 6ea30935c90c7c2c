/**
 * The steps of `deno task torture`, in the order they run. `--only` names them; each plugs in
 * through the interface of step.ts.
 */
import type { Step } from "./step.ts";
import { clockStep } from "./clock_steps.ts";
import { corruptStep } from "./corrupt.ts";
import { crashStep } from "./crash_points.ts";
import { dependenciesStep } from "./dependencies.ts";
import { escapeStep } from "./escape.ts";
import { exactlyStep } from "./exactly_once.ts";
import { faultsStep } from "./faults.ts";
import { hostileStep } from "./hostile.ts";
import { killStep } from "./kill.ts";
import { liveRepairStep } from "./live_repair.ts";
import { ticksStep } from "./ticks.ts";
import { queueLimitsStep } from "./queue_limits.ts";
import { stalledLockStep } from "./stalled_lock.ts";
import { uniqueKeysStep } from "./unique_keys.ts";

export const STEPS: ReadonlyArray<{ name: string; run: Step }> = [
  { name: "kill", run: killStep },
  { name: "crash", run: crashStep },
  { name: "exactly", run: exactlyStep },
  { name: "ticks", run: ticksStep },
  { name: "clock", run: clockStep },
  { name: "stall", run: stalledLockStep },
  { name: "queues", run: queueLimitsStep },
  { name: "deps", run: dependenciesStep },
  { name: "unique", run: uniqueKeysStep },
  { name: "corrupt", run: corruptStep },
  { name: "repair", run: liveRepairStep },
  { name: "escape", run: escapeStep },
  { name: "hostile", run: hostileStep },
  { name: "faults", run: faultsStep },
];
