/**
 * queuectl: runs the command line (src/cli/run.ts) on this process's streams, environment and
 * stdin, and exits with its code (0 ok, 1 operational error, 2 invalid input or usage).
 */
import { runApp } from "./src/cli/run.ts";
import { systemClock } from "./src/clock.ts";

export { splitGlobalHome } from "./src/cli/run.ts";

const encoder = new TextEncoder();
function writer(file: { writeSync(p: Uint8Array): number }) {
  return {
    write(text: string) {
      const bytes = encoder.encode(text);
      let off = 0;
      while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
    },
  };
}

export function main(args: string[]): Promise<number> {
  return runApp(args, {
    stdout: writer(Deno.stdout),
    stderr: writer(Deno.stderr),
    env: (name) => Deno.env.get(name),
    cwd: Deno.cwd(),
    clock: systemClock,
    readStdin: async () => new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer()),
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
