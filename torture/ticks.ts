/**
 * Step "ticks": cron ticks under kill -9 on a fast clock. Every process of the step shares one
 * clock running 60 times faster than the real one (libfaketime's shared clock, anchored by one
 * `faketime` process whose environment the others inherit), so a per-minute schedule ticks about
 * once a real second. WORKERS workers share the home; at random moments one is killed with SIGKILL
 * and started again, and now and then all of them are, and none runs for a while (ticks are missed:
 * one catch-up run must follow, not one per minute).
 *
 * Checks: every job of the schedule has a tick id after the schedule's creation, on a whole
 * minute; no tick was announced enqueued by two workers; each job ran to completion, and ran more
 * than once only when an attempt was lost with its worker; the jobs never outnumber the minutes
 * that passed; a gap between two ticks longer than a minute only where every worker had been down
 * (at most the number of outages); a floor on the ticks seen. Needs `faketime` (Debian package
 * faketime); without it the step reports a violation saying so.
 */
import { clearStaleFaketime } from "../testkit/faketime.ts";
import { cliJson, type Proc, runCli, spawnCli, within } from "./lib/cli.ts";
import { makeScratch, readText, removeScratch, writeConfig } from "./lib/home.ts";
import { rng } from "./lib/prng.ts";
import type { Step, StepResult } from "./step.ts";

const WORKERS = 3;
const RATE = 60;
const MIN = 60_000;

interface Listed {
  id: string;
  state: string;
  attempts: number;
}

/** Starts the clock anchor; returns the environment that puts a process on its clock, and its stop. */
async function fastClock(
  seconds: number,
): Promise<{ env: Record<string, string>; stop: () => Promise<void> }> {
  clearStaleFaketime();
  const child = new Deno.Command("faketime", {
    args: [
      "-f",
      `+0 x${RATE}`,
      "/bin/sh",
      "-c",
      `echo "pid=$$"; env | grep -E '^(FAKETIME|LD_PRELOAD)'; echo end; exec env -u LD_PRELOAD /bin/sleep ${seconds}`,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\nend\n")) {
    const { value, done } = await reader.read();
    if (done) {
      const why = (await new Response(child.stderr).text()).trim().split("\n")[0];
      throw new Error(`faketime ended early: ${why || text}`);
    }
    text += value;
  }
  child.stderr.cancel().catch(() => {});
  reader.releaseLock();
  const env: Record<string, string> = {};
  let sleeper = 0;
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    if (line.startsWith("pid=")) sleeper = Number(line.slice(4));
    else env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  if (!env.FAKETIME_SHARED) throw new Error("faketime gave no shared clock (FAKETIME_SHARED)");
  return {
    env,
    stop: async () => {
      // the sleeping shell: faketime then ends and removes its shared clock
      try {
        Deno.kill(sleeper, "SIGKILL");
      } catch { /* gone */ }
      await child.status;
      await child.stdout.cancel().catch(() => {});
    },
  };
}

export const ticksStep: Step = async (options): Promise<StepResult> => {
  const t0 = performance.now();
  const seconds = options.quick ? 25 : 120;
  const r = rng(options.seed ^ 0x71c5);
  const s = makeScratch("torture-ticks-");
  const violations: string[] = [];
  const workers: Array<Proc | null> = Array(WORKERS).fill(null);
  const outputs: string[] = [];
  let clock: Awaited<ReturnType<typeof fastClock>> | null = null;
  let kills = 0;
  let outages = 0;
  try {
    try {
      clock = await fastClock(seconds + 300);
    } catch (e) {
      return {
        name: "ticks",
        figures: [],
        violations: [`no fast clock: ${(e as Error).message} (is faketime installed?)`],
        seconds: (performance.now() - t0) / 1000,
      };
    }
    const env = clock.env;
    writeConfig(s, { poll_interval: 0.2, lease_timeout: 5, backoff_base: 1, backoff_max: 1 });
    const add = await runCli(s.home, [
      "schedule",
      "add",
      "every",
      "* * * * *",
      "--max-retries",
      "5",
      "--json",
      "--",
      `echo "$QUEUECTL_JOB_ID" >> ${s.ledger}`,
    ], { env });
    if (add.code !== 0) throw new Error(`schedule add exited ${add.code}: ${add.stderr}`);
    const created = JSON.parse(add.stdout).created_at as string;
    const start = (i: number) => {
      workers[i] = spawnCli(s.home, ["worker", "start", "--count", "2"], { env });
    };
    const end = (i: number, signal: Deno.Signal) => {
      const w = workers[i];
      if (!w) return;
      w.kill(signal);
      workers[i] = null;
      w.exited.then((x) => outputs.push(x.stdout + x.stderr));
    };
    for (let i = 0; i < WORKERS; i++) start(i);
    options.progress(`ticks: ${WORKERS} workers on a clock ${RATE}× fast, kill -9 for ${seconds} s`);
    const until = performance.now() + seconds * 1000;
    while (performance.now() < until) {
      await new Promise((res) => setTimeout(res, r.int(300, 1500)));
      if (r.chance(0.1)) {
        // everyone down for a few fake minutes: the ticks meanwhile make one catch-up run
        outages++;
        for (let i = 0; i < WORKERS; i++) end(i, "SIGKILL");
        kills += WORKERS;
        await new Promise((res) => setTimeout(res, r.int(2000, 5000)));
        for (let i = 0; i < WORKERS; i++) start(i);
      } else {
        const i = r.int(0, WORKERS - 1);
        end(i, "SIGKILL");
        kills++;
        start(i);
      }
    }
    // let what was enqueued run, then stop the workers gracefully
    await runCli(s.home, ["schedule", "pause", "every"], { env });
    for (const deadline = Date.now() + 120_000;;) {
      const jobs = await cliJson<Listed[]>(s.home, ["list", "--limit", "0"]);
      if (jobs.every((j) => j.state === "completed" || j.state === "dead")) break;
      if (Date.now() > deadline) throw new Error("the tick jobs did not finish in time");
      await new Promise((res) => setTimeout(res, 500));
    }
    for (let i = 0; i < WORKERS; i++) {
      const w = workers[i];
      if (!w) continue;
      w.kill("SIGTERM");
      const exit = await within(w, 60_000, "a stopping worker");
      outputs.push(exit.stdout + exit.stderr);
      workers[i] = null;
      if (exit.code !== 0) violations.push(`a worker exited ${exit.code} on SIGTERM`);
    }
    const jobs = (await cliJson<Listed[]>(s.home, ["list", "--limit", "0"])).filter((j) =>
      j.id.startsWith("every@")
    );
    const schedule = (await cliJson<Array<{ last_tick: string | null }>>(s.home, ["schedule", "list"]))[0];
    const runs = new Map<string, number>();
    for (const id of readText(s.ledger).split("\n").filter((l) => l !== "")) {
      runs.set(id, (runs.get(id) ?? 0) + 1);
    }
    const announced = new Map<string, number>();
    for (const out of outputs) {
      for (const m of out.matchAll(/schedule every enqueued (\S+)/g)) {
        announced.set(m[1], (announced.get(m[1]) ?? 0) + 1);
      }
    }
    const ids = new Set(jobs.map((j) => j.id));
    const ticks = jobs.map((j) => Date.parse(j.id.slice("every@".length, -1) + ":00Z")).sort((a, b) => a - b);
    for (const [id, n] of announced) {
      if (n > 1) violations.push(`tick ${id} was announced enqueued by ${n} workers`);
      if (!ids.has(id)) violations.push(`tick ${id} was announced enqueued but is not in the store`);
    }
    for (const j of jobs) {
      const at = Date.parse(j.id.slice("every@".length, -1) + ":00Z");
      if (!(at % MIN === 0) || !(at > Date.parse(created))) {
        violations.push(`job ${j.id} is not a tick after ${created}`);
      }
      if (j.state !== "completed") violations.push(`job ${j.id} is ${j.state} (${j.attempts} attempt(s))`);
      const n = runs.get(j.id) ?? 0;
      if (n < 1 || n > j.attempts) {
        violations.push(`job ${j.id} ran ${n} time(s) in ${j.attempts} attempt(s)`);
      }
    }
    for (const id of runs.keys()) {
      if (!ids.has(id)) violations.push(`${id} ran but is no job of the schedule`);
    }
    const span = ticks.length ? (ticks[ticks.length - 1] - Date.parse(created)) / MIN : 0;
    if (jobs.length > Math.ceil(span) + 1) {
      violations.push(`${jobs.length} ticks in ${span.toFixed(1)} minutes: more than one per minute`);
    }
    let gaps = 0;
    for (let i = 1; i < ticks.length; i++) if (ticks[i] - ticks[i - 1] > MIN) gaps++;
    // a gap needs an outage: while one worker runs, no minute is missed
    if (gaps > outages) violations.push(`${gaps} gaps longer than a minute, but only ${outages} outages`);
    const floor = Math.floor(seconds * RATE / 60 * 0.5);
    if (jobs.length < floor) violations.push(`only ${jobs.length} ticks seen (floor ${floor})`);
    const lastTick = ticks.length ? new Date(ticks[ticks.length - 1]).toISOString() : null;
    if (schedule?.last_tick !== lastTick) {
      violations.push(`the schedule's last tick is ${schedule?.last_tick}, its newest job's ${lastTick}`);
    }
    return {
      name: "ticks",
      figures: [
        { label: "workers × slots", value: `${WORKERS} × 2` },
        { label: "clock rate", value: `${RATE}×` },
        { label: "real seconds", value: seconds },
        { label: "kill -9 of workers", value: kills },
        { label: "outages (every worker down)", value: outages },
        { label: "ticks enqueued", value: jobs.length },
        { label: "minutes covered", value: Number(span.toFixed(1)) },
        { label: "gaps longer than a minute", value: gaps },
        {
          label: "jobs run more than once (lost attempts)",
          value: [...runs.values()].filter((n) => n > 1).length,
        },
        { label: "violations", value: violations.length },
      ],
      violations,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    for (const w of workers) w?.kill("SIGKILL");
    await clock?.stop();
    removeScratch(s);
  }
};
