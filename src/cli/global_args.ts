/**
 * The command line's global pieces that need no command tree: the version, and `--home DIR`
 * given before the command name. main.ts answers `--version` with them before it loads anything
 * else (a bare `deno run` is most of what that call may cost).
 */

export const VERSION = "0.1.0";

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

/**
 * The home directory a command line names: the first of `given` (the command's --home, the
 * global one, QUEUECTL_HOME) that is set and not empty (so `QUEUECTL_HOME= queuectl ...` never
 * means "here"), else ~/.queuectl; absolute, without a trailing slash.
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
