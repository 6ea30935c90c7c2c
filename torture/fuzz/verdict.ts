/**
 * The contract for a damaged store, judged from what its commands answered: pure, so every
 * branch is unit-tested on violating inputs (verdict_test.ts); trial.ts runs the commands.
 *
 * A reader may open a damaged store only with a state a crash could have left (the acknowledged
 * one, or the one before a torn or cut last line); otherwise it must refuse with exit 1 and one
 * line naming the file and the line or byte. `doctor` must report real damage (exit 1, naming the
 * file) and keep quiet about what a crash leaves; `doctor --repair` must exit 0 and name every job
 * it lost (or say that some cannot be told); after it the store opens and `doctor`, `compact`,
 * `enqueue` and `doctor` again work.
 */
import type { BinaryRun } from "./cli.ts";
import type { Damaged } from "./damage.ts";
import type { Acknowledged, History } from "./history.ts";

export type Opened = "exact" | "before-last" | "prefix" | "different";

/** A command's answer: the state it read, or its failure. */
export type Read = Acknowledged | BinaryRun;

export const isRun = (x: Read): x is BinaryRun => "code" in x;
const equal = (a: Acknowledged, b: Acknowledged) => a.status === b.status && a.list === b.list;

/** One line `error: Store file <file> is corrupt at line N | byte N | ...`, exit 1. */
export function namesFile(r: BinaryRun, file: string): boolean {
  const lines = r.stderr.split("\n");
  return r.code === 1 && lines.length === 2 && lines[0].startsWith("error: ") && lines[0].includes(file) &&
    /line \d+|byte \d+|open|end|its entries/.test(lines[0]);
}

/** An archive index is derived data that status and list never read. */
export const derivedOnly = (file: string) => file.endsWith(".index");

/** Which known state an opened store shows; `prefix` is the log cut at the damage ("cut-at" only). */
export function openedAs(got: Acknowledged, history: History, prefix: Acknowledged | null): Opened {
  return equal(got, history.ack)
    ? "exact"
    : equal(got, history.beforeLast)
    ? "before-last"
    : prefix !== null && equal(got, prefix)
    ? "prefix"
    : "different";
}

export interface ReadVerdict {
  outcome: "opened" | "refused";
  opened?: Opened;
  violations: string[];
}

/** The first read of the damaged store: `opened` is `openedAs(...)` when it opened. */
export function judgeRead(got: Read, file: string, damaged: Damaged, opened: Opened | null): ReadVerdict {
  const violations: string[] = [];
  if (isRun(got)) {
    if (!namesFile(got, file)) {
      violations.push(
        `a reader failed without naming ${file} and a line (exit ${got.code}): ${got.stderr.slice(0, 300)}`,
      );
    }
    if (damaged.tail !== "none") {
      violations.push(`refused a tail a crash can leave: ${got.stderr.slice(0, 200)}`);
    }
    return { outcome: "refused", violations };
  }
  const as = opened ?? "different";
  const allowed = damaged.tail === "torn"
    ? as === "exact"
    : damaged.tail === "last-cut"
    ? as === "before-last" || as === "exact"
    : damaged.tail === "cut-at"
    ? as === "prefix" || as === "exact" || as === "before-last"
    : false;
  // an archive index must be found by doctor instead (judgeDoctor)
  if (!allowed && !(derivedOnly(file) && as === "exact")) {
    violations.push(`opened silently (${as} state) despite damage that no crash leaves`);
  }
  return { outcome: "opened", opened: as, violations };
}

/** Whether `doctor` must report the damage: real damage, refused by a reader or in derived data only. */
export function mustFind(read: ReadVerdict, file: string, damaged: Damaged): boolean {
  return read.outcome === "refused" || (derivedOnly(file) && damaged.tail === "none");
}

/** `doctor` on the damaged store; `clean` says the read had no violation (then it must keep quiet). */
export function judgeDoctor(doctor: BinaryRun, file: string, find: boolean, clean: boolean): string[] {
  if (find && (doctor.code !== 1 || !doctor.stdout.includes(file))) {
    return [
      `doctor did not report the damage to ${file} (exit ${doctor.code}): ${doctor.stdout.slice(0, 300)}`,
    ];
  }
  if (!find && clean && doctor.code !== 0) {
    return [`doctor found fault with a store a crash can leave: ${doctor.stdout.slice(0, 300)}`];
  }
  return [];
}

/** `doctor --repair` and the read after it. */
export function judgeRepair(
  repair: BinaryRun,
  after: Read | null,
  history: History,
  find: boolean,
): string[] {
  if (repair.code !== 0) {
    return [`doctor --repair failed (exit ${repair.code}): ${(repair.stdout + repair.stderr).slice(0, 400)}`];
  }
  if (after === null || isRun(after)) {
    return [`the store does not open after doctor --repair: ${after?.stderr.slice(0, 300) ?? "(not read)"}`];
  }
  // every job is still there, or the repair named it as lost, or said that some it lost cannot be
  // told (a deleted log line, or an unreadable one without a readable id, leaves no trace of its jobs)
  const present = new Set((JSON.parse(after.list) as Array<{ id: string }>).map((j) => j.id));
  const unsaid = history.ids.filter((id) => !present.has(id) && !repair.stdout.includes(id));
  if (unsaid.length > 0 && find && !/cannot be told/.test(repair.stdout)) {
    return [`doctor --repair lost job(s) without naming them: ${unsaid.slice(0, 10).join(", ")}`];
  }
  return [];
}

/** One command after the repair (`what` names it): it must exit 0. */
export function judgeAfterRepair(what: string, r: BinaryRun): string[] {
  return r.code === 0
    ? []
    : [`${what} fails after doctor --repair (exit ${r.code}): ${(r.stdout + r.stderr).slice(0, 300)}`];
}
