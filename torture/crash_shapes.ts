/**
 * The store shapes the crash-point step crashes into, each built once per run through the real
 * CLI and copied per case: empty; live jobs only; archive segments plus completed jobs still in
 * the log (so the next compaction writes and merges segments); the same with tombstones (archived
 * jobs deleted since the last compaction).
 */
import { cliJson, runCli } from "./lib/cli.ts";
import { makeScratch, type Scratch, writeConfig } from "./lib/home.ts";

export const SHAPES = ["empty", "live", "archive", "tombstones"] as const;
export type Shape = typeof SHAPES[number];

export interface Template {
  shape: Shape;
  scratch: Scratch;
  /** state of each job, as `list` shows it */
  states: Map<string, string>;
}

export const CONFIG = { backoff_base: 1, backoff_max: 0.05, lease_timeout: 2, poll_interval: 0.2 };

async function ok(home: string, args: string[]): Promise<string> {
  const r = await runCli(home, args);
  if (r.code !== 0) {
    throw new Error(`building a shape: queuectl ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** Enqueues `n` jobs named `<prefix>-<i>` in one batch; `fail` of them exit 1 with no retry. */
async function batch(s: Scratch, prefix: string, n: number, fail = 0): Promise<void> {
  const file = `${s.dir}/${prefix}.jsonl`;
  const lines = Array.from(
    { length: n },
    (_, i) => JSON.stringify({ id: `${prefix}-${i}`, command: i < fail ? "exit 1" : "true", max_retries: 0 }),
  );
  Deno.writeTextFileSync(file, lines.join("\n") + "\n");
  await ok(s.home, ["enqueue", "--file", file]);
}

const drain = (s: Scratch) => ok(s.home, ["worker", "start", "--drain", "--count", "4"]);

export async function buildTemplate(shape: Shape): Promise<Template> {
  const s = makeScratch(`torture-crash-${shape}-`);
  writeConfig(s, CONFIG);
  if (shape === "live") await batch(s, "live", 12);
  if (shape === "archive" || shape === "tombstones") {
    await batch(s, "old", 30, 3);
    await drain(s);
    await ok(s.home, ["compact"]);
    await batch(s, "mid", 20);
    await drain(s);
    await ok(s.home, ["compact"]);
    if (shape === "tombstones") {
      await ok(s.home, [
        "delete",
        ...Array.from({ length: 8 }, (_, i) => `old-${i + 5}`),
      ]);
    }
    await batch(s, "done", 10, 2);
    await drain(s);
    await batch(s, "live", 5);
  }
  const jobs = await cliJson<Array<{ id: string; state: string }>>(s.home, ["list", "--limit", "0"]);
  return { shape, scratch: s, states: new Map(jobs.map((j) => [j.id, j.state])) };
}
