/**
 * For tests of `doctor --repair` on a store's files: damage a home's snapshot in place, and repair
 * the home as `doctor --repair` would, with no worker running (imported from here, not from
 * mod.ts: it loads the repair code).
 */
import assert from "node:assert/strict";
import { homePaths } from "../src/store/paths.ts";
import { doctor, type DoctorReport } from "../src/store/repair.ts";
import { snapshotName } from "./files.ts";
import { NOTHING_RUNS } from "./store.ts";

/** Alters the bytes of `home`'s snapshot in place: `damage` gets them, and their text to find places in. */
export function damageSnapshot(home: string, damage: (bytes: Uint8Array, text: string) => void): void {
  const path = `${home}/${snapshotName(home)}`;
  const bytes = Deno.readFileSync(path);
  damage(bytes, new TextDecoder().decode(bytes));
  Deno.writeFileSync(path, bytes);
}

/** Runs `doctor --repair` on `home` and asserts it left the store sound; its report. */
export async function repairHome(home: string): Promise<DoctorReport> {
  const report = await doctor(homePaths(home), { repair: true, now: new Date() }, NOTHING_RUNS);
  assert.equal(report.ok, true, report.repairs.join("\n"));
  return report;
}
