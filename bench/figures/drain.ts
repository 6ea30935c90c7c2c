/**
 * Draining a queue: `worker start --count 2 --drain` on a home holding only the jobs to run,
 * against bench/spawner.ts running the same commands with the same parallelism and no queue,
 * and against the peers (peers.ts: task-spooler and nq, when installed), all in alternation.
 */
import { type Bench, scratch } from "../context.ts";
import { pairedMany, type Sample } from "../paired.ts";
import { nqDrain, type PeerName, PEERS, tspDrain, which } from "../peers.ts";
import { helper, queuectl, timed } from "../process.ts";
import { type Result, result } from "../report.ts";
import { summarize } from "../stats.ts";

const SLOTS = 2;

/**
 * The drain rate of a worker that was already running: `jobs` over the time from the first claim
 * to the last finish, as the store recorded them (`started_at`, `finished_at`: the records' times),
 * its start-up and exit left out, as a peer's server that is already running is timed from the
 * moment its queued jobs are released.
 */
export function runningRate(jobs: { started_at: string | null; finished_at: string | null }[]): number {
  let first = Infinity, last = -Infinity;
  for (const job of jobs) {
    first = Math.min(first, Date.parse(job.started_at ?? ""));
    last = Math.max(last, Date.parse(job.finished_at ?? ""));
  }
  if (!(last > first)) {
    throw new Error("Cannot measure the drain: the jobs' start and finish times are missing");
  }
  return jobs.length / ((last - first) / 1000);
}

/**
 * Enqueues `jobs` copies of `command` (one --file call, not timed), then times a draining worker:
 * the whole `worker start --drain` call, and (into `running`) its rate from first claim to last finish.
 */
export async function drainOnce(
  bench: Bench,
  jobs: number,
  count: number,
  command: string,
  running?: number[],
): Promise<Sample> {
  const s = scratch(bench, "drain");
  try {
    const home = `${s.dir}/home`;
    const file = `${s.dir}/jobs.jsonl`;
    Deno.writeTextFileSync(file, `${JSON.stringify({ command })}\n`.repeat(jobs));
    await timed(bench, queuectl(bench, home, "enqueue", "--file", file));
    // its log lines go to /dev/null, as cheap as a log file and never blocked by a reader
    const run = await timed(
      bench,
      queuectl(bench, home, "worker", "start", "--count", String(count), "--drain"),
    );
    if (running) {
      const list = await timed(bench, queuectl(bench, home, "list", "--limit", "0", "--json"), {
        stdout: "piped",
      });
      running.push(runningRate(JSON.parse(list.stdout)));
    }
    const left = await timed(bench, queuectl(bench, home, "status", "--json"), { stdout: "piped" });
    const counts = JSON.parse(left.stdout).counts;
    if (counts.completed !== jobs) {
      throw new Error(`Cannot measure the drain: ${counts.completed} of ${jobs} jobs completed`);
    }
    return { value: jobs / (run.ms / 1000), cpu: run.cpuMs };
  } finally {
    s.remove();
  }
}

/** The spawner baseline: `jobs` × `sh -c command`, `parallel` at a time, no queue. */
function spawner(bench: Bench, jobs: number, parallel: number, command: string): () => Promise<Sample> {
  const args = helper(bench, "spawner.ts", String(jobs), String(parallel), command);
  return async () => {
    const run = await timed(bench, args);
    return { value: jobs / (run.ms / 1000), cpu: run.cpuMs };
  };
}

function peer(bench: Bench, name: PeerName, jobs: number, command: string): () => Promise<Sample> {
  const drain = name === "tsp" ? tspDrain : nqDrain;
  return async () => {
    const s = scratch(bench, name);
    try {
      return { value: jobs / await drain(s.dir, jobs, SLOTS, command), cpu: null };
    } finally {
      s.remove();
    }
  };
}

const PEER_ROWS: Record<PeerName, { label: string; goal: boolean; how: string }> = {
  tsp: {
    label: "tsp -S 2",
    goal: true,
    how: "task-spooler, private TS_SOCKET, `tsp -S 2`, output stored (one file per job), drained in rounds " +
      "of at most 900 queued jobs (it takes at most 1,000 connections), times added",
  },
  nq: {
    label: "nq, 2 queues",
    goal: false,
    how: "nq runs one job at a time per NQDIR: 2 private NQDIRs side by side, jobs dealt in turn, output " +
      "stored (one file per job); every queued job is a process waiting on the locks of those before it",
  },
};

export async function drainTrue(bench: Bench): Promise<Result[]> {
  const { drainJobs: jobs, drainRuns: runs } = bench.sizes;
  const peers = (Object.keys(PEERS) as PeerName[]).filter((p) => which(PEERS[p].program) !== null);
  bench.progress(
    `drain ${jobs} jobs of \`true\` with --count ${SLOTS}: ${runs} round(s) against spawner.ts` +
      peers.map((p) => `, ${p}`).join(""),
  );
  const running: number[] = [];
  const pair = await pairedMany(
    runs,
    () => drainOnce(bench, jobs, SLOTS, "true", running),
    [spawner(bench, jobs, SLOTS, "true"), ...peers.map((p) => peer(bench, p, jobs, "true"))],
    { warmup: false, onRound: (i) => bench.tick(`  round ${i} of ${runs}`) },
  );
  const figure = `drain ${jobs.toLocaleString("en-US")} × true, --count ${SLOTS}`;
  const out = [result({
    figure,
    unit: "jobs/s",
    value: pair.subject,
    baseline: pair.baselines[0],
    goal: { on: "ratio", op: ">=", target: 0.8 },
    note: "baseline: bench/spawner.ts, Deno spawning `sh -c true` 2 at a time, no queue",
  })];
  for (const name of Object.keys(PEERS) as PeerName[]) {
    const row = PEER_ROWS[name];
    const k = peers.indexOf(name);
    if (k < 0) {
      out.push({
        ...result({ figure: `${figure} vs ${row.label}`, unit: "jobs/s", value: pair.subject.value }),
        note: `PEER not measured: \`${PEERS[name].program}\` is not installed (Debian package ${
          PEERS[name].package
        })`,
      });
      continue;
    }
    out.push(result({
      figure: `${figure} vs ${row.label}`,
      unit: "jobs/s",
      value: pair.subject,
      baseline: pair.baselines[k + 1],
      ...(row.goal ? { goal: { on: "ratio", op: ">=", target: 1 } } : {}),
      note: `PEER: ${row.how}; queuectl timed whole (its start-up and exit included)`,
    }));
    out.push(result({
      figure: `${figure}, a running worker, vs ${row.label}`,
      unit: "jobs/s",
      value: summarize(running),
      baseline: pair.baselines[k + 1],
      note:
        `PEER: as above; queuectl from its first claim to its last finish (the store's times), as ${name} is ` +
        "timed from the release of its queued jobs with its server running",
    }));
  }
  return out;
}

const SLEEP = 0.01;

export async function drainSleep(bench: Bench): Promise<Result> {
  const { sleepJobs: jobs, sleepRuns: runs } = bench.sizes;
  const command = `sleep ${SLEEP}`;
  bench.progress(
    `drain ${jobs} jobs of \`${command}\` with --count ${SLOTS}: ${runs} round(s) against spawner.ts`,
  );
  const pair = await pairedMany(
    runs,
    () => drainOnce(bench, jobs, SLOTS, command),
    [spawner(bench, jobs, SLOTS, command)],
    { warmup: false, onRound: (i) => bench.tick(`  round ${i} of ${runs}`) },
  );
  return result({
    figure: `drain ${jobs.toLocaleString("en-US")} × ${command}, --count ${SLOTS}`,
    unit: "jobs/s",
    value: pair.subject,
    baseline: pair.baselines[0],
    goal: { on: "ratio", op: ">=", target: 0.95 },
    note: `baseline: bench/spawner.ts, \`sh -c '${command}'\` 2 at a time, no queue (the ideal: ${
      SLOTS / SLEEP
    } jobs/s)`,
  });
}
