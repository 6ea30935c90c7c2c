/**
 * Step "clock": the wall clock steps an hour forward and back while workers run jobs (issue 13,
 * parts 2 and 5). Every process of the step (workers, CLI, jobs) runs under libfaketime reading
 * its offset from one file (FAKETIME_TIMESTAMP_FILE, re-read every second), so writing "+3600" or
 * "-3600" there steps the wall clock of all of them at once, as NTP or a resumed VM does; their
 * monotonic clock is left alone (FAKETIME_DONT_FAKE_MONOTONIC), as a real step leaves it. The
 * offset cycles 0 → +1 h → 0 → −1 h → 0 …; right after each forward step a few probe jobs are
 * enqueued "now" (no --run-at) into a queue of their own, whose worker starts once the clock has
 * stepped back: that step must not delay them (a run_at of their enqueue time would hold them an
 * hour).
 *
 * Checks (lib/healthy.ts): every job runs exactly once and completes at its first attempt, no
 * attempt is recorded lost, no run starts while an earlier run of its job lives; each probe
 * completes within PROBE_MS of its enqueue; every worker runs to the end and exits 0 on SIGTERM.
 * Floors: steps forward and back, runs in flight across a step, probes. Needs `faketime`.
 */
import { faketimePreload } from "../testkit/faketime.ts";
import { cliJson, type Proc, runCli, spawnWorker, within } from "./lib/cli.ts";
import { belowFloors } from "./lib/floors.ts";
import { type HealthyJob, healthyJobCommand, judgeHealthy } from "./lib/healthy.ts";
import { stopHealthyWorkers, untilAllEnded } from "./lib/healthy_run.ts";
import { makeScratch, readText, removeScratch, writeConfig } from "./lib/home.ts";
import { deriveSeed, rng } from "./lib/prng.ts";
import { processesNaming } from "./lib/procs.ts";
import type { Figure, Step, StepResult } from "./step.ts";

const WORKERS = 3;
const SLOTS = 3;
const HOUR = 3600;
/** A lease far shorter than the step: a lease judged by the wall clock lapses at once. */
const CONFIG = { lease_timeout: 3, poll_interval: 0.2, backoff_base: 1, backoff_max: 0.05 };
const OFFSETS = [HOUR, 0, -HOUR, 0];
const PROBES = 2;
/** generous: a probe takes a second; one delayed by the step waits until the clock is back */
const PROBE_MS = 15_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The environment that puts a process on the step's clock, whose offset is in `file`. */
export async function steppedClockEnv(file: string): Promise<Record<string, string>> {
  return {
    LD_PRELOAD: await faketimePreload(),
    FAKETIME_TIMESTAMP_FILE: file,
    FAKETIME_CACHE_DURATION: "1",
    FAKETIME_DONT_FAKE_MONOTONIC: "1",
  };
}

export const clockStep: Step = async (options): Promise<StepResult> => {
  const t0 = performance.now();
  const seconds = options.quick ? 30 : 120;
  const total = options.quick ? 90 : 450;
  const r = rng(deriveSeed(options.seed, 0, 0xc10c));
  const s = makeScratch("torture-clock-");
  const violations: string[] = [];
  const workers: Proc[] = [];
  const clockFile = `${s.dir}/clock`;
  Deno.writeTextFileSync(clockFile, "+0\n");
  let env: Record<string, string>;
  try {
    env = await steppedClockEnv(clockFile);
  } catch (e) {
    removeScratch(s);
    return {
      name: "clock",
      figures: [],
      violations: [`no stepped clock: ${(e as Error).message} (is faketime installed?)`],
      seconds: (performance.now() - t0) / 1000,
    };
  }
  try {
    writeConfig(s, CONFIG);
    const ids: string[] = [];
    const lines: string[] = [];
    for (let i = 0; i < total; i++) {
      const id = `j${i}`;
      ids.push(id);
      const command = healthyJobCommand(s.ledger, s.dir, id, r.int(5, 50) / 10);
      lines.push(JSON.stringify({ id, command, max_retries: 3 }));
    }
    Deno.writeTextFileSync(`${s.dir}/jobs.jsonl`, lines.join("\n") + "\n");
    await ok(runCli(s.home, ["enqueue", "--file", `${s.dir}/jobs.jsonl`], { env }));
    for (let i = 0; i < WORKERS; i++) {
      workers.push(spawnWorker(s.home, ["--count", String(SLOTS), "--queue", "default"], { env }));
    }
    options.progress(
      `clock: ${total} jobs, ${WORKERS} workers × ${SLOTS}, the wall clock stepping ±1 h for ${seconds} s`,
    );
    const events: number[] = [];
    const lineCount = () => readText(s.ledger).split("\n").length - 1;
    let forward = 0;
    let backward = 0;
    let offset = 0;
    let onClock = 0;
    const probes: Array<{ id: string; at: number }> = [];
    const until = performance.now() + seconds * 1000;
    const done = new Map<string, number>();
    // a probe's end line in the ledger: read often, as the wall clock cannot time it
    const watch = async (ms: number) => {
      for (const end = performance.now() + ms; performance.now() < end;) {
        for (const m of readText(s.ledger).matchAll(/^E (probe\d+) /gm)) {
          if (!done.has(m[1])) done.set(m[1], performance.now());
        }
        await sleep(100);
      }
    };
    let held: Array<{ id: string; at: number }> = [];
    for (let k = 0; performance.now() < until; k++) {
      await watch(r.int(1000, 2500));
      const next = OFFSETS[k % OFFSETS.length];
      Deno.writeTextFileSync(clockFile, `${next >= 0 ? "+" : ""}${next}\n`);
      if (next > offset) forward++;
      else backward++;
      offset = next;
      events.push(lineCount());
      await watch(1200); // every process has read the new offset (cache of 1 s)
      if (held.length > 0) {
        // the clock stepped back since they were enqueued: a worker that never saw them before
        // (a worker's index keeps a job it once found due) must run them now; the clock stays
        // behind until they ended, so a probe held until it comes back shows
        const at = performance.now();
        const prober = spawnWorker(s.home, ["--count", String(PROBES), "--queue", "probes"], { env });
        workers.push(prober);
        probes.push(...held.map((p) => ({ ...p, at })));
        for (const end = at + PROBE_MS; performance.now() < end && held.some((p) => !done.has(p.id));) {
          await watch(100);
        }
        held = [];
        prober.kill("SIGTERM");
        const exit = await within(prober, 60_000, "a stopping probe worker");
        workers.splice(workers.indexOf(prober), 1);
        if (exit.code !== 0) {
          violations.push(`a probe worker exited ${exit.code}: ${exit.stderr.trim().slice(-300)}`);
        }
      }
      if (OFFSETS[(k + 1) % OFFSETS.length] < next) {
        // the clock steps back next: jobs enqueued "now" must not wait for it to come back
        for (let p = 0; p < PROBES; p++) {
          const id = `probe${probes.length + held.length}`;
          const command = healthyJobCommand(s.ledger, s.dir, id, 0.1);
          const before = Date.now();
          const args = [
            "enqueue",
            "--id",
            id,
            "--queue",
            "probes",
            "--priority",
            "10",
            "--json",
            "--",
            command,
          ];
          const res = await runCli(s.home, args, { env });
          if (res.code !== 0) throw new Error(`enqueue of ${id} exited ${res.code}: ${res.stderr.trim()}`);
          // the wall clock the CLI saw, against ours: proof that the step reached it
          const seen = Math.round((Date.parse(JSON.parse(res.stdout).created_at) - before) / 1000);
          if (Math.abs(seen - next) < 60) onClock++;
          ids.push(id);
          held.push({ id, at: 0 });
        }
      }
    }
    if (held.length > 0) {
      // the last ones: run by a worker of their queue once the clock is back at +0 below
      workers.push(spawnWorker(s.home, ["--count", String(PROBES), "--queue", "probes"], { env }));
    }
    Deno.writeTextFileSync(clockFile, "+0\n");
    // healthy jobs of a second or so: what is not done in a few minutes is held (judged below)
    violations.push(
      ...await untilAllEnded(s.home, [], { env }, options.quick ? 120_000 : 300_000, watch),
    );
    // a probe's end was seen at most 100 ms late; a delayed probe waits an hour
    let slowest = 0;
    for (const p of probes) {
      const ms = (done.get(p.id) ?? Infinity) - p.at;
      slowest = Math.max(slowest, ms);
      if (ms > PROBE_MS) {
        violations.push(
          `probe ${p.id}, enqueued "now" before a backward step, completed ${
            Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : "never"
          } after its worker started`,
        );
      }
    }
    const stopped = await stopHealthyWorkers(workers);
    violations.push(...stopped.violations);
    const jobs = await cliJson<HealthyJob[]>(s.home, ["list", "--limit", "0"], { env });
    const verdict = judgeHealthy(ids, jobs, readText(s.ledger), events);
    violations.push(...verdict.violations);
    const figures: Figure[] = [
      { label: "workers × slots", value: `${WORKERS} × ${SLOTS}` },
      { label: "jobs (probes included)", value: ids.length },
      { label: "steps forward (+1 h)", value: forward },
      { label: "steps back (−1 h)", value: backward },
      { label: "runs", value: verdict.runs },
      { label: "runs in flight across a step", value: verdict.spanning },
      { label: "probes enqueued just before a backward step", value: probes.length },
      { label: "probes whose created_at shows the stepped clock", value: onClock },
      {
        label: "slowest probe (s, its worker started to its end line)",
        value: Number((slowest / 1000).toFixed(1)),
      },
      { label: "take-backs", value: stopped.tookBack },
    ];
    const floors = options.quick
      ? {
        "steps forward (+1 h)": 3,
        "steps back (−1 h)": 3,
        "runs in flight across a step": 20,
        "probes enqueued just before a backward step": 4,
      }
      : {
        "steps forward (+1 h)": 10,
        "steps back (−1 h)": 10,
        "runs in flight across a step": 100,
        "probes enqueued just before a backward step": 20,
      };
    violations.push(...belowFloors(figures, floors));
    figures.push({ label: "violations", value: violations.length });
    return { name: "clock", figures, violations, seconds: (performance.now() - t0) / 1000 };
  } finally {
    for (const w of workers) w.kill("SIGKILL");
    for (const w of workers) await w.exited;
    killLeftovers(s.dir);
    removeScratch(s);
  }
};

/** Job shells of the step still running (a run cut short by a failed step). */
export function killLeftovers(dir: string): void {
  for (const pid of processesNaming(dir)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
}

async function ok(run: Promise<{ code: number; stderr: string }>): Promise<void> {
  const res = await run;
  if (res.code !== 0) throw new Error(`a queuectl command exited ${res.code}: ${res.stderr.trim()}`);
}
