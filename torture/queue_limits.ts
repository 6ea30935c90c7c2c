/**
 * Step "queues": a queue's concurrency limit is never exceeded, with several workers racing for
 * its jobs and kill -9 of workers. Three limited queues (1, 2 and 3 at once) and one without a
 * limit are paused while their jobs are enqueued, then resumed at once before 4 workers of 3
 * slots; a killer SIGKILLs a worker every second or so and starts another. A killed worker's job
 * runs on until a rescuer kills what is left of it and records its end: it counts as running
 * until then (lib/shaping.ts). From the ledger, the most runs of each queue at once must stay
 * within its limit; every job must complete.
 */
import { cliJson, runCli, untilNoLiveJob } from "./lib/cli.ts";
import { Crew } from "./lib/crew.ts";
import { makeScratch, readText, removeScratch, writeConfig } from "./lib/home.ts";
import { jobCommand, parseLedger } from "./lib/ledger.ts";
import { deriveSeed, rng } from "./lib/prng.ts";
import { checkQueueLimits, type ShapedJob, timedRuns } from "./lib/shaping.ts";
import type { Step, StepResult } from "./step.ts";

const LIMITS = new Map([["one", 1], ["two", 2], ["three", 3]]);
const FREE = "free";
const WORKERS = 4;
const SLOTS = 3;
/** A short lease and near-immediate retries: a job taken back runs again soon. */
const CONFIG = { lease_timeout: 2, backoff_base: 1, backoff_max: 0.05, poll_interval: 0.2 };

export const queueLimitsStep: Step = async (options): Promise<StepResult> => {
  const t0 = performance.now();
  const perQueue = options.quick ? 25 : 120;
  const floor = { kills: options.quick ? 4 : 20, cut: options.quick ? 1 : 5 };
  const r = rng(deriveSeed(options.seed, 0, 0x9e0e));
  const s = makeScratch("torture-queues-");
  const violations: string[] = [];
  const crew = new Crew(s.home, SLOTS, violations);
  try {
    writeConfig(s, CONFIG);
    const queues = [...LIMITS.keys(), FREE];
    for (const [queue, limit] of LIMITS) {
      await ok(runCli(s.home, ["queue", "set", queue, "--concurrency", String(limit)]));
    }
    for (const queue of queues) await ok(runCli(s.home, ["queue", "pause", queue]));
    const lines: string[] = [];
    for (const queue of queues) {
      for (let i = 0; i < perQueue; i++) {
        const id = `${queue}-${i}`;
        const sleep = r.int(1, 5) / 10;
        const command = jobCommand(s.ledger, id, { sleep, exit: 0, attemptToken: true });
        lines.push(JSON.stringify({ id, command, queue, max_retries: 50 }));
      }
    }
    const batch = `${s.dir}/jobs.jsonl`;
    Deno.writeTextFileSync(batch, lines.join("\n") + "\n");
    await ok(runCli(s.home, ["enqueue", "--file", batch]));
    const total = lines.length;
    options.progress(
      `queues: ${total} jobs in ${queues.length} queues, ${WORKERS} workers × ${SLOTS} slots, kill -9`,
    );
    crew.start(WORKERS);
    await crew.started();
    for (const queue of queues) await ok(runCli(s.home, ["queue", "resume", queue]));
    const killer = crew.killer(r, [600, 1400]);
    await untilNoLiveJob(s.home, options.quick ? 300_000 : 1_800_000);
    await crew.windDown(killer, s.dir);

    const jobs = await cliJson<ShapedJob[]>(s.home, ["list", "--limit", "0"]);
    const byId = new Map(jobs.map((j) => [j.id, j]));
    for (const j of jobs) {
      if (j.state !== "completed") violations.push(`job ${j.id} ended ${j.state} (${j.last_error})`);
    }
    if (jobs.length !== total) violations.push(`list shows ${jobs.length} jobs, expected ${total}`);
    const { events, bad } = parseLedger(readText(s.ledger));
    if (bad.length > 0) violations.push(`ledger lines ${bad.slice(0, 10).join(", ")} do not parse`);
    const { runs, unknown } = timedRuns(events, byId);
    for (const u of unknown) violations.push(`run ${u} wrote no end and its attempt has no recorded end`);
    const limits = checkQueueLimits(runs, (id) => byId.get(id)?.queue, LIMITS);
    violations.push(...limits.violations);
    const cut = runs.filter((run) => run.cut).length;
    if (crew.kills < floor.kills) {
      violations.push(`only ${crew.kills} worker kill(s), fewer than ${floor.kills}`);
    }
    if (cut < floor.cut) violations.push(`only ${cut} run(s) cut short by a kill, fewer than ${floor.cut}`);
    if (runs.length < total) violations.push(`only ${runs.length} runs for ${total} jobs`);
    const free = checkQueueLimits(runs, (id) => byId.get(id)?.queue, new Map([[FREE, Infinity]])).peaks.get(
      FREE,
    );
    return {
      name: "queues",
      figures: [
        { label: "jobs (4 queues)", value: total },
        { label: "workers × slots", value: `${WORKERS} × ${SLOTS}` },
        { label: "workers killed", value: crew.kills },
        { label: "runs (ledger)", value: runs.length },
        { label: "runs cut short by a kill", value: cut },
        ...[...LIMITS].map(([q, limit]) => ({
          label: `most at once in queue ${q} (limit ${limit})`,
          value: limits.peaks.get(q)!,
        })),
        { label: `most at once in queue ${FREE} (no limit)`, value: free ?? 0 },
        { label: "violations", value: violations.length },
      ],
      violations,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    crew.dispose(s.dir);
    removeScratch(s);
  }
};

async function ok(run: Promise<{ code: number; stderr: string }>): Promise<void> {
  const r = await run;
  if (r.code !== 0) throw new Error(`a queuectl command exited ${r.code}: ${r.stderr.trim()}`);
}
