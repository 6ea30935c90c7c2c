/**
 * Step "deps": no job runs before its dependencies completed, and none at all when one of them
 * ended dead, with kill -9 of workers. A random DAG of jobs (each depends on up to three of the
 * fifteen before it, seldom on one bound to end dead; about one in twenty fails for good) is
 * enqueued in batches while 3 workers of 3 slots run them and a killer SIGKILLs a worker every
 * 0.4 to 1 s. From the ledger (lines are appended in the order they happen) every run of a job
 * must start after the last end of each dependency, and the final states must be what the DAG
 * implies: dead for a failing job and everything downstream of it (naming a dependency),
 * completed for the rest.
 */
import { cliJson, runCli, untilNoLiveJob } from "./lib/cli.ts";
import { Crew } from "./lib/crew.ts";
import { makeScratch, readText, removeScratch, writeConfig } from "./lib/home.ts";
import { jobCommand, parseLedger } from "./lib/ledger.ts";
import { deriveSeed, rng } from "./lib/prng.ts";
import { checkDependencies, type ShapedJob } from "./lib/shaping.ts";
import type { Step, StepResult } from "./step.ts";

const WORKERS = 3;
const SLOTS = 3;
const BATCH = 10;
const WINDOW = 15;
const CONFIG = { lease_timeout: 2, backoff_base: 1, backoff_max: 0.05, poll_interval: 0.2 };

interface Planned {
  id: string;
  after: string[];
  doomed: boolean;
}

export const dependenciesStep: Step = async (options): Promise<StepResult> => {
  const t0 = performance.now();
  const total = options.quick ? 120 : 600;
  const floor = {
    kills: options.quick ? 4 : 20,
    cut: options.quick ? 1 : 5,
    edges: options.quick ? 60 : 300,
    cascaded: options.quick ? 1 : 10,
  };
  const r = rng(deriveSeed(options.seed, 0, 0xde95));
  const s = makeScratch("torture-deps-");
  const violations: string[] = [];
  const crew = new Crew(s.home, SLOTS, violations);
  try {
    writeConfig(s, CONFIG);
    const plan: Planned[] = [];
    /** the jobs that will end dead: a failing one and everything downstream of it */
    const dead = new Set<string>();
    for (let i = 0; i < total; i++) {
      const window = plan.slice(Math.max(0, i - WINDOW)).map((p) => p.id);
      const after = new Set<string>();
      for (let k = r.int(0, 3); k > 0 && window.length > 0; k--) {
        // a dead job is picked one time in five: enough for cascades, few enough to leave most jobs running
        const dep = r.pick(window);
        if (!dead.has(dep) || r.chance(0.2)) after.add(dep);
      }
      // the job after a doomed one waits for it: every doomed job but the last has a dependent, so every
      // run has cascades (the floor: 1 quick, 10 long, from about 6 and 30 doomed jobs)
      if (i > 0 && plan[i - 1].doomed) after.add(plan[i - 1].id);
      // one job in twenty fails for good (and the twentieth from the end)
      const doomed = i === total - 20 || (i > 0 && r.chance(1 / 20));
      plan.push({ id: `j${i}`, after: [...after], doomed });
      if (doomed || [...after].some((d) => dead.has(d))) dead.add(`j${i}`);
    }
    options.progress(`deps: ${total} jobs, ${WORKERS} workers × ${SLOTS} slots, kill -9`);
    crew.start(WORKERS);
    await crew.started();
    const killer = crew.killer(r, [400, 1000]);
    for (let start = 0; start < total; start += BATCH) {
      const lines = plan.slice(start, start + BATCH).map((p) =>
        JSON.stringify({
          id: p.id,
          command: jobCommand(s.ledger, p.id, {
            sleep: r.int(2, 8) / 20,
            exit: p.doomed ? 1 : 0,
            attemptToken: true,
          }),
          after: p.after,
          max_retries: p.doomed ? 0 : 50,
        })
      );
      const file = `${s.dir}/batch-${start}.jsonl`;
      Deno.writeTextFileSync(file, lines.join("\n") + "\n");
      const e = await runCli(s.home, ["enqueue", "--file", file]);
      if (e.code !== 0) throw new Error(`enqueue --file ${file} exited ${e.code}: ${e.stderr.trim()}`);
    }
    await untilNoLiveJob(s.home, options.quick ? 300_000 : 1_800_000);
    await crew.windDown(killer, s.dir);

    const jobs = await cliJson<ShapedJob[]>(s.home, ["list", "--limit", "0"]);
    const { events, bad } = parseLedger(readText(s.ledger));
    if (bad.length > 0) violations.push(`ledger lines ${bad.slice(0, 10).join(", ")} do not parse`);
    const checked = checkDependencies(events, jobs);
    violations.push(...checked.violations);
    // what the DAG implies: dead for a failing job and everything downstream of it
    const byId = new Map(jobs.map((j) => [j.id, j]));
    const expected = new Map<string, string>();
    for (const p of plan) {
      const downstream = p.after.some((d) => expected.get(d) === "dead");
      expected.set(p.id, p.doomed || downstream ? "dead" : "completed");
      const state = byId.get(p.id)?.state;
      if (state !== expected.get(p.id)) {
        violations.push(
          `job ${p.id} is ${state ?? "missing"}, expected ${expected.get(p.id)} (${
            byId.get(p.id)?.last_error
          })`,
        );
      }
    }
    if (crew.kills < floor.kills) {
      violations.push(`only ${crew.kills} worker kill(s), fewer than ${floor.kills}`);
    }
    if (checked.edges < floor.edges) {
      violations.push(`only ${checked.edges} dependency edges checked, fewer than ${floor.edges}`);
    }
    if (checked.cascaded < floor.cascaded) {
      violations.push(
        `only ${checked.cascaded} job(s) sent to the DLQ by a dependency, fewer than ${floor.cascaded}`,
      );
    }
    const runs = events.filter((e) => e.kind === "start").length;
    const cut = runs - events.filter((e) => e.kind === "end").length;
    if (cut < floor.cut) violations.push(`only ${cut} run(s) cut short by a kill, fewer than ${floor.cut}`);
    return {
      name: "deps",
      figures: [
        { label: "jobs", value: total },
        { label: "dependency edges", value: plan.reduce((n, p) => n + p.after.length, 0) },
        { label: "edges checked (dependent ran)", value: checked.edges },
        { label: "jobs failing for good", value: plan.filter((p) => p.doomed).length },
        { label: "jobs sent to the DLQ by a dependency", value: checked.cascaded },
        { label: "workers × slots", value: `${WORKERS} × ${SLOTS}` },
        { label: "workers killed", value: crew.kills },
        { label: "runs (ledger)", value: runs },
        { label: "runs cut short by a kill", value: cut },
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
