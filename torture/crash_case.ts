/**
 * One crash-point case: a copy of a shape's home, one CLI process crashed at one point of the
 * store's seam (QUEUECTL_CRASH_AT), then the checks: the store opens (doctor), every job the
 * shape held is there in its state (a worker may have claimed one), no duplicate, nothing
 * unknown; then two compactions and an enqueue succeed, nothing is lost on the way, and no
 * leftover remains.
 */
import { scanGenerations } from "../src/store/paths.ts";
import type { Template } from "./crash_shapes.ts";
import { cliJson, runCli } from "./lib/cli.ts";
import { copyTree, makeScratch, removeScratch } from "./lib/home.ts";

export const OPS = ["enqueue", "compact", "worker", "retain"] as const;
export type Op = typeof OPS[number];

export interface CaseResult {
  /** the process died at the point (it may finish without meeting it) */
  reached: boolean;
  violations: string[];
}

const NEW_ID = "crash-new";
const AFTER_ID = "crash-after";

function opArgs(op: Op): string[] {
  if (op === "enqueue") return ["enqueue", JSON.stringify({ id: NEW_ID, command: "true" })];
  // "retain": a compaction with retention set, which prunes every finished job first
  if (op === "compact" || op === "retain") return ["compact"];
  return ["worker", "start", "--drain", "--count", "1"];
}

/** The home's config.jsonc with the retention keys set (or not): retention prunes everything finished. */
function setRetention(home: string, on: boolean): void {
  const path = `${home}/config.jsonc`;
  let config: Record<string, unknown> = {};
  try {
    config = JSON.parse(Deno.readTextFileSync(path));
  } catch { /* none yet */ }
  delete config.retention_completed;
  delete config.retention_dead;
  if (on) Object.assign(config, { retention_completed: 0.001, retention_dead: 0.001 });
  Deno.writeTextFileSync(path, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
}

export type Listed = Array<{ id: string; state: string }>;

export async function runCase(t: Template, point: string, op: Op): Promise<CaseResult> {
  const s = makeScratch(`torture-crash-case-`);
  const name = `${point} × ${t.shape} × ${op}`;
  const violations: string[] = [];
  const fail = (what: string) => violations.push(`${name}: ${what}`);
  try {
    copyTree(t.scratch.home, s.home);
    // every write compacts when the log holds more than the live jobs: compaction points are met
    const env = { ...t.env, QUEUECTL_CRASH_AT: point, QUEUECTL_COMPACT_AFTER_BYTES: "1" };
    if (op === "retain") setRetention(s.home, true);
    const crashed = await runCli(s.home, opArgs(op), { env });
    // what follows (checks, recovery) runs without retention: the jobs left must stay as they are
    if (op === "retain") setRetention(s.home, false);
    // the checks run with the shape's seams too: what they write is written as in that shape
    const seams = { env: t.env };
    const reached = crashed.signal === "SIGKILL";
    if (!reached && crashed.code !== 0) {
      fail(`${op} exited ${crashed.code} without crashing: ${crashed.stderr.trim()}`);
    }

    const doctor = await cliJson<{ ok: boolean; problems: string[] }>(s.home, ["doctor"], seams);
    if (!doctor.ok) fail(`doctor after the crash: ${doctor.problems.join("; ")}`);
    const after = await cliJson<Listed>(s.home, ["list", "--limit", "0"], seams);
    // a worker prints "completed <id>" once the finish is durable: that change must survive
    const reported = [...crashed.stdout.matchAll(/ completed (\S+)$/gm)].map((m) => m[1]);
    const states = compareAfterCrash(after, t.states, op, fail);
    for (const id of reported) {
      if (states.get(id) !== "completed") {
        fail(`job ${id} was reported completed, but is ${states.get(id)} after the crash`);
      }
    }

    for (
      const args of [["compact"], ["compact"], ["enqueue", JSON.stringify({ id: AFTER_ID, command: "true" })]]
    ) {
      const r = await runCli(s.home, args, seams);
      if (r.code !== 0) fail(`${args[0]} after the crash exited ${r.code}: ${r.stderr.trim()}`);
    }
    const final = await cliJson<Listed>(s.home, ["list", "--limit", "0"], seams);
    const finalStates = new Map(final.map((j) => [j.id, j.state]));
    if (finalStates.size !== final.length) fail("a job is listed twice after recovery");
    for (const [id, state] of states) {
      if (finalStates.get(id) !== state) {
        fail(`job ${id} was ${state} after the crash, ${finalStates.get(id) ?? "missing"} after recovery`);
      }
    }
    if (!finalStates.has(AFTER_ID)) fail(`the enqueue after recovery is missing`);
    const again = await cliJson<{ ok: boolean; problems: string[] }>(s.home, ["doctor"], seams);
    if (!again.ok) fail(`doctor after recovery: ${again.problems.join("; ")}`);
    const g = scanGenerations(s.home);
    if (g.temps.length > 0 || g.wals.length !== 1 || g.snapshots.length > 1) {
      fail(`leftovers after two compactions: ${JSON.stringify(g)}`);
    }
    return { reached, violations };
  } finally {
    removeScratch(s);
  }
}

/**
 * The jobs after the crash against the shape's: each is there in its state (a worker may have
 * completed pending jobs, and hold one in processing); nothing else but the job the crashed
 * enqueue was writing. Returns the states seen.
 */
export function compareAfterCrash(
  after: Listed,
  before: Map<string, string>,
  op: Op,
  fail: (what: string) => void,
): Map<string, string> {
  const states = new Map(after.map((j) => [j.id, j.state]));
  if (states.size !== after.length) fail("a job is listed twice after the crash");
  let claimed = 0;
  // retention prunes every finished job in one transaction (the shapes are small): all or none
  const finished = [...before].filter(([, state]) => state === "completed" || state === "dead");
  const pruned = op === "retain" && finished.length > 0 && !states.has(finished[0][0]);
  if (pruned && finished.some(([id]) => states.has(id))) {
    fail("retention pruned only some of the finished jobs");
  }
  for (const [id, state] of before) {
    const now = states.get(id);
    if (now === undefined && pruned && (state === "completed" || state === "dead")) continue;
    if (now === undefined) fail(`job ${id} (${state}) is missing after the crash`);
    else if (now !== state) {
      if (op === "worker" && state === "pending" && now === "processing") claimed++;
      else if (op === "worker" && state === "pending" && now === "completed") continue; // its jobs all succeed
      else fail(`job ${id} went from ${state} to ${now} across the crash`);
    }
  }
  if (claimed > 1) fail(`${claimed} jobs are processing under a one-slot worker`);
  for (const id of states.keys()) {
    if (!before.has(id) && !(op === "enqueue" && id === NEW_ID)) fail(`job ${id} appeared from nowhere`);
  }
  return states;
}
