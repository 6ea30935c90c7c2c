/**
 * Attaches to a Deno process started with `--inspect-wait=127.0.0.1:PORT`, starts V8's sampling
 * profiler (a sample every 200 µs), lets the process run, and after SECONDS writes the profile
 * (Chrome's .cpuprofile format) to OUT. Run by profile.sh.
 *
 *   deno run -A profile.ts PORT SECONDS OUT
 */
const [port, seconds, out] = Deno.args;
let targets: Array<{ webSocketDebuggerUrl: string }> | undefined;
for (let i = 0; i < 200 && !targets; i++) {
  try {
    targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  } catch {
    await new Promise((r) => setTimeout(r, 50));
  }
}
if (!targets) throw new Error(`no inspector on port ${port}`);
const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
await new Promise((r) => ws.onopen = r);
let next = 0;
const waiting = new Map<number, (result: unknown) => void>();
ws.onmessage = (e) => {
  const m = JSON.parse(e.data);
  waiting.get(m.id)?.(m.result);
  waiting.delete(m.id);
};
const send = (method: string, params: object = {}) =>
  new Promise<unknown>((resolve) => {
    const id = ++next;
    waiting.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });
await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 200 });
await send("Profiler.start");
await send("Runtime.runIfWaitingForDebugger");
await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
const { profile } = await send("Profiler.stop") as { profile: unknown };
Deno.writeTextFileSync(out, JSON.stringify(profile));
ws.close();
