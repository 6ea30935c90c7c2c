/**
 * The store shapes the crash-point step crashes into, each built once per run through the real
 * CLI and copied per case: empty (a store that holds no job: a queue paused and resumed, since
 * `compact` and `doctor` refuse a home where nothing was ever written); live jobs only; archive
 * segments plus completed jobs still in
 * the log (so the next compaction writes and merges segments); the same with tombstones (archived
 * jobs deleted since the last compaction); pending segments (QUEUECTL_PENDING_MIN=1, for the shape
 * and every case run in it): one mostly used up by a worker, so the next compaction rewrites it,
 * and plain pending jobs in the log, so it writes a new one.
 */
import { cliJson, runCli } from "./lib/cli.ts";
import { makeScratch, type Scratch, writeConfig } from "./lib/home.ts";

export const SHAPES = ["empty", "live", "archive", "tombstones", "pending"] as const;
export type Shape = typeof SHAPES[number];

export interface Template {
  shape: Shape;
  scratch: Scratch;
  /** state of each job, as `list` shows it */
  states: Map<string, string>;
  /** the environment of every CLI call in this shape (its test seams) */
  env: Record<string, string>;
}

/** The test seams a shape's store is built and crashed with. */
function envOf(shape: Shape): Record<string, string> {
  return shape === "pending" ? { QUEUECTL_PENDING_MIN: "1" } : {};
}

export const CONFIG = { backoff_base: 1, backoff_max: 0.05, lease_timeout: 2, poll_interval: 0.2 };

async function ok(home: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await runCli(home, args, { env });
  if (r.code !== 0) {
    throw new Error(`building a shape: queuectl ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/**
 * Enqueues `n` jobs named `<prefix>-<i>` in one batch; `fail` of them exit 1 with no retry; with
 * `laterMs`, each runs that long after now (times i + 1).
 */
async function batch(
  s: Scratch,
  prefix: string,
  n: number,
  fail = 0,
  env: Record<string, string> = {},
  laterMs = 0,
): Promise<void> {
  const file = `${s.dir}/${prefix}.jsonl`;
  const now = Date.now();
  const lines = Array.from(
    { length: n },
    (_, i) =>
      JSON.stringify({
        id: `${prefix}-${i}`,
        command: i < fail ? "exit 1" : "true",
        max_retries: 0,
        ...(laterMs > 0 ? { run_at: new Date(now + (i + 1) * laterMs).toISOString() } : {}),
      }),
  );
  Deno.writeTextFileSync(file, lines.join("\n") + "\n");
  await ok(s.home, ["enqueue", "--file", file], env);
}

const drain = (s: Scratch, env: Record<string, string> = {}) =>
  ok(s.home, ["worker", "start", "--drain", "--count", "4"], env);

export async function buildTemplate(shape: Shape): Promise<Template> {
  const s = makeScratch(`torture-crash-${shape}-`);
  const env = envOf(shape);
  writeConfig(s, CONFIG);
  if (shape === "pending") {
    await batch(s, "due", 8, 0, env);
    await batch(s, "later", 6, 0, env, 3600_000);
    await ok(s.home, ["compact"], env); // one pending segment: 8 due, 6 scheduled
    await drain(s, env); // the due ones claimed from it and run: used up
    await ok(s.home, ["delete", "later-2"], env); // one taken out of order
    await batch(s, "live", 5, 0, env); // plain pending jobs in the log
  }
  if (shape === "empty") {
    await ok(s.home, ["queue", "pause", "crash-empty"]);
    await ok(s.home, ["queue", "resume", "crash-empty"]);
  }
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
  const jobs = await cliJson<Array<{ id: string; state: string }>>(s.home, ["list", "--limit", "0"], { env });
  if (
    shape === "pending" && ![...Deno.readDirSync(s.home)].some((e) => /^pending-\d{8}\.jobs$/.test(e.name))
  ) {
    throw new Error("building the pending shape: no pending segment was written");
  }
  return { shape, scratch: s, states: new Map(jobs.map((j) => [j.id, j.state])), env };
}
