/**
 * One corruption trial: a copy of a store with a real history, one file damaged, then what the
 * contract says must happen. The store opens with exactly the acknowledged state only when a crash
 * could have left the damage (a torn or cut tail of the last log segment); otherwise a reader fails
 * with exit 1 naming the file and the line or byte. `doctor` reports the damage (exit 1);
 * `doctor --repair` quarantines it and says what was lost; then the store opens, `doctor` is clean,
 * and `compact` and `enqueue` work.
 */
import { binary, type BinaryRun } from "./cli.ts";
import type { Damaged } from "./damage.ts";
import { type Acknowledged, COMPACT_ENV, type History } from "./history.ts";

export type Opened = "exact" | "before-last" | "prefix" | "different";

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
async function read(home: string): Promise<Acknowledged | BinaryRun> {
  const status = await run(home, ["status", "--json"]);
  if (status.code !== 0) return status;
  const list = await run(home, ["list", "--json", "--limit", "0"]);
  if (list.code !== 0) return list;
  return { status: JSON.stringify(JSON.parse(status.stdout).counts), list: list.stdout };
}

const isRun = (x: Acknowledged | BinaryRun): x is BinaryRun => "code" in x;
const equal = (a: Acknowledged, b: Acknowledged) => a.status === b.status && a.list === b.list;

/** One line `error: Store file <file> is corrupt at line N | byte N | ...`, exit 1. */
export function namesFile(r: BinaryRun, file: string): boolean {
  const lines = r.stderr.split("\n");
  return r.code === 1 && lines.length === 2 && lines[0].startsWith("error: ") && lines[0].includes(file) &&
    /line \d+|byte \d+|open|end|its entries/.test(lines[0]);
}

/**
 * Judges a damaged home. `file` is the damaged file's name; `prefixState` gives the state of the
 * log cut at a line (for "cut-at" damage), read from an undamaged copy.
 */
export async function judgeTrial(
  history: History,
  home: string,
  file: string,
  damaged: Damaged,
  prefixState: () => Promise<Acknowledged>,
): Promise<TrialResult> {
  const violations: string[] = [];
  // an index (archive or pending) and a pending claim order are derived: status and list never read them
  const derivedOnly = file.endsWith(".index") || file.endsWith(".order");
  const got = await read(home);
  let result: TrialResult;
  if (isRun(got)) {
    result = { outcome: "refused", repaired: false, violations };
    if (!namesFile(got, file)) {
      violations.push(
        `a reader failed without naming ${file} and a line (exit ${got.code}): ${got.stderr.slice(0, 300)}`,
      );
    }
    if (damaged.tail !== "none") {
      violations.push(`refused a tail a crash can leave: ${got.stderr.slice(0, 200)}`);
    }
  } else {
    const opened: Opened = equal(got, history.ack)
      ? "exact"
      : equal(got, history.beforeLast)
      ? "before-last"
      : damaged.tail === "cut-at" && equal(got, await prefixState())
      ? "prefix"
      : "different";
    result = { outcome: "opened", opened, repaired: false, violations };
    const allowed = damaged.tail === "torn"
      ? opened === "exact"
      : damaged.tail === "last-cut"
      ? opened === "before-last" || opened === "exact"
      : damaged.tail === "cut-at"
      ? opened === "prefix" || opened === "exact" || opened === "before-last"
      : false;
    // derived data that status and list never read: it must be found by doctor
    if (!allowed && !(derivedOnly && opened === "exact")) {
      violations.push(`opened silently (${opened} state) despite damage that no crash leaves`);
    }
  }
  const doctor = await run(home, ["doctor"]);
  const mustFind = result.outcome === "refused" || (derivedOnly && damaged.tail === "none");
  if (mustFind && (doctor.code !== 1 || !doctor.stdout.includes(file))) {
    violations.push(
      `doctor did not report the damage to ${file} (exit ${doctor.code}): ${doctor.stdout.slice(0, 300)}`,
    );
  }
  if (!mustFind && violations.length === 0 && doctor.code !== 0) {
    violations.push(`doctor found fault with a store a crash can leave: ${doctor.stdout.slice(0, 300)}`);
  }
  const repair = await run(home, ["doctor", "--repair"]);
  if (repair.code !== 0) {
    violations.push(
      `doctor --repair failed (exit ${repair.code}): ${(repair.stdout + repair.stderr).slice(0, 400)}`,
    );
    return result;
  }
  const after = await read(home);
  if (isRun(after)) {
    violations.push(`the store does not open after doctor --repair: ${after.stderr.slice(0, 300)}`);
    return result;
  }
  // every job is still there, or the repair named it as lost, or said that some it lost cannot be told
  // (a deleted log line, or an unreadable one without a readable id, leaves no trace of its jobs)
  const present = new Set((JSON.parse(after.list) as Array<{ id: string }>).map((j) => j.id));
  const unsaid = history.ids.filter((id) => !present.has(id) && !repair.stdout.includes(id));
  if (unsaid.length > 0 && mustFind && !/cannot be told/.test(repair.stdout)) {
    violations.push(`doctor --repair lost job(s) without naming them: ${unsaid.slice(0, 10).join(", ")}`);
  }
  for (
    const [what, args] of [
      ["doctor", ["doctor"]],
      ["compact", ["compact"]],
      ["enqueue", ["enqueue", "true"]],
      [
        "doctor after compact",
        ["doctor"],
      ],
    ] as const
  ) {
    const r = await run(home, [...args]);
    if (r.code !== 0) {
      violations.push(
        `${what} fails after doctor --repair (exit ${r.code}): ${(r.stdout + r.stderr).slice(0, 300)}`,
      );
      return result;
    }
  }
  result.repaired = mustFind;
  return result;
}
