/**
 * One run of the command line with its I/O passed in: main.ts gives it the process's streams,
 * environment and stdin; tests and the fuzzer give it captured ones (`runCli`) and call it
 * thousands of times in one process. Turns the outcome into an exit code (0 ok, 1 operational
 * error, 2 invalid input or usage).
 *
 * The command tree and its parser (app.ts, stricli) are loaded for every command line but one:
 * `enqueue <job>`, a job and no flag (plainEnqueue), the commonest line and the one whose start-up
 * is a user's wait, runs enqueue.ts's body directly with no flag, as stricli would run it.
 */
import { type Clock, systemClock } from "../clock.ts";
import { asksVersion, homeArgs, plainEnqueue, splitGlobalHome, VERSION } from "./global_args.ts";
import { printable } from "../printable.ts";
import { action, type AppContext, type Streams } from "./context.ts";
import { decodeInput } from "./utf8.ts";
import { lazy } from "../lazy.ts";
import { isStreamGone } from "../stream_gone.ts";
import { argvCommand, commandAt } from "./command_at.ts";
import { emptyFlagValue } from "./empty_flag.ts";

export { splitGlobalHome };

export interface CliIo {
  stdout: Streams;
  stderr: Streams;
  env: (name: string) => string | undefined;
  cwd: string;
  /** the system's clock when not given */
  clock?: Clock;
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

/**
 * With --argv the arguments are a program and its arguments, but stricli reads a flag anywhere
 * on the line as one of ours: `enqueue --argv ls -la` would fail on "-l" (no such flag), and
 * `--argv grep -c x` would take -c for --command. A word after the program that starts with "-"
 * and is not one of the command's long flags is refused, with the line that works (`--` before
 * the program). Returns that sentence, or null.
 */
export function argvWithoutSeparator(root: unknown, args: string[]): string | null {
  const at = commandAt(root, args);
  if (at === null) return null;
  const { path, flags, aliases } = at;
  const spec = argvCommand(path);
  if (!spec || !flags.argv) return null;
  const end = args.indexOf("--", path.length);
  const words = args.slice(path.length, end < 0 ? args.length : end);
  const flagOf = (word: string): string | undefined => {
    if (!word.startsWith("--")) return word.length === 2 ? aliases[word[1]] : undefined;
    const name = word.slice(2).split("=")[0];
    if (flags[name]) return name;
    const negated = name.startsWith("no-")
      ? name.slice(3)
      : name.startsWith("no")
      ? name.slice(2, 3).toLowerCase() + name.slice(3)
      : "";
    return flags[negated]?.kind === "boolean" ? negated : undefined;
  };
  const takesValue = (word: string) => flags[flagOf(word)!]?.kind !== "boolean" && !word.includes("=");
  if (!words.some((w) => flagOf(w) === "argv")) return null;
  // the line split in three: up to the program, our flags after it, the program and its words
  const head: string[] = [];
  const ours: string[] = [];
  const program: string[] = [];
  let positionals = 0;
  let offending: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const isFlag = word.startsWith("-") && word !== "-";
    const value = isFlag && flagOf(word) && takesValue(word) && i + 1 < words.length ? [words[++i]] : [];
    if (program.length === 0) {
      if (isFlag || positionals++ < spec.before) head.push(word, ...value);
      else program.push(word);
    } else if (isFlag && word.startsWith("--") && flagOf(word)) ours.push(word, ...value);
    else {
      if (isFlag) offending ??= word;
      program.push(word, ...value);
    }
  }
  if (offending === undefined) return null;
  const fixed = [...path, ...head, ...ours, "--", ...program, ...(end < 0 ? [] : args.slice(end + 1))];
  const line = `queuectl ${fixed.map(shellWord).join(" ")}`;
  return `Cannot ${spec.action}: ${JSON.stringify(offending.slice(0, 40))} after the program ${
    JSON.stringify(program[0].slice(0, 40))
  } would be read as a flag of queuectl; with --argv, put -- before the program: ${
    line.length > 200 ? line.slice(0, 197) + "..." : line
  }`;
}

/** `word` as a shell would need it typed. */
function shellWord(word: string): string {
  return /^[\w.,:\/=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Runs `args` (the command line after the program name); returns the exit code. When stdout goes
 * away (`queuectl --help | head -1`), wherever the write was (a command's body, stricli's help,
 * completions), the run ends quietly with 0: what was asked is done or was only read. Except for
 * a command whose exit code is its answer (`wait`, `enqueue --wait`: AppContext.keepExitCode):
 * its later output is dropped, it goes on, and its exit code stands, as for an enqueue handed to
 * a worker (src/handoff/client.ts).
 */
export async function runApp(args: string[], io: CliIo): Promise<number> {
  let gone = false;
  let keep = false;
  const stdout: Streams = {
    write(text: string) {
      if (gone && keep) return;
      try {
        io.stdout.write(text);
      } catch (e) {
        gone ||= isStreamGone(e);
        if (gone && keep) return;
        throw e;
      }
    },
  };
  const quiet = () => gone && !keep;
  try {
    const code = await runOn(args, { ...io, stdout }, quiet, () => keep = true);
    return quiet() ? 0 : code;
  } catch (e) {
    if (quiet()) return 0;
    throw e;
  }
}

async function runOn(
  args: string[],
  io: CliIo,
  stdoutGone: () => boolean,
  keepExitCode: () => void,
): Promise<number> {
  const { global: home, rest, problem: homeProblem } = homeArgs(args);
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
    clock: io.clock ?? systemClock,
    readStdin: async () => decodeInput(await io.readStdin(), "stdin"),
    exitCode: 0,
    commandStarted: () => {
      started = true;
      for (const text of early.splice(0)) direct.write(text);
    },
    keepExitCode,
  };
  // the version alone needs no command tree: answer it as stricli's --version/-v flag does
  if (asksVersion(rest)) {
    stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (rest[0] === "__complete") {
    // by a computed name, so that no other command prepares the completion code at start-up
    const { printCompletions } = await lazy<typeof import("./completion.ts")>("src/cli/completion.ts");
    await printCompletions(rest.slice(1), context);
    return 0;
  }
  // before stricli, which takes an empty --home as not given and `--home=` as an argument
  if (homeProblem !== null) {
    direct.write(`error: ${homeProblem}\n`);
    return 2;
  }
  if (plainEnqueue(rest)) {
    const { enqueue } = await lazy<typeof import("./enqueue.ts")>("src/cli/enqueue.ts");
    await action(enqueue).call(context, {}, rest[1]);
    return context.exitCode;
  }
  const { loadApp, runApplication } = await lazy<typeof import("./app.ts")>("src/cli/app.ts");
  const app = await loadApp(rest);
  // before stricli, which takes `--queue=` (no value after "=") as an argument, not as --queue
  const argProblem = emptyFlagValue(app.root, rest) ?? argvWithoutSeparator(app.root, rest);
  if (argProblem !== null) {
    direct.write(`error: ${printable(argProblem)}\n`);
    return 2;
  }
  await runApplication(app, rest, context as AppContext & { process: typeof proc });
  // stricli reports a failed write of its help as an exception of the help: not when stdout went away
  if (stdoutGone()) return 0;
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
    clock: options.clock,
    readStdin: () =>
      Promise.resolve(
        typeof options.stdin === "string"
          ? new TextEncoder().encode(options.stdin)
          : options.stdin ?? new Uint8Array(),
      ),
  });
  return { code, stdout: out, stderr: err };
}
