/**
 * Step "stall": `store.lock` held far longer than lease-timeout while workers run jobs (issue 13,
 * part 2): by `flock -x store.lock sleep …` (a backup under flock, a long compaction), and by a
 * CLI stopped with SIGSTOP while it holds the lock mid-write (Ctrl-Z): an `enqueue --file` of a
 * batch into a paused queue, stopped the moment /proc/locks shows it holding the lock, resumed
 * (SIGCONT) after the stall. Workers can neither renew nor record meanwhile; once the lock is
 * free, no live worker's job may be taken from it.
 *
 * Checks (lib/healthy.ts): every job runs exactly once and completes at its first attempt, no
 * attempt recorded lost, no run starts while an earlier run of its job lives, no take-back in
 * the workers' output; every worker runs through every stall and exits 0 on SIGTERM; a stopped
 * CLI completes its enqueue. Floors: stalls of each kind, stall length, runs in flight across a
 * stall.
 */
import { cliJson, type Proc, runCli, spawnCli, spawnWorker, within } from "./lib/cli.ts";
import { belowFloors } from "./lib/floors.ts";
import { type HealthyJob, healthyJobCommand, judgeHealthy } from "./lib/healthy.ts";
import { stopHealthyWorkers, untilAllEnded } from "./lib/healthy_run.ts";
import { makeScratch, readText, removeScratch, writeConfig } from "./lib/home.ts";
import { deriveSeed, rng } from "./lib/prng.ts";
import { exclusiveHolders, processesNaming } from "./lib/procs.ts";
import type { Figure, Step, StepResult } from "./step.ts";

const WORKERS = 2;
const SLOTS = 3;
const LEASE = 2;
const STALL_S = 2.5 * LEASE;
const CONFIG = { lease_timeout: LEASE, poll_interval: 0.2, backoff_base: 1, backoff_max: 0.05 };
const BULK = 2000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const stalledLockStep: Step = async (options): Promise<StepResult> => {
  const t0 = performance.now();
  const rounds = options.quick ? 2 : 10;
  const total = options.quick ? 60 : 400;
  const r = rng(deriveSeed(options.seed, 0, 0x57a1));
  const s = makeScratch("torture-stall-");
  const violations: string[] = [];
  const workers: Proc[] = [];
  const extra: Proc[] = [];
  try {
    writeConfig(s, CONFIG);
    await ok(runCli(s.home, ["queue", "pause", "bulk"]));
    const ids: string[] = [];
    const lines: string[] = [];
    for (let i = 0; i < total; i++) {
      const id = `j${i}`;
      ids.push(id);
      lines.push(JSON.stringify({ id, command: healthyJobCommand(s.ledger, s.dir, id, r.int(5, 40) / 10) }));
    }
    Deno.writeTextFileSync(`${s.dir}/jobs.jsonl`, lines.join("\n") + "\n");
    const bulk = Array.from({ length: BULK }, () => JSON.stringify({ command: "true", queue: "bulk" }));
    Deno.writeTextFileSync(`${s.dir}/bulk.jsonl`, bulk.join("\n") + "\n");
    await ok(runCli(s.home, ["enqueue", "--file", `${s.dir}/jobs.jsonl`]));
    for (let i = 0; i < WORKERS; i++) workers.push(spawnWorker(s.home, ["--count", String(SLOTS)]));
    options.progress(
      `stall: ${total} jobs, ${WORKERS} workers × ${SLOTS}, store.lock held ${STALL_S} s (lease ${LEASE} s) ${rounds}×2 times`,
    );
    const events: number[] = [];
    const lineCount = () => readText(s.ledger).split("\n").length - 1;
    let flocks = 0;
    let stopped = 0;
    let tries = 0;
    let longest = 0;
    for (let round = 0; round < rounds; round++) {
      await sleep(r.int(1000, 2000));
      // a process outside queuectl holds the lock: flock(1) for STALL_S seconds
      const t = performance.now();
      const holder = new Deno.Command("flock", {
        args: ["-x", s.paths.lock, "sleep", String(STALL_S)],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).output();
      await sleep(300);
      events.push(lineCount());
      const held = await holder;
      if (!held.success) throw new Error(`flock failed: ${new TextDecoder().decode(held.stderr)}`);
      flocks++;
      longest = Math.max(longest, (performance.now() - t) / 1000);
      await sleep(r.int(1000, 2000));
      // a CLI stopped while it holds the lock, mid-write
      for (let attempt = 0; attempt < 5; attempt++) {
        tries++;
        const cli = spawnCli(s.home, ["enqueue", "--file", `${s.dir}/bulk.jsonl`]);
        extra.push(cli);
        let caught = false;
        for (const end = performance.now() + 30_000; performance.now() < end;) {
          if (exclusiveHolders(s.paths.lock).includes(cli.pid)) {
            Deno.kill(cli.pid, "SIGSTOP");
            // still its own? it may have let go between the look and the stop
            if (exclusiveHolders(s.paths.lock).includes(cli.pid)) caught = true;
            else Deno.kill(cli.pid, "SIGCONT");
            break;
          }
          if (await Promise.race([cli.exited.then(() => true), sleep(1).then(() => false)])) break;
        }
        if (caught) {
          const t1 = performance.now();
          events.push(lineCount());
          await sleep(STALL_S * 1000);
          Deno.kill(cli.pid, "SIGCONT");
          stopped++;
          longest = Math.max(longest, (performance.now() - t1) / 1000);
        }
        const exit = await within(cli, 120_000, "a stopped enqueue");
        extra.splice(extra.indexOf(cli), 1);
        if (exit.code !== 0) {
          violations.push(`an enqueue stopped mid-write exited ${exit.code}: ${exit.stderr.trim()}`);
        }
        if (caught) break;
      }
    }
    violations.push(
      ...await untilAllEnded(s.home, ["--queue", "default"], {}, options.quick ? 180_000 : 600_000, sleep),
    );
    const ended = await stopHealthyWorkers(workers);
    violations.push(...ended.violations);
    const jobs = await cliJson<HealthyJob[]>(s.home, ["list", "--queue", "default", "--limit", "0"]);
    const verdict = judgeHealthy(ids, jobs, readText(s.ledger), events);
    violations.push(...verdict.violations);
    const { counts } = await cliJson<{ counts: Record<string, number> }>(s.home, ["status"]);
    const figures: Figure[] = [
      { label: "workers × slots", value: `${WORKERS} × ${SLOTS}` },
      { label: "jobs", value: total },
      { label: "lease-timeout (s)", value: LEASE },
      { label: "stalls by flock", value: flocks },
      { label: "stalls by a CLI stopped holding the lock", value: stopped },
      { label: "tries to stop a CLI holding the lock", value: tries },
      { label: "longest stall (s)", value: Number(longest.toFixed(1)) },
      { label: "runs", value: verdict.runs },
      { label: "runs in flight across a stall", value: verdict.spanning },
      { label: "jobs enqueued by the stopped CLIs", value: counts.pending ?? 0 },
      { label: "take-backs", value: ended.tookBack },
    ];
    violations.push(...belowFloors(figures, {
      "stalls by flock": rounds,
      "stalls by a CLI stopped holding the lock": options.quick ? 1 : rounds / 2,
      "longest stall (s)": 2 * LEASE,
      "runs in flight across a stall": options.quick ? 10 : 40,
    }));
    figures.push({ label: "violations", value: violations.length });
    return { name: "stall", figures, violations, seconds: (performance.now() - t0) / 1000 };
  } finally {
    for (const p of extra) {
      p.kill("SIGCONT");
      p.kill("SIGKILL");
    }
    for (const w of workers) w.kill("SIGKILL");
    for (const w of workers) await w.exited;
    for (const pid of processesNaming(s.dir)) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
    removeScratch(s);
  }
};

async function ok(run: Promise<{ code: number; stderr: string }>): Promise<void> {
  const res = await run;
  if (res.code !== 0) throw new Error(`a queuectl command exited ${res.code}: ${res.stderr.trim()}`);
}
