/**
 * An idle worker: the CPU it burns while nothing happens, then how fast it starts a job that
 * is enqueued (from `enqueue` returning to the job's command running).
 */
import { type Bench, scratch } from "../context.ts";
import { clockTicks, cpuTicks } from "../cpu.ts";
import { eachLine, queuectl, spawnDeno, timed } from "../process.ts";
import { LineWatch, stopWorker } from "../worker_proc.ts";
import { type Result, result } from "../report.ts";
import { summarize } from "../stats.ts";

/** Wall-clock milliseconds since the epoch, with the monotonic clock's sub-millisecond precision. */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
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
