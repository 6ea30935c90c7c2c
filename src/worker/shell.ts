/**
 * Runs one of our shell helpers (session.sh, cgroup.sh, ...): the CLI runs without the
 * permission Deno needs to read /proc or write /sys, so the shell does that work for it.
 */
import procs from "./procs.sh" with { type: "text" };

/** `procs.sh` followed by `body`: the text a helper or runner shell is given with `-c`. */
export function withProcs(body: string): string {
  return `${procs}\n${body}`;
}

/**
 * Runs `/bin/sh -c script name ...args` and returns its exit code and what it printed.
 * Throws when /bin/sh cannot be spawned.
 */
export async function runHelper(
  script: string,
  name: string,
  args: readonly string[],
): Promise<{ code: number; out: string }> {
  return answered(await helperCommand(script, name, args).output());
}

/** `runHelper`, blocking (for clean-up that cannot wait, such as a test home's removal). */
export function runHelperSync(
  script: string,
  name: string,
  args: readonly string[],
): { code: number; out: string } {
  return answered(helperCommand(script, name, args).outputSync());
}

function helperCommand(script: string, name: string, args: readonly string[]): Deno.Command {
  return new Deno.Command("/bin/sh", {
    args: ["-c", script, name, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  });
}

function answered(result: Deno.CommandOutput): { code: number; out: string } {
  return { code: result.code, out: new TextDecoder().decode(result.stdout) };
}
