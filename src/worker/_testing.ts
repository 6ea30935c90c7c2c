/** Helpers for the runner's tests: finding a job's processes through /proc, temp files, specs. */
import { processAlive, waitFor } from "../../testkit/mod.ts";
import assert from "node:assert/strict";
import { removeCgroups, setupCgroups } from "./cgroup.ts";
import type { JobSpec } from "./spec.ts";

export { processAlive, waitFor };

/**
 * A duration for `sleep` no other process names: a test finds the processes it started by it
 * in their command lines (`sleep 1000.<digits>`), wherever they went.
 */
export function marker(): string {
  return `1000.${crypto.getRandomValues(new Uint32Array(1))[0]}`;
}

/**
 * Pids of live processes whose command line names `marker`; with `sleepOnly`, only those that
 * are `sleep <marker>` itself (not the shells or tools that started it).
 */
export function pidsNaming(marker: string, sleepOnly = false): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name) || Number(entry.name) === Deno.pid) continue;
    try {
      const argv = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).split("\0");
      const names = sleepOnly ? argv[0] === "sleep" && argv[1] === marker : argv.join(" ").includes(marker);
      if (names && processAlive(Number(entry.name))) found.push(Number(entry.name));
    } catch { /* it ended meanwhile */ }
  }
  return found;
}

/** Waits until exactly `count` processes are `sleep <marker>`; returns their pids. */
export async function untilRunning(marker: string, count = 1): Promise<number[]> {
  let pids: number[] = [];
  await waitFor(
    () => (pids = pidsNaming(marker, true)).length === count,
    `${count} \`sleep ${marker}\` running`,
  );
  return pids;
}

/** Kills every process naming `marker` (a test's cleanup, whatever it asserted). */
export function killNaming(marker: string): void {
  for (const pid of pidsNaming(marker)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
}

/** Process group, session and start time of `pid` (from /proc/<pid>/stat). */
export function statOf(pid: number): { pgrp: number; session: number; start: number } {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { pgrp: Number(fields[2]), session: Number(fields[3]), start: Number(fields[19]) };
}

/** A spec with defaults: attempt 1, no cwd, no env, output in `dir`. */
export function spec(dir: string, command: string, more: Partial<JobSpec> = {}): JobSpec {
  return { id: "j1", attempt: 1, command, cwd: null, env: {}, output: `${dir}/slot.out`, ...more };
}

/** Runs `body` with a temporary directory, removed afterwards. */
export async function withTempDir(body: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = Deno.makeTempDirSync({ prefix: "qctl-runner-" });
  try {
    await body(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** The bytes of `path` from `start` to `end` as text ("" when there is no such file). */
export function slice(path: string, start: number, end: number): string {
  try {
    return new TextDecoder().decode(Deno.readFileSync(path).subarray(start, end));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "";
    throw e;
  }
}

/**
 * Runs `body` with a usable cgroup for one slot, or with null (saying why) where there is none.
 * QUEUECTL_TEST_CGROUPS=off plays a host without them.
 */
export async function withCgroup(body: (cgroup: string | null, why: string) => Promise<void>): Promise<void> {
  const setup = Deno.env.get("QUEUECTL_TEST_CGROUPS") === "off"
    ? { usable: false as const, reason: "QUEUECTL_TEST_CGROUPS=off" }
    : await setupCgroups(`test-${crypto.randomUUID().slice(0, 8)}`, 1);
  try {
    await body(setup.usable ? setup.slots[0] : null, setup.usable ? "" : setup.reason);
  } finally {
    if (setup.usable) assert.equal(await removeCgroups(setup.dir), null);
  }
}
