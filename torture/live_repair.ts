/**
 * Step "repair": `doctor --repair --force` beside running workers (issue 13, part 4). Each round
 * enqueues jobs that take a while, starts two workers of two slots (small QUEUECTL_PENDING_MIN and
 * QUEUECTL_COMPACT_AFTER_BYTES: compactions, archive and pending segments come and go while they
 * run), and once jobs run, flips one byte of one store file in place (the kinds of file in turn:
 * the log, the snapshot, a pending segment, an archive segment) and runs the repair at once. The
 * workers run on; a worker that stopped because it met the damage before the repair did is
 * replaced. Once every job has ended, the round is judged (live_repair_check.ts): no job ran twice
 * at once, nothing acknowledged was lost but what the repair named, every job completed, no worker
 * called the store corrupt but for the damaged file, and `doctor` is clean.
 */
import { processesNaming } from "./lib/procs.ts";
import { cliJson, type Exit, type Proc, runCli, spawnCli, within } from "./lib/cli.ts";
import { makeScratch, readText, removeScratch, type Scratch, writeConfig } from "./lib/home.ts";
import { parseLedger } from "./lib/ledger.ts";
import { deriveSeed, type Rng, rng } from "./lib/prng.ts";
import { checkRound, liveJobCommand } from "./live_repair_check.ts";
import type { Step, StepResult } from "./step.ts";

const ENV = { QUEUECTL_PENDING_MIN: "4", QUEUECTL_COMPACT_AFTER_BYTES: "8000" };
const WORKERS = 2;
const SLOTS = 2;
const KINDS = ["wal", "snapshot", "pending", "archive"] as const;
type Kind = typeof KINDS[number];

function kindOf(name: string): Kind | null {
  if (/^wal-\d{8}\.jsonl$/.test(name)) return "wal";
  if (/^snapshot-\d{8}\.snap$/.test(name)) return "snapshot";
  if (/^pending-\d{8}\.(jobs|index|order)$/.test(name)) return "pending";
  if (/^archive-\d{8}\.(jobs|index)$/.test(name)) return "archive";
  return null;
}

/**
 * Flips one byte of a store file in place (its size and inode stay: a running process reads it
 * as it is): of the kind `want` if one is there, else of any kind. The log is struck in its first
 * two thirds, which the workers have most likely read already. Returns the file and the byte, or
 * null when every try found its file gone (a compaction removed it meanwhile).
 */
function strike(home: string, want: Kind, r: Rng): { file: string; at: number } | null {
  for (let tries = 0; tries < 20; tries++) {
    const names = [...Deno.readDirSync(home)].map((e) => e.name).filter((n) => kindOf(n) !== null);
    const ofKind = names.filter((n) => kindOf(n) === want);
    if (names.length === 0) return null;
    const file = r.pick(ofKind.length > 0 ? ofKind : names);
    let f: Deno.FsFile;
    try {
      f = Deno.openSync(`${home}/${file}`, { read: true, write: true });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue;
      throw e;
    }
    try {
      const size = f.statSync().size;
      if (size === 0) continue;
      const at = r.int(0, Math.max(0, Math.floor((kindOf(file) === "wal" ? size * 2 / 3 : size) - 1)));
      const b = new Uint8Array(1);
      f.seekSync(at, Deno.SeekMode.Start);
      f.readSync(b);
      b[0] ^= 1 << r.int(0, 7);
      f.seekSync(at, Deno.SeekMode.Start);
      f.writeSync(b);
      return { file, at };
    } finally {
      f.close();
    }
  }
  return null;
}

interface Round {
  violations: string[];
  /** the kind of file struck (null: none could be) */
  kind: Kind | null;
  found: boolean;
  ended: number;
  lost: number;
  stoppedByDamage: number;
  runs: number;
}

async function round(
  index: number,
  jobs: number,
  seed: number,
  progress: (l: string) => void,
): Promise<Round> {
  const r = rng(deriveSeed(seed, index, 7));
  const want = KINDS[index % KINDS.length];
  const s = makeScratch(`torture-repair-${index}-`);
  const workers: Array<{ proc: Proc; exit: Exit | null }> = [];
  const violations: string[] = [];
  const say = (v: string) => violations.push(`seed ${seed} round ${index}: ${v}`);
  const result: Round = {
    violations,
    kind: null,
    found: false,
    ended: 0,
    lost: 0,
    stoppedByDamage: 0,
    runs: 0,
  };
  const start = () => {
    const w = {
      proc: spawnCli(s.home, ["worker", "start", "--count", String(SLOTS)], { env: ENV }),
      exit: null as Exit | null,
    };
    w.proc.exited.then((e) => w.exit = e);
    workers.push(w);
  };
  try {
    writeConfig(s, { poll_interval: 0.2, backoff_base: 1 });
    const ids = Array.from({ length: jobs }, (_, i) => `r${index}-${String(i).padStart(3, "0")}`);
    const file = `${s.dir}/jobs.jsonl`;
    Deno.writeTextFileSync(
      file,
      ids.map((id) =>
        JSON.stringify({
          id,
          command: liveJobCommand(s.ledger, s.dir, id, 0.2 + r.int(0, 8) / 10),
          max_retries: 0,
        })
      ).join("\n") + "\n",
    );
    const enq = await runCli(s.home, ["enqueue", "--file", file], { env: ENV });
    if (enq.code !== 0) throw new Error(`enqueue --file exited ${enq.code}: ${enq.stderr.trim()}`);
    for (let w = 0; w < WORKERS; w++) start();
    // strike once about a third of the jobs have started: many run, many wait (some in segments)
    for (const deadline = Date.now() + 120_000;;) {
      const started = readText(s.ledger).split("\n").filter((l) => l.startsWith("S ")).length;
      if (started >= Math.ceil(jobs / 3)) break;
      if (Date.now() > deadline) throw new Error(`only ${started} jobs started in 120 s`);
      await new Promise((res) => setTimeout(res, 50));
    }
    const struck = strike(s.home, want, r);
    result.kind = struck ? kindOf(struck.file) : null;
    const repair = await runCli(s.home, ["doctor", "--repair", "--force", "--json"], { env: ENV }, 120_000);
    if (repair.code !== 0) {
      say(`doctor --repair --force exited ${repair.code}: ${(repair.stdout + repair.stderr).slice(0, 400)}`);
    }
    let report = { problems: [] as string[], repairs: [] as string[], lost: [] as string[] };
    try {
      report = JSON.parse(repair.stdout);
    } catch { /* said above */ }
    result.found = report.problems.length > 0;
    result.ended = report.repairs.map((l) => /ended (\d+) running session/.exec(l)).reduce(
      (n, m) => n + (m ? Number(m[1]) : 0),
      0,
    );
    progress(
      `repair: round ${index}: struck ${struck ? `${struck.file} at byte ${struck.at}` : "nothing"}; ${
        result.found
          ? `repaired (${report.lost.length} job(s) lost or set back, ${result.ended} session(s) ended)`
          : "found nothing (compacted away)"
      }`,
    );
    for (const deadline = Date.now() + 240_000;;) {
      // a worker that met the damage first stops (that is right): another takes its place
      const running = workers.filter((w) => w.exit === null).length;
      for (let k = running; k < WORKERS; k++) start();
      const listed = await cliJson<Array<{ state: string }>>(s.home, ["list", "--limit", "0"], { env: ENV });
      if (listed.every((j) => j.state === "completed" || j.state === "dead")) break;
      if (Date.now() > deadline) {
        say(
          `jobs still not ended after 240 s: ${
            JSON.stringify(listed.filter((j) => j.state !== "completed").slice(0, 5))
          }`,
        );
        break;
      }
      await new Promise((res) => setTimeout(res, 300));
    }
    // a stop request (a record every worker reads in its loop) rather than a signal
    const stop = await runCli(s.home, ["worker", "stop", "--wait"], { env: ENV }, 120_000);
    if (stop.code !== 0) say(`worker stop --wait exited ${stop.code}: ${stop.stderr.trim()}`);
    const outputs: string[] = [];
    for (const w of workers) {
      const exit = await within(w.proc, 60_000, "a stopping worker");
      const out = exit.stdout + exit.stderr;
      outputs.push(out);
      // exit 1 is a worker that met the damage (checkRound judges what it named); nothing else may fail
      if (exit.code !== 0 && !(exit.code === 1 && /error: Store file \S+ is corrupt/.test(out))) {
        say(`a worker exited ${exit.code}${exit.signal ? ` (${exit.signal})` : ""}: ${out.slice(-300)}`);
      }
    }
    const final = await cliJson<Array<{ id: string; state: string }>>(s.home, ["list", "--limit", "0"], {
      env: ENV,
    });
    const doctor = await runCli(s.home, ["doctor"], { env: ENV });
    if (doctor.code !== 0) say(`doctor after the round: ${doctor.stdout.slice(0, 300)}`);
    const text = readText(s.ledger);
    const overlaps = text.split("\n").filter((l) => l.startsWith("X ")).map((l) => {
      const [, id, run, other] = l.split(" ");
      return [id, Number(run), Number(other)] as [string, number, number];
    });
    const { events, bad } = parseLedger(text.split("\n").filter((l) => !l.startsWith("X ")).join("\n"));
    for (const line of bad) say(`ledger line ${line} is not a ledger line`);
    const check = checkRound({
      acked: ids,
      jobs: final,
      events,
      overlaps,
      named: new Set(report.lost),
      untellable: report.repairs.some((l) => /cannot be told/.test(l)),
      damaged: struck?.file ?? "",
      workerOutputs: outputs,
    });
    for (const v of check.violations) say(v);
    result.lost = check.lost;
    result.stoppedByDamage = check.stoppedByDamage;
    result.runs = events.filter((e) => e.kind === "start").length;
    return result;
  } finally {
    for (const w of workers) w.proc.kill("SIGKILL");
    await Promise.all(workers.map((w) => w.proc.exited));
    cleanUp(s);
  }
}

/** Kills what a round left running (job shells of killed workers name the scratch directory). */
function cleanUp(s: Scratch): void {
  for (const pid of processesNaming(s.dir)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
  removeScratch(s);
}

export const liveRepairStep: Step = async (options): Promise<StepResult> => {
  const t0 = performance.now();
  const rounds = options.quick ? 3 : 12;
  const jobs = options.quick ? 24 : 60;
  const violations: string[] = [];
  const done: Round[] = [];
  for (let i = 0; i < rounds; i++) {
    const r = await round(i, jobs, options.seed, options.progress);
    done.push(r);
    violations.push(...r.violations);
  }
  const sum = (f: (r: Round) => number) => done.reduce((n, r) => n + f(r), 0);
  return {
    name: "repair",
    figures: [
      { label: "rounds × jobs (2 workers × 2 slots each)", value: `${rounds} × ${jobs}` },
      {
        label: "struck files (wal/snapshot/pending/archive)",
        value: KINDS.map((k) => done.filter((r) => r.kind === k).length).join("/"),
      },
      {
        label: "repairs that found the damage / found it compacted away",
        value: `${sum((r) => r.found ? 1 : 0)} / ${sum((r) => r.found ? 0 : 1)}`,
      },
      { label: "running sessions ended by repairs", value: sum((r) => r.ended) },
      { label: "jobs named lost by repairs", value: sum((r) => r.lost) },
      {
        label: "workers that met the damage before the repair (replaced)",
        value: sum((r) => r.stoppedByDamage),
      },
      { label: "runs (ledger)", value: sum((r) => r.runs) },
      { label: "violations", value: violations.length },
    ],
    violations,
    seconds: (performance.now() - t0) / 1000,
  };
};
