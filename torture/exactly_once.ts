/**
 * Step "exactly": exactly-once accounting without crashes. 8 enqueuer loops (batches through
 * --file) and 4 `worker start --count 2` processes share one home; once every job is completed
 * the workers stop, and every job must have run exactly once (ledger), `status` must add up,
 * and no claim may starve: the figures give the wait from a job becoming runnable (`run_at`, or
 * its creation when it is due at once) to its start (`started_at`), and the throughput.
 */
import { cliJson, type Proc, runCli, spawnWorker, within } from "./lib/cli.ts";
import { makeScratch, readText, removeScratch, writeConfig } from "./lib/home.ts";
import { checkExactlyOnce } from "./lib/invariants.ts";
import { jobCommand, parseLedger } from "./lib/ledger.ts";
import { summary } from "./lib/stats.ts";
import { belowFloors } from "./lib/floors.ts";
import type { Figure, Step, StepResult } from "./step.ts";

const ENQUEUERS = 8;
const WORKERS = 4;
const SLOTS = 2;
const BATCH = 50;
export const FULL_JOBS = 20_000;
export const QUICK_JOBS = 2_000;

interface Listed {
  id: string;
  state: string;
  attempts: number;
  /** null: due as soon as possible, from its creation */
  run_at: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

interface Status {
  counts: Record<string, number>;
}

export const exactlyStep: Step = async (options): Promise<StepResult> => {
  const t0 = performance.now();
  const total = options.quick ? QUICK_JOBS : FULL_JOBS;
  const s = makeScratch("torture-exactly-");
  const violations: string[] = [];
  const workers: Proc[] = [];
  try {
    writeConfig(s, { poll_interval: 0.2 });
    for (let w = 0; w < WORKERS; w++) {
      workers.push(spawnWorker(s.home, ["--count", String(SLOTS)]));
    }
    const ids: string[] = [];
    const enqueuer = async (k: number) => {
      const share = Math.floor(total / ENQUEUERS) + (k < total % ENQUEUERS ? 1 : 0);
      for (let start = 0; start < share; start += BATCH) {
        const batchIds = Array.from(
          { length: Math.min(BATCH, share - start) },
          (_, i) => `x${k}-${start + i}`,
        );
        const file = `${s.dir}/batch-${k}-${start}.jsonl`;
        const lines = batchIds.map((id) =>
          JSON.stringify({ id, command: jobCommand(s.ledger, id, { sleep: 0, exit: 0, noClock: true }) })
        );
        Deno.writeTextFileSync(file, lines.join("\n") + "\n");
        const r = await runCli(s.home, ["enqueue", "--file", file]);
        if (r.code !== 0) throw new Error(`enqueue --file ${file} exited ${r.code}: ${r.stderr.trim()}`);
        ids.push(...batchIds);
      }
    };
    options.progress(`exactly: ${ENQUEUERS} enqueuers × ${WORKERS} workers × ${SLOTS} slots, ${total} jobs`);
    await Promise.all(Array.from({ length: ENQUEUERS }, (_, k) => enqueuer(k)));
    options.progress(
      `exactly: all ${total} jobs enqueued after ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
    let lastNote = performance.now();
    for (const deadline = Date.now() + (options.quick ? 300_000 : 1_800_000);;) {
      const status = await cliJson<Status>(s.home, ["status"]);
      if (status.counts.completed + status.counts.dead + status.counts.failed >= total) break;
      if (Date.now() > deadline) {
        throw new Error(`only ${status.counts.completed} of ${total} jobs completed in time`);
      }
      if (performance.now() - lastNote > 15_000) {
        lastNote = performance.now();
        options.progress(`exactly: ${status.counts.completed}/${total} completed`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const w of workers) w.kill("SIGTERM");
    for (const w of workers) {
      const exit = await within(w, 60_000, "a stopping worker");
      if (exit.code !== 0) violations.push(`a worker exited ${exit.code}: ${exit.stderr.trim()}`);
    }
    const status = await cliJson<Status>(s.home, ["status"]);
    const jobs = await cliJson<Listed[]>(s.home, ["list", "--limit", "0"]);
    const { events, bad } = parseLedger(readText(s.ledger));
    violations.push(...checkExactlyOnce(ids, events, bad));
    const c = status.counts;
    if (c.completed !== total || c.pending + c.processing + c.failed + c.dead !== 0) {
      violations.push(`status counts ${JSON.stringify(c)}, expected ${total} completed and nothing else`);
    }
    if (jobs.length !== total) violations.push(`list shows ${jobs.length} jobs, expected ${total}`);
    const waits: number[] = [];
    for (const j of jobs) {
      if (j.state !== "completed" || j.attempts !== 1) {
        violations.push(`job ${j.id} is ${j.state} after ${j.attempts} attempt(s)`);
      }
      if (j.started_at) waits.push(Date.parse(j.started_at) - Date.parse(j.run_at ?? j.created_at));
    }
    const first = Math.min(...jobs.map((j) => Date.parse(j.created_at)));
    const last = Math.max(...jobs.map((j) => Date.parse(j.finished_at ?? j.created_at)));
    const wait = summary(waits);
    const figures: Figure[] = [
      { label: "jobs", value: total },
      { label: "enqueuers × workers × slots", value: `${ENQUEUERS} × ${WORKERS} × ${SLOTS}` },
      { label: "runs (ledger)", value: events.filter((e) => e.kind === "start").length },
      {
        label: "jobs/s (first enqueue to last finish)",
        value: Math.round(total / ((last - first) / 1000)),
      },
      { label: "claim wait median (ms)", value: wait.median },
      { label: "claim wait p99 (ms)", value: wait.p99 },
      { label: "claim wait max (ms)", value: wait.max },
    ];
    // floor: every job ran (2,000 runs for 2,000 jobs in the quick runs)
    violations.push(...belowFloors(figures, { "runs (ledger)": total }));
    figures.push({ label: "violations", value: violations.length });
    return {
      name: "exactly",
      figures,
      violations: violations.length > 50
        ? [...violations.slice(0, 50), `... and ${violations.length - 50} more`]
        : violations,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    for (const w of workers) w.kill("SIGKILL");
    removeScratch(s);
  }
};
