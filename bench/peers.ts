/**
 * Peers for the drain figure: task-spooler (`tsp`, Debian `task-spooler`) and `nq` drain the same
 * jobs as queuectl, each with its output stored as it stores it by default, each in a private
 * directory of the scratch (its socket, its output files), and measured the same way:
 *
 * 1. a gate job takes every slot: it waits on a FIFO that the bench holds open;
 * 2. the jobs are queued behind it (one `tsp`/`nq` call per job, untimed);
 * 3. the clock starts when the bench closes the FIFO (the gate ends) and stops when every job has
 *    ended, as the peer's own wait command (`tsp -w`, `nq -w`), started before, reports it.
 *
 * Every job is `sh -c COMMAND`, as queuectl and bench/spawner.ts run it (tsp and nq exec their
 * arguments without a shell).
 *
 * tsp: one server with `-S SLOTS`; it keeps one client process and connection per queued job and
 * takes at most 1,000 connections, so the jobs are drained in rounds of at most 900 and the
 * rounds' times added up. The server is killed (`tsp -K`) at the end.
 *
 * nq: a queue (NQDIR) runs its jobs one at a time, so SLOTS queues run side by side, the jobs dealt
 * to them in turn; every queued job is already a process (forked when it was queued) waiting for
 * the locks of the jobs before it, which the gate holds.
 */

const TSP_ROUND_MAX = 900;
/** No peer's drain may take longer than this. */
const LIMIT_MS = 5 * 60 * 1000;

export type PeerName = "tsp" | "nq";

export const PEERS: Record<PeerName, { program: string; package: string }> = {
  tsp: { program: "tsp", package: "task-spooler" },
  nq: { program: "nq", package: "nq" },
};

/** The program's path on PATH, or null when it is not installed. */
export function which(program: string): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      const info = Deno.statSync(`${dir}/${program}`);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return `${dir}/${program}`;
    } catch { /* not here */ }
  }
  return null;
}

async function run(program: string, args: string[], env: Record<string, string>): Promise<string> {
  const out = await new Deno.Command(program, { args, env, stdin: "null", stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().slice(0, 300);
    throw new Error(
      `Cannot measure ${program}: \`${program} ${args.join(" ")}\` exited with ${out.code}: ${err}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

/** Runs `fn(i)` for i in 0..n-1, `lanes` at a time (lane k takes i = k, k + lanes, …, in order). */
async function inLanes(n: number, lanes: number, fn: (i: number) => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: Math.min(lanes, n) }, async (_, k) => {
    for (let i = k; i < n; i += lanes) await fn(i);
  }));
}

/** A FIFO held open by the bench: a gate job reading it ends when `open()` is closed. */
class Gate {
  readonly path: string;
  #file: Deno.FsFile | null;

  private constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }

  static async make(path: string): Promise<Gate> {
    await run("mkfifo", [path], {});
    // read and write: opening does not wait for a reader, and readers never wait for a writer
    return new Gate(path, Deno.openSync(path, { read: true, write: true }));
  }

  /** Ends the gate jobs: they read end of file once no writer is left. */
  release(): void {
    this.#file?.close();
    this.#file = null;
  }
}

async function within<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) =>
    timer = setTimeout(
      () => reject(new Error(`Cannot measure ${what}: it took over ${LIMIT_MS / 1000} s`)),
      LIMIT_MS,
    )
  );
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The ids of the jobs `tsp -l` does not show finished. */
function unfinished(list: string): number[] {
  return list.split("\n").slice(1).filter((l) => /^\d+\s/.test(l) && !/^\d+\s+finished\s/.test(l))
    .map((l) => Number(l.split(/\s/)[0]));
}

/** Seconds task-spooler takes to drain `jobs` jobs of `sh -c command` with `slots` slots (see above). */
export async function tspDrain(dir: string, jobs: number, slots: number, command: string): Promise<number> {
  Deno.mkdirSync(`${dir}/out`, { recursive: true });
  const env = {
    TS_SOCKET: `${dir}/tsp.socket`,
    TMPDIR: `${dir}/out`,
    TS_SLOTS: String(slots),
    TS_MAXFINISHED: String(TSP_ROUND_MAX + 10),
  };
  const tsp = (...args: string[]) => run("tsp", args, env);
  let seconds = 0;
  let gate: Gate | null = null;
  try {
    await tsp("-S", String(slots));
    const rounds = Math.ceil(jobs / TSP_ROUND_MAX);
    for (let r = 0; r < rounds; r++) {
      const n = Math.floor((jobs * (r + 1)) / rounds) - Math.floor((jobs * r) / rounds);
      gate = await Gate.make(`${dir}/gate-${r}`);
      await tsp("-N", String(slots), "cat", gate.path);
      const ids: number[] = [];
      await inLanes(n, 4, async () => {
        ids.push(Number((await tsp("sh", "-c", command)).trim()));
      });
      ids.sort((a, b) => a - b);
      // started before the gate opens: each returns once its job has ended
      const waits = ids.slice(-slots).map((id) => tsp("-w", String(id)));
      const t0 = performance.now();
      gate.release();
      await within("tsp", Promise.all(waits));
      let t1 = performance.now();
      // a job before the last ones may still run (a slot that was slow): wait for it too
      const left = unfinished(await tsp("-l"));
      if (left.length > 0) {
        await within("tsp", Promise.all(left.map((id) => tsp("-w", String(id)))));
        t1 = performance.now();
      }
      seconds += (t1 - t0) / 1000;
      const still = unfinished(await tsp("-l"));
      if (still.length > 0) {
        throw new Error(`Cannot measure tsp: job(s) ${still.join(", ")} not finished after waiting for them`);
      }
      await tsp("-C");
    }
    return seconds;
  } finally {
    gate?.release();
    await run("tsp", ["-K"], env).catch(() => {});
  }
}

/** Seconds nq takes to drain `jobs` jobs of `sh -c command` in `slots` queues side by side (see above). */
export async function nqDrain(dir: string, jobs: number, slots: number, command: string): Promise<number> {
  const queues = Array.from({ length: slots }, (_, k) => `${dir}/nq-${k + 1}`);
  const gate = await Gate.make(`${dir}/gate`);
  try {
    for (const q of queues) await run("nq", ["-q", "cat", gate.path], { NQDIR: q });
    // one lane per queue: each queue gets its jobs in order
    await inLanes(jobs, slots, async (i) => {
      await run("nq", ["-q", "sh", "-c", command], { NQDIR: queues[i % slots] });
    });
    const waits = queues.map((q) => run("nq", ["-w"], { NQDIR: q }));
    const t0 = performance.now();
    gate.release();
    await within("nq", Promise.all(waits));
    const seconds = (performance.now() - t0) / 1000;
    const files = queues.map((q) => [...Deno.readDirSync(q)].filter((e) => e.name.startsWith(",")).length);
    const total = files.reduce((a, b) => a + b, 0);
    if (total !== jobs + slots) {
      throw new Error(`Cannot measure nq: ${total} job files for ${jobs + slots} jobs`);
    }
    return seconds;
  } finally {
    gate.release();
  }
}
