/**
 * An idle worker: the CPU it burns while nothing happens, then how fast it starts a job that
 * is enqueued (from `enqueue` returning to the job's command running).
 */
import { type Bench, scratch } from "../context.ts";
import { clockTicks, cpuTicks } from "../cpu.ts";
import { eachLine, queuectl, spawnDeno, timed } from "../process.ts";
import { type Result, result } from "../report.ts";
import { summarize } from "../stats.ts";

/** Wall-clock milliseconds since the epoch, with the monotonic clock's sub-millisecond precision. */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Every line a running worker printed, and a way to wait for one (already printed or not). */
class LineWatch {
  readonly lines: string[] = [];
  #waiters: Array<{ from: number; test: (line: string) => boolean; resolve: () => void }> = [];
  seen(line: string): void {
    this.lines.push(line);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.test(line)) return true;
      w.resolve();
      return false;
    });
  }
  /** Resolves once a line printed after the first `from` lines passes `test`. */
  waitFor(from: number, test: (line: string) => boolean, timeoutMs: number, what: string): Promise<void> {
    if (this.lines.slice(from).some(test)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`Cannot measure: the worker printed no line ${what} in ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      this.#waiters.push({
        from,
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

/** SIGTERM (a graceful stop), then SIGKILL if it has not exited within 10 s; false if it had to be killed. */
async function stopWorker(bench: Bench, worker: Deno.ChildProcess): Promise<boolean> {
  const signal = (sig: Deno.Signal) => {
    try {
      worker.kill(sig);
    } catch { /* it has already exited */ }
  };
  signal("SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((r) => timer = setTimeout(() => r("late"), 10_000));
  const graceful = await Promise.race([worker.status, late]) !== "late";
  clearTimeout(timer);
  if (!graceful) {
    bench.progress("  the idle worker did not stop within 10 s of SIGTERM: killing it");
    signal("SIGKILL");
    await worker.status;
  }
  return graceful;
}

export async function idleWorker(bench: Bench): Promise<Result[]> {
  const { idleSeconds, wakeups } = bench.sizes;
  const s = scratch(bench, "idle");
  const home = `${s.dir}/home`;
  const watch = new LineWatch();
  const worker = spawnDeno(bench, queuectl(bench, home, "worker", "start"), {
    stdout: "piped",
    stderr: "null",
  });
  const reading = eachLine(worker.stdout, (line) => watch.seen(line));
  let cpu: number, ticks: number, hz: number;
  const latencies: number[] = [];
  let stopped: boolean;
  try {
    await watch.waitFor(0, (l) => l.includes(" started with "), 30_000, "saying it started");
    // let it finish starting up and settle into its sleep
    await new Promise((r) => setTimeout(r, 1000));
    bench.progress(`idle worker: CPU over ${idleSeconds}s`);
    hz = await clockTicks();
    const before = cpuTicks(worker.pid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    ticks = cpuTicks(worker.pid) - before;
    cpu = (ticks / hz / ((performance.now() - t0) / 1000)) * 100;

    bench.progress(`idle worker: ${wakeups} wake-ups`);
    for (let i = 0; i < wakeups; i++) {
      bench.tick(`  wake-up ${i + 1} of ${wakeups}`);
      const mark = `${s.dir}/started-${i}`;
      const from = watch.lines.length;
      // the job's first act is to write the wall clock in nanoseconds
      const enq = await timed(bench, queuectl(bench, home, "enqueue", `date +%s%N > ${mark}`), {
        stdout: "piped",
        timeoutMs: 30_000,
      });
      const returned = nowMs();
      const id = enq.stdout.trim();
      await watch.waitFor(from, (l) => l.endsWith(` completed ${id}`), 10_000, `completing ${id}`);
      latencies.push(Number(Deno.readTextFileSync(mark).trim()) / 1e6 - returned);
      // back to idle before the next one
      await new Promise((r) => setTimeout(r, 150));
    }
  } finally {
    stopped = await stopWorker(bench, worker);
    await reading;
    s.remove();
  }
  const stubborn = stopped ? "" : "; the worker did not stop within 10 s of SIGTERM and was killed";
  return [
    result({
      figure: "wake-up: enqueue returned → job started",
      unit: "ms",
      value: summarize(latencies),
      goal: { on: "value", op: "<=", target: 5 },
      note: "from the bench seeing `enqueue` exit to the job's `date +%s%N` " +
        "(negative when the job started before the enqueue process had fully exited)",
    }),
    result({
      figure: `idle worker CPU over ${idleSeconds} s`,
      unit: "%",
      value: summarize([cpu]),
      goal: { on: "value", op: "<=", target: 0.5 },
      note: `${ticks} clock tick(s) of ${1000 / hz} ms (utime+stime from /proc/PID/stat)${stubborn}`,
    }),
  ];
}
