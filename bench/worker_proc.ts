/**
 * A worker the bench runs beside a measurement: the lines it prints (and a wait for one), and a
 * graceful stop with a time limit.
 */
import type { Bench } from "./context.ts";
import { eachLine, queuectl, spawnDeno } from "./process.ts";

/** Every line a running worker printed, and a way to wait for one (already printed or not). */
export class LineWatch {
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
export async function stopWorker(bench: Bench, worker: Deno.ChildProcess): Promise<boolean> {
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
    bench.progress("  the worker did not stop within 10 s of SIGTERM: killing it");
    signal("SIGKILL");
    await worker.status;
  }
  return graceful;
}

/** A worker of `home` started with `args`, once it has said it started; `stop()` ends it (stopWorker). */
export async function startedWorker(
  bench: Bench,
  home: string,
  args: string[] = [],
): Promise<{ watch: LineWatch; stop(): Promise<boolean> }> {
  const watch = new LineWatch();
  const worker = spawnDeno(bench, queuectl(bench, home, "worker", "start", ...args), {
    stdout: "piped",
    stderr: "null",
  });
  const reading = eachLine(worker.stdout, (line) => watch.seen(line));
  const stop = async () => {
    const graceful = await stopWorker(bench, worker);
    await reading;
    return graceful;
  };
  try {
    await watch.waitFor(0, (l) => l.includes(" started with "), 30_000, "saying it started");
  } catch (e) {
    await stop();
    throw e;
  }
  return { watch, stop };
}
