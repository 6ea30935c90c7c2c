import "./src/cli/enqueue.ts";
import { runApp } from "./src/cli/run.ts";
import { systemClock } from "./src/clock.ts";
const encoder = new TextEncoder();
function writer(file: { writeSync(p: Uint8Array): number }) {
  return { write(text: string) { const b = encoder.encode(text); let o = 0; while (o < b.length) o += file.writeSync(b.subarray(o)); } };
}
Deno.exit(await runApp(Deno.args, { stdout: writer(Deno.stdout), stderr: writer(Deno.stderr), env: (n) => Deno.env.get(n), cwd: Deno.cwd(), clock: systemClock, readStdin: async () => new Uint8Array() }));
