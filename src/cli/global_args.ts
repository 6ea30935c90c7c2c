/**
 * The command line's global pieces that need no command tree: the version, `--home DIR`
 * given before the command name or after it (homeArgs(): the one reading of --home for main.ts,
 * the command line and the enqueue hand-off), and the one line run without the tree
 * (plainEnqueue). main.ts answers `--version` with them before it
 * loads anything else (a bare `deno run` is most of what that call may cost): keep this module
 * free of imports.
 */

export const VERSION = "0.1.0";

/** Takes `--home DIR` / `--home=DIR` given before the command name. */
export function splitGlobalHome(
  args: readonly string[],
): { home: string | undefined; rest: string[] } {
  const { global, rest } = homeArgs(args);
  return { home: global, rest };
}

export interface HomeArgs {
  /** `--home` given before the command name (the last one) */
  global: string | undefined;
  /** `--home` given after the command name, before any `--` (the last one) */
  command: string | undefined;
  /** the words without the global `--home` */
  rest: string[];
  /** why a `--home` given cannot name a home (empty, or no value), as an error sentence; else null */
  problem: string | null;
}

/**
 * Every `--home` of a command line. An empty one, or one with no value after it, is a problem:
 * taken as not given, it would silently mean the default home.
 */
export function homeArgs(args: readonly string[]): HomeArgs {
  const rest = [...args];
  const found: Array<string | undefined> = [];
  /** the value of the `--home` word at `i` (undefined: none follows), and how many words it spans */
  const valueAt = (words: string[], i: number): [string | undefined, number] | null => {
    if (words[i] === "--home") return [i + 1 < words.length ? words[i + 1] : undefined, 2];
    if (words[i].startsWith("--home=")) return [words[i].slice("--home=".length), 1];
    return null;
  };
  let global: string | undefined;
  for (let i = 0; i < rest.length && rest[i].startsWith("-"); i++) {
    const at = valueAt(rest, i);
    if (at === null) continue;
    found.push(at[0]);
    if (at[0] === undefined) break; // `queuectl --home` alone: a problem, said below
    global = at[0];
    rest.splice(i, at[1]);
    i--;
  }
  let command: string | undefined;
  for (let i = 1; i < rest.length && rest[i] !== "--"; i++) {
    const at = valueAt(rest, i);
    if (at === null) continue;
    found.push(at[0]);
    command = at[0];
    i += at[1] - 1;
  }
  const problem = found.includes(undefined)
    ? "Invalid --home: it needs a directory, as in --home DIR"
    : found.includes("")
    ? "Invalid --home: it is empty"
    : null;
  return { global, command, rest, problem };
}

/**
 * The home directory a command line names: the first of `given` (the command's --home, the
 * global one, QUEUECTL_HOME) that is set and not empty (so `QUEUECTL_HOME= queuectl ...` never
 * means "here"; an empty --home is refused before, homeArgs()), else ~/.queuectl; absolute,
 * without a trailing slash.
 */
export function homeDir(
  given: readonly (string | undefined)[],
  userHome: string | undefined,
  cwd: string,
): string {
  const home = given.find((h) => h !== undefined && h !== "") ?? `${userHome ?? "."}/.queuectl`;
  const abs = home.startsWith("/") ? home : `${cwd}/${home}`;
  return abs.length > 1 ? abs.replace(/\/+$/, "") : abs;
}

/** The command line asks for the version alone (as stricli's --version/-v flag would answer it). */
export function asksVersion(rest: readonly string[]): boolean {
  return rest.length === 1 && (rest[0] === "--version" || rest[0] === "-v");
}

/**
 * Whether `rest` (the command line after the global --home) is `enqueue <job>`: one argument that
 * is not a flag. stricli would run enqueue's body with no flag and that argument as it is (its one
 * positional parses with String, and no word but a flag's is read otherwise), so src/cli/run.ts
 * does that itself, without loading the command tree. `enqueue -- <job>` is the same line through
 * the tree.
 */
export function plainEnqueue(rest: readonly string[]): boolean {
  return rest.length === 2 && rest[0] === "enqueue" && !rest[1].startsWith("-");
}
