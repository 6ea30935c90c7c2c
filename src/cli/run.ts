/**
 * One run of the command line with its I/O passed in: main.ts gives it the process's streams,
 * environment and stdin; tests and the fuzzer give it captured ones (`runCli`) and call it
 * thousands of times in one process. Turns the outcome into an exit code (0 ok, 1 operational
 * error, 2 invalid input or usage).
 */
import { run } from "@stricli/core";
import { type Clock, systemClock } from "../clock.ts";
import { loadApp } from "./app.ts";
import { asksVersion, splitGlobalHome, VERSION } from "./global_args.ts";
import { printable } from "../printable.ts";
import type { AppContext, Streams } from "./context.ts";
import { decodeInput } from "./utf8.ts";

export { splitGlobalHome };

export interface CliIo {
  stdout: Streams;
  stderr: Streams;
  env: (name: string) => string | undefined;
  cwd: string;
  clock: Clock;
  /** all of stdin, as bytes: decoded here, strictly (utf8.ts) */
  readStdin(): Promise<Uint8Array>;
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

/** Runs `args` (the command line after the program name); returns the exit code. */
export async function runApp(args: string[], io: CliIo): Promise<number> {
  const { home, rest } = splitGlobalHome(args);
  const { stdout } = io;
  const direct = io.stderr;
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
    env: io.env,
    globalHome: home,
    cwd: io.cwd,
    clock: io.clock,
    readStdin: async () => decodeInput(await io.readStdin(), "stdin"),
    exitCode: 0,
    commandStarted: () => {
      started = true;
      for (const text of early.splice(0)) direct.write(text);
    },
  };
  // the version alone needs no command tree: answer it as stricli's --version/-v flag does
  if (asksVersion(rest)) {
    stdout.write(`${VERSION}\n`);
    return 0;
  }
  const app = await loadApp(rest);
  if (rest[0] === "__complete") {
    const { printCompletions } = await import("./completion.ts");
    await printCompletions(app, rest.slice(1), context);
    return 0;
  }
  await run(app, rest, context as AppContext & { process: typeof proc });
  const first = early.join("").split("\n").find((line) => line.trim() !== "");
  if (first !== undefined) {
    const route = routeOf(app.root, rest);
    direct.write(
      `error: ${printable(first).replace(/\.$/, "")} (see \`queuectl ${route ? route + " " : ""}--help\`)\n`,
    );
  }
  if (context.exitCode !== 0) return context.exitCode;
  const code = Number(proc.exitCode ?? 0);
  // stricli's own failures (unknown command, bad flag) are negative: they are usage errors
  return code < 0 ? 2 : code;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  /** the environment the command sees, and nothing else (default: none) */
  env?: Record<string, string>;
  /** what `--file -` reads */
  stdin?: string | Uint8Array;
  cwd?: string;
  clock?: Clock;
}

/** Runs the CLI in this process with captured output: for tests and the fuzzer. */
export async function runCli(args: string[], options: RunCliOptions = {}): Promise<CliRun> {
  let out = "";
  let err = "";
  const env = options.env ?? {};
  const code = await runApp(args, {
    stdout: { write: (t) => void (out += t) },
    stderr: { write: (t) => void (err += t) },
    env: (name) => Object.hasOwn(env, name) ? env[name] : undefined,
    cwd: options.cwd ?? Deno.cwd(),
    clock: options.clock ?? systemClock,
    readStdin: () =>
      Promise.resolve(
        typeof options.stdin === "string"
          ? new TextEncoder().encode(options.stdin)
          : options.stdin ?? new Uint8Array(),
      ),
  });
  return { code, stdout: out, stderr: err };
}
