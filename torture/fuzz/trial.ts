/**
 * One corruption trial: a copy of a store with a real history, one file damaged, then what the
 * contract says must happen. The store opens with exactly the acknowledged state only when a crash
 * could have left the damage (a torn or cut tail of the last log segment); otherwise a reader fails
 * with exit 1 naming the file and the line or byte. `doctor` reports the damage (exit 1);
 * `doctor --repair` quarantines it and says what was lost; then the store opens, `doctor` is clean,
 * and `compact` and `enqueue` work.
 */
import { binary } from "./cli.ts";
import type { Damaged } from "./damage.ts";
import { type Acknowledged, COMPACT_ENV, type History } from "./history.ts";
import {
  isRun,
  judgeAfterRepair,
  judgeDoctor,
  judgeRead,
  judgeRepair,
  mustFind,
  type Opened,
  openedAs,
  type Read,
} from "./verdict.ts";

export interface TrialResult {
  /** how the damaged store answered a reader */
  outcome: "opened" | "refused";
  opened?: Opened;
  /** doctor --repair fixed it and everything after worked */
  repaired: boolean;
  violations: string[];
}

const run = (home: string, args: string[]) => binary(home, args, { env: COMPACT_ENV });

/** Reads the state, or the first refusal. */
async function read(home: string): Promise<Read> {
  const status = await run(home, ["status", "--json"]);
  if (status.code !== 0) return status;
  const list = await run(home, ["list", "--json", "--limit", "0"]);
  if (list.code !== 0) return list;
  return { status: JSON.stringify(JSON.parse(status.stdout).counts), list: list.stdout };
}

/**
 * Judges a damaged home (the verdicts are verdict.ts's). `file` is the damaged file's name;
 * `prefixState` gives the state of the log cut at a line (for "cut-at" damage), read from an
 * undamaged copy only when needed.
 */
export async function judgeTrial(
  history: History,
  home: string,
  file: string,
  damaged: Damaged,
  prefixState: () => Promise<Acknowledged>,
): Promise<TrialResult> {
  const got = await read(home);
  let opened: Opened | null = null;
  if (!isRun(got)) {
    opened = openedAs(got, history, null);
    if (opened === "different" && damaged.tail === "cut-at") {
      opened = openedAs(got, history, await prefixState());
    }
  }
  const verdict = judgeRead(got, file, damaged, opened);
  const result: TrialResult = {
    outcome: verdict.outcome,
    opened: verdict.opened,
    repaired: false,
    violations: [],
  };
  const violations = result.violations;
  violations.push(...verdict.violations);
  const find = mustFind(verdict, file, damaged);
  violations.push(...judgeDoctor(await run(home, ["doctor"]), file, find, violations.length === 0));
  const repair = await run(home, ["doctor", "--repair"]);
  const after = repair.code === 0 ? await read(home) : null;
  const repaired = judgeRepair(repair, after, history, find);
  violations.push(...repaired);
  if (repair.code !== 0 || after === null || isRun(after)) return result;
  for (
    const [what, args] of [
      ["doctor", ["doctor"]],
      ["compact", ["compact"]],
      ["enqueue", ["enqueue", "true"]],
      ["doctor after compact", ["doctor"]],
    ] as const
  ) {
    const failed = judgeAfterRepair(what, await run(home, [...args]));
    if (failed.length > 0) {
      violations.push(...failed);
      return result;
    }
  }
  result.repaired = find;
  return result;
}
