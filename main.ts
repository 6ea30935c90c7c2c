/**
 * queuectl: builds the context, runs the command tree, and turns the outcome into an exit code
 * (0 ok, 1 operational error, 2 invalid input or usage).
 */
import { run } from "@stricli/core";
import { app } from "./src/cli/app.ts";
import type { AppContext } from "./src/cli/context.ts";
import { systemClock } from "./src/store/log.ts";

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

/** Takes `--home DIR` / `--home=DIR` given before the command name. */
export function splitGlobalHome(
  args: string[],
): { home: string | undefined; rest: string[] } {
  const rest = [...args];
  let home: string | undefined;
  for (let i = 0; i < rest.length && rest[i].startsWith("-"); i++) {
    if (rest[i] === "--home" && i + 1 < rest.length) {
      home = rest[i + 1];
      rest.splice(i, 2);
      i--;
    } else if (rest[i].startsWith("--home=")) {
      home = rest[i].slice("--home=".length);
      rest.splice(i, 1);
      i--;
    }
  }
  return { home, rest };
}

export async function main(args: string[]): Promise<number> {
  const { home, rest } = splitGlobalHome(args);
  const stdout = writer(Deno.stdout);
  const stderr = writer(Deno.stderr);
  const proc = {
    stdout,
    stderr,
    env: { STRICLI_SKIP_VERSION_CHECK: "1", STRICLI_NO_COLOR: "1" },
    exitCode: undefined as number | string | null | undefined,
  };
  const context: AppContext = {
    process: proc,
    env: (name) => Deno.env.get(name),
    globalHome: home,
    cwd: Deno.cwd(),
    clock: systemClock,
    readStdin: () => new Response(Deno.stdin.readable).text(),
    exitCode: 0,
  };
  if (rest[0] === "__complete") {
    const { printCompletions } = await import("./src/cli/completion.ts");
    await printCompletions(app, rest.slice(1), context);
    return 0;
  }
  await run(app, rest, context as AppContext & { process: typeof proc });
  if (context.exitCode !== 0) return context.exitCode;
  const code = Number(proc.exitCode ?? 0);
  // stricli's own failures (unknown command, bad flag) are negative: they are usage errors
  return code < 0 ? 2 : code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
