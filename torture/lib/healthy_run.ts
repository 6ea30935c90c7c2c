/**
 * The I/O ends of the healthy-run steps (`clock`, `stall`; their judge is healthy.ts): waiting
 * until every job has ended, and stopping the workers and reading what they said. Each returns
 * the violations it saw; the caller adds them to its own.
 */
import { cliJson, type Proc, type SpawnOptions, within } from "./cli.ts";
import type { HealthyJob } from "./healthy.ts";

/**
 * Lists the jobs (`list` with `args`) every `pause` until none is pending, processing or failed,
 * or `ms` have passed (then one violation naming the jobs still open).
 */
export async function untilAllEnded(
  home: string,
  args: string[],
  options: SpawnOptions,
  ms: number,
  pause: (ms: number) => Promise<unknown>,
): Promise<string[]> {
  for (const deadline = Date.now() + ms;;) {
    const jobs = await cliJson<HealthyJob[]>(home, ["list", ...args, "--limit", "0"], options);
    const open = jobs.filter((j) => j.state !== "completed" && j.state !== "dead");
    if (open.length === 0) return [];
    if (Date.now() > deadline) {
      return [
        `${open.length} job(s) not ended when the step gave up: ${
          open.slice(0, 5).map((j) => `${j.id} ${j.state}`).join(", ")
        }`,
      ];
    }
    await pause(500);
  }
}

/**
 * Stops `workers` (SIGTERM, each given 60 s) and empties the list. A worker exiting non-zero is a
 * violation, and so is every `took back` a worker logged: in these steps no worker dies.
 */
export async function stopHealthyWorkers(
  workers: Proc[],
): Promise<{ violations: string[]; tookBack: number }> {
  const violations: string[] = [];
  const outputs: string[] = [];
  for (const w of workers) w.kill("SIGTERM");
  for (const w of workers.splice(0)) {
    const exit = await within(w, 60_000, "a stopping worker");
    outputs.push(exit.stdout + exit.stderr);
    if (exit.code !== 0) violations.push(`a worker exited ${exit.code}: ${exit.stderr.trim().slice(-300)}`);
  }
  const tookBack = outputs.join("").match(/took back \S+/g) ?? [];
  for (const t of tookBack) violations.push(`a worker ${t} from a live worker`);
  return { violations, tookBack: tookBack.length };
}
