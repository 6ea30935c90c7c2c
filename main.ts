/**
 * queuectl: builds the context, runs the command tree, and turns the outcome into an exit code
 * (0 ok, 1 operational error, 2 invalid input or usage).
 */
import { run } from "@stricli/core";
import { loadApp, VERSION } from "./src/cli/app.ts";
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

/** The command path named by `args` ("config set"), for a pointer to the right --help. */
function routeOf(root: unknown, args: string[]): string {
  const path: string[] = [];
  let target: unknown = root;
  for (const word of args.filter((a) => !a.startsWith("-"))) {
    const map = target as { getRoutingTargetForInput?: (w: string) => unknown };
    const next = map.getRoutingTargetForInput?.(word);
    if (!next) break;
    path.push(word);
    target = next;
  }
  return path.join(" ");
}

export async function main(args: string[]): Promise<number> {
  const { home, rest } = splitGlobalHome(args);
  const stdout = writer(Deno.stdout);
  const direct = writer(Deno.stderr);
  // until a command body starts, stderr carries only stricli's argument errors, one line per
  // problem: keep them, and print the first as our one-sentence error
  let started = false;
  const early: string[] = [];
  const stderr = {
    write(text: string) {
      if (started) direct.write(text);
      else early.push(text);
    },
  };
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
    commandStarted: () => {
      started = true;
      for (const text of early.splice(0)) direct.write(text);
    },
  };
  // the version alone needs no command tree: answer it as stricli's --version/-v flag does
  if (rest.length === 1 && (rest[0] === "--version" || rest[0] === "-v")) {
    stdout.write(`${VERSION}\n`);
    return 0;
  }
  const app = await loadApp(rest);
  if (rest[0] === "__complete") {
    const { printCompletions } = await import("./src/cli/completion.ts");
    await printCompletions(app, rest.slice(1), context);
    return 0;
  }
  await run(app, rest, context as AppContext & { process: typeof proc });
  const first = early.join("").split("\n").find((line) => line.trim() !== "");
  if (first !== undefined) {
    const route = routeOf(app.root, rest);
    direct.write(`error: ${first.replace(/\.$/, "")} (see \`queuectl ${route ? route + " " : ""}--help\`)\n`);
  }
  if (context.exitCode !== 0) return context.exitCode;
  const code = Number(proc.exitCode ?? 0);
  // stricli's own failures (unknown command, bad flag) are negative: they are usage errors
  return code < 0 ? 2 : code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
