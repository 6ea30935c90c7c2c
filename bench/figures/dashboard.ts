/**
 * The dashboard's live updates: from a `queuectl enqueue` returning to the change event on the
 * dashboard's event stream (`/api/events`) that announces it. The tests only ask that it comes;
 * how soon is measured here.
 */
import { type Bench, scratch } from "../context.ts";
import { queuectl, spawnDeno, timed } from "../process.ts";
import { type Result, result } from "../report.ts";
import { summarize } from "../stats.ts";

/** Wall-clock milliseconds since the epoch, with the monotonic clock's sub-millisecond precision. */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Reads server-sent events; `waitHead(n)` resolves at the time the event for head `n` (or later) came. */
class Events {
  #text = "";
  #seen: Array<{ head: number; at: number }> = [];
  #waiters: Array<{ head: number; resolve: (at: number) => void }> = [];
  readonly done: Promise<void>;

  constructor(body: ReadableStream<Uint8Array>) {
    const decoder = new TextDecoder();
    this.done = (async () => {
      try {
        for await (const chunk of body) {
          this.#text += decoder.decode(chunk, { stream: true });
          for (const m of this.#text.matchAll(/event: change\ndata: \{"head":(\d+)\}\n\n/g)) {
            this.#arrived(Number(m[1]), nowMs());
          }
          this.#text = this.#text.slice(this.#text.lastIndexOf("\n\n") + 2);
        }
      } catch { /* the stream was cancelled */ }
    })();
  }

  #arrived(head: number, at: number): void {
    this.#seen.push({ head, at });
    this.#waiters = this.#waiters.filter((w) => {
      if (head < w.head) return true;
      w.resolve(at);
      return false;
    });
  }

  waitHead(head: number, timeoutMs: number): Promise<number> {
    const seen = this.#seen.find((s) => s.head >= head);
    if (seen) return Promise.resolve(seen.at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Cannot measure: no change event for head ${head} in ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      this.#waiters.push({
        head,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      });
    });
  }
}

export async function dashboardEvents(bench: Bench): Promise<Result[]> {
  const runs = bench.sizes.dashboardRuns;
  const s = scratch(bench, "dashboard");
  const home = `${s.dir}/home`;
  const token = "bench-dashboard-token-0123456789";
  await timed(bench, queuectl(bench, home, "config", "list")); // the home exists before the watcher
  const args = queuectl(bench, home, "dashboard", "--port", "0", "--json");
  args.splice(1, 0, "--allow-net");
  const dashboard = spawnDeno(bench, args, {
    env: { QUEUECTL_DASHBOARD_TOKEN: token },
    stdout: "piped",
    stderr: "null",
  });
  const abort = new AbortController();
  let events: Events | undefined;
  const latencies: number[] = [];
  try {
    bench.progress(`dashboard: ${runs} × (enqueue → change event)`);
    const reader = dashboard.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let printed = "";
    while (!printed.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("Cannot measure: the dashboard exited before printing its URL");
      printed += value;
    }
    reader.releaseLock();
    dashboard.stdout.cancel().catch(() => {});
    const { port } = JSON.parse(printed.split("\n")[0]);
    const res = await fetch(`http://127.0.0.1:${port}/api/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    if (!res.ok || !res.body) throw new Error(`Cannot measure: /api/events answered ${res.status}`);
    events = new Events(res.body);
    await events.waitHead(0, 30_000);
    for (let i = 1; i <= runs; i++) {
      bench.tick(`  enqueue ${i} of ${runs}`);
      await timed(bench, queuectl(bench, home, "enqueue", "true"), { timeoutMs: 30_000 });
      const returned = nowMs();
      latencies.push(await events.waitHead(i, 30_000) - returned);
    }
  } finally {
    abort.abort();
    await events?.done;
    try {
      dashboard.kill("SIGTERM");
    } catch { /* gone */ }
    await dashboard.status;
    s.remove();
  }
  return [result({
    figure: "dashboard: enqueue returned → change event",
    unit: "ms",
    value: summarize(latencies),
    goal: { on: "value", op: "<=", target: 1000 },
    note: "from the bench seeing `enqueue` exit to the dashboard's change event on /api/events " +
      "(negative when the event came before the enqueue process had fully exited)",
  })];
}
