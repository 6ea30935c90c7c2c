/**
 * Step "escape": jobs whose processes leave the job's process group or session are still ended
 * with their attempt (issue 13, part 1). Each job's first attempt starts a `sleep` marked with a
 * number of its own (`sleep 3000.1<job><attempt>`) in one of five ways and waits:
 *
 *   timeout   GNU `timeout 3000 sleep …` (timeout calls setpgid: a process group of its own)
 *   setm      `bash -c 'set -m; sleep … & wait'` (job control: the sleep gets its own group)
 *   orphan    `( (sleep … &) & )`, a double fork without setsid (reparented, same session)
 *   setsid    `setsid sleep … &` (a session of its own)
 *   daemon    `( (setsid sleep … &) & )`, the classical daemon: double fork and setsid
 *
 * and each is ended in one of three ways: its timeout (`--timeout 5`), `queuectl kill`, or a
 * SIGKILL of its worker followed by the rescue of another. After the attempt is recorded ended,
 * no process of it may survive (10 s deadline), and a retry (second attempt) never starts while a
 * process of the first lives (it looks in /proc as it starts and writes an `X` line).
 *
 * The step runs twice: with cgroups (the worker makes one per slot: `cgroup.kill` reaches
 * everything) and with the worker put in a cgroup that may have no children
 * (`cgroup.max.descendants` 0: the worker finds cgroups unusable, as on a host without delegation,
 * and only the session kill is left). In the second round what left the session (setsid, daemon)
 * is expected to survive: the documented limit, reported as a figure and killed by the step; all
 * else surviving is a violation. Linux, root (cgroup v2 at /sys/fs/cgroup/unified).
 */
import { cliJson, type Proc, runCli, spawnWorker, within } from "./lib/cli.ts";
import { makeScratch, readText, removeScratch, type Scratch, writeConfig } from "./lib/home.ts";
import { processesNaming } from "./lib/procs.ts";
import { belowFloors } from "./lib/floors.ts";
import type { Figure, Step, StepResult } from "./step.ts";

const KINDS = ["timeout", "setm", "orphan", "setsid", "daemon"] as const;
type Kind = typeof KINDS[number];
const ENDS = ["timeout", "kill", "rescue"] as const;
type End = typeof ENDS[number];
/** kinds whose sleep leaves the runner's session: only a cgroup reaches it */
const OUT_OF_SESSION: ReadonlySet<Kind> = new Set(["setsid", "daemon"]);
const CONFIG = { lease_timeout: 2, poll_interval: 0.2, backoff_base: 1, backoff_max: 0.05 };
const CGROUP_ROOT = "/sys/fs/cgroup/unified";
const GONE_WITHIN_MS = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Spec {
  id: string;
  n: number;
  kind: Kind;
  end: End;
}

interface Shown {
  id: string;
  state: string;
  pid: number | null;
  attempts: number;
  last_error: string | null;
  runs?: Array<{ attempt: number; finished_at: string | null; result?: string }>;
}

/** The marker of attempt `a` of job number `n`: an argument of its sleeps, unique in the step. */
function marker(n: number, a: number): string {
  return `3000.1${String(n).padStart(3, "0")}${String(a).padStart(2, "0")}`;
}

const ESCAPES: Record<Kind, (m: string) => string> = {
  timeout: (m) => `timeout 3000 sleep ${m}`,
  setm: (m) => `bash -c "set -m; sleep ${m} & wait"`,
  orphan: (m) => `( (sleep ${m} &) & ); sleep ${m}`,
  setsid: (m) => `setsid sleep ${m} & sleep ${m}`,
  daemon: (m) => `( (setsid sleep ${m} &) & ); sleep ${m}`,
};

/**
 * The job's shell command: a start line, an `X` line for each live process of an earlier attempt,
 * then on attempt 1 the escape (and a wait), on later attempts an end line and exit 0.
 */
function command(s: Scratch, spec: Spec): string {
  const pre = `3000.1${String(spec.n).padStart(3, "0")}`;
  const m = `${pre}$(printf %02d "$QUEUECTL_JOB_ATTEMPT")`;
  return [
    `echo "S ${spec.id} $QUEUECTL_JOB_ATTEMPT" >> ${s.ledger}`,
    `a=1; while [ "$a" -lt "$QUEUECTL_JOB_ATTEMPT" ]; do ` +
    `o=$(pgrep -f "sleep ${pre}$(printf %02d "$a")" | tr '\\n' ' '); ` +
    `[ -z "$o" ] || echo "X ${spec.id} $QUEUECTL_JOB_ATTEMPT $a $o" >> ${s.ledger}; a=$((a + 1)); done`,
    `if [ "$QUEUECTL_JOB_ATTEMPT" = 1 ]; then M=${m}; ${ESCAPES[spec.kind]("$M")}; fi`,
    `echo "E ${spec.id} $QUEUECTL_JOB_ATTEMPT" >> ${s.ledger}`,
  ].join("\n");
}

/** Session and process group of a live process, or null. */
function ids(pid: number): { pgrp: number; sid: number } | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pgrp: Number(f[2]), sid: Number(f[3]) };
  } catch {
    return null;
  }
}

/** Pids of live processes running one of the attempt's sleeps. */
function attemptProcs(n: number, a: number): number[] {
  return processesNaming(`sleep ${marker(n, a)}`);
}

interface RoundResult {
  violations: string[];
  figures: Record<string, number>;
}

async function ok(run: Promise<{ code: number; stderr: string }>, what: string): Promise<void> {
  const r = await run;
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${r.stderr.trim()}`);
}

async function round(cgroups: boolean, reps: number, progress: (l: string) => void): Promise<RoundResult> {
  const s = makeScratch(`torture-escape-${cgroups ? "cg" : "sess"}-`);
  const violations: string[] = [];
  const fig: Record<string, number> = {
    jobs: 0,
    "attempts recorded ended": 0,
    "escapes seen (left the group)": 0,
    "escapes seen (left the session)": 0,
    "survivors after the end (violation)": 0,
    "survivors after the end (left the session, no cgroup: documented)": 0,
    "retries overlapping the old attempt (violation)": 0,
    "retries overlapping the old attempt (left the session, no cgroup: documented)": 0,
    "retries completed": 0,
  };
  const workers: Proc[] = [];
  let jail: string | null = null;
  const specs: Spec[] = [];
  try {
    writeConfig(s, CONFIG);
    let n = 0;
    for (const end of ENDS) {
      for (const kind of KINDS) {
        for (let r = 0; r < reps; r++) specs.push({ id: `${kind}-${end}-${r}`, n: n++, kind, end });
      }
    }
    fig.jobs = specs.length;
    const lines = specs.map((spec) =>
      JSON.stringify({
        id: spec.id,
        command: command(s, spec),
        queue: spec.end === "rescue" ? "victim" : "default",
        max_retries: spec.end === "kill" ? 0 : 1,
        ...(spec.end === "timeout" ? { timeout: 5 } : {}),
      })
    );
    Deno.writeTextFileSync(`${s.dir}/jobs.jsonl`, lines.join("\n") + "\n");
    let prefix = "";
    if (!cgroups) {
      // a cgroup that may have no children: the worker's own setup finds cgroups unusable
      jail = `${CGROUP_ROOT}/qtorture-escape-${Deno.pid}`;
      Deno.mkdirSync(jail);
      Deno.writeTextFileSync(`${jail}/cgroup.max.descendants`, "0");
      prefix = `echo $$ > ${jail}/cgroup.procs && `;
    }
    const start = (args: string[]) => {
      const w = spawnWorkerIn(s.home, args, prefix);
      workers.push(w);
      return w;
    };
    const rescueJobs = specs.filter((x) => x.end === "rescue");
    const others = specs.filter((x) => x.end !== "rescue");
    await ok(runCli(s.home, ["enqueue", "--file", `${s.dir}/jobs.jsonl`]), "enqueue");
    // the victim runs every rescue job at once; the other worker starts once they all run
    const victim = start(["--count", String(rescueJobs.length), "--queue", "victim"]);
    const seen = new Map<string, number[]>();
    const watch = (list: Spec[]) => {
      for (const spec of list) {
        const pids = attemptProcs(spec.n, 1);
        if (pids.length > (seen.get(spec.id)?.length ?? 0)) seen.set(spec.id, pids);
      }
    };
    const allEscaped = (list: Spec[]) =>
      list.every((spec) => (seen.get(spec.id)?.length ?? 0) >= (spec.kind === "setm" ? 1 : 2));
    for (const deadline = Date.now() + 60_000; !allEscaped(rescueJobs);) {
      if (Date.now() > deadline) {
        throw new Error(
          `the victim's jobs did not all start their sleeps: ${
            rescueJobs.map((x) => `${x.id}:${seen.get(x.id)?.length ?? 0}`).join(" ")
          }; ledger ${readText(s.ledger)}; worker said ${victim.stdout()}`,
        );
      }
      watch(rescueJobs);
      await sleep(100);
    }
    watch(rescueJobs);
    const helper = start(["--count", String(others.length + rescueJobs.length), "--queue", "default,victim"]);
    for (const deadline = Date.now() + 60_000; !allEscaped(others);) {
      if (Date.now() > deadline) throw new Error("the other jobs did not all start their sleeps");
      watch(specs);
      await sleep(100);
    }
    progress(`escape (${cgroups ? "cgroups" : "session only"}): ${specs.length} jobs escaped; ending them`);
    // where each first attempt's sleeps went, seen from its runner's session (the job's pid)
    const first = new Map((await cliJson<Shown[]>(s.home, ["list", "--limit", "0"])).map((j) => [j.id, j]));
    for (const spec of specs) {
      const sid = first.get(spec.id)?.pid ?? null;
      const where = (seen.get(spec.id) ?? []).map(ids).filter((x) => x !== null);
      if (sid === null || where.length === 0) continue;
      if (where.some((x) => x.sid !== sid)) fig["escapes seen (left the session)"]++;
      else if (where.some((x) => x.pgrp !== sid)) fig["escapes seen (left the group)"]++;
    }
    victim.kill("SIGKILL");
    await victim.exited;
    for (const spec of specs.filter((x) => x.end === "kill")) {
      await ok(runCli(s.home, ["kill", spec.id]), `kill ${spec.id}`);
    }
    // each first attempt recorded ended: nothing of it may live GONE_WITHIN_MS later
    const ended = new Map<string, number>();
    const judged = new Set<string>();
    const final = (j: Shown) => j.state === "completed" || j.state === "dead";
    for (const deadline = Date.now() + 180_000;;) {
      const jobs = await cliJson<Shown[]>(s.home, ["list", "--limit", "0"]);
      for (const j of jobs) {
        if (!ended.has(j.id) && j.runs?.find((r) => r.attempt === 1)?.finished_at) {
          ended.set(j.id, Date.now());
        }
      }
      for (const spec of specs) {
        const at = ended.get(spec.id);
        if (at === undefined || judged.has(spec.id)) continue;
        const left = attemptProcs(spec.n, 1);
        if (left.length === 0) {
          judged.add(spec.id);
          fig["attempts recorded ended"]++;
          continue;
        }
        if (Date.now() - at < GONE_WITHIN_MS) continue;
        judged.add(spec.id);
        fig["attempts recorded ended"]++;
        if (!cgroups && OUT_OF_SESSION.has(spec.kind)) {
          fig["survivors after the end (left the session, no cgroup: documented)"]++;
        } else {
          fig["survivors after the end (violation)"]++;
          violations.push(
            `job ${spec.id}: its first attempt ended (${spec.end}) but pid(s) ${
              left.join(", ")
            } of it still ran ` +
              `${GONE_WITHIN_MS / 1000} s later`,
          );
        }
        for (const p of left) kill(p);
      }
      if (jobs.length === specs.length && jobs.every(final) && judged.size === specs.length) {
        for (const j of jobs) {
          const spec = specs.find((x) => x.id === j.id)!;
          const want = spec.end === "kill" ? "dead" : "completed";
          if (j.state !== want) {
            // its attempts and runs, so that a violation says how the job got there
            violations.push(
              `job ${j.id} ended ${j.state} (${j.last_error}), not ${want}; attempts ${j.attempts}, runs ${
                JSON.stringify(j.runs ?? [])
              }`,
            );
          } else if (want === "completed") fig["retries completed"]++;
        }
        break;
      }
      if (Date.now() > deadline) {
        const open = jobs.filter((j) => !final(j)).map((j) => `${j.id} ${j.state}`);
        throw new Error(`the jobs did not end in time: ${open.join(", ")}`);
      }
      await sleep(200);
    }
    for (const line of readText(s.ledger).split("\n")) {
      const f = line.split(" ");
      if (f[0] !== "X") continue;
      const spec = specs.find((x) => x.id === f[1]);
      if (!cgroups && spec && OUT_OF_SESSION.has(spec.kind)) {
        fig["retries overlapping the old attempt (left the session, no cgroup: documented)"]++;
      } else {
        fig["retries overlapping the old attempt (violation)"]++;
        violations.push(
          `job ${f[1]}: attempt ${f[2]} started while pid(s) ${
            f.slice(4).filter((p) => p !== "").join(", ")
          } of attempt ${f[3]} ran`,
        );
      }
    }
    helper.kill("SIGTERM");
    const exit = await within(helper, 60_000, "a stopping worker");
    if (exit.code !== 0) violations.push(`the helper worker exited ${exit.code}: ${exit.stderr.trim()}`);
    const said = exit.stdout + exit.stderr;
    if (cgroups !== / jobs in cgroups under /.test(said)) {
      violations.push(
        `the helper worker did ${cgroups ? "not run" : "run"} its jobs in cgroups: ${said.split("\n")[0]}`,
      );
    }
    return { violations, figures: fig };
  } finally {
    for (const w of workers) w.kill("SIGKILL");
    for (const spec of specs) for (const a of [1, 2]) for (const p of attemptProcs(spec.n, a)) kill(p);
    if (jail) await removeJail(jail);
    removeScratch(s);
  }
}

function kill(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch { /* gone */ }
}

function spawnWorkerIn(home: string, args: string[], prefix: string): Proc {
  return spawnWorker(home, args, { shellPrefix: prefix });
}

async function removeJail(dir: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      Deno.removeSync(dir);
      return;
    } catch {
      await sleep(100);
    }
  }
}

export const escapeStep: Step = async (options): Promise<StepResult> => {
  const t0 = performance.now();
  const reps = options.quick ? 1 : 3;
  const violations: string[] = [];
  const figures: Figure[] = [];
  for (const cg of [true, false]) {
    const r = await round(cg, reps, options.progress);
    const tag = cg ? "cgroup" : "session only";
    violations.push(...r.violations.map((v) => `${tag}: ${v}`));
    for (const [k, v] of Object.entries(r.figures)) figures.push({ label: `${tag}: ${k}`, value: v });
  }
  // a step that saw no escape proves nothing: every kind must have got out as it meant to
  const perMode = ENDS.length * reps;
  violations.push(...belowFloors(figures, {
    "cgroup: escapes seen (left the group)": perMode * 2,
    "cgroup: escapes seen (left the session)": perMode * 2,
    "cgroup: attempts recorded ended": perMode * KINDS.length,
    "cgroup: retries completed": 2 * reps * KINDS.length,
    "session only: escapes seen (left the group)": perMode * 2,
    "session only: escapes seen (left the session)": perMode * 2,
    "session only: attempts recorded ended": perMode * KINDS.length,
  }));
  figures.push({ label: "violations", value: violations.length });
  return { name: "escape", figures, violations, seconds: (performance.now() - t0) / 1000 };
};
