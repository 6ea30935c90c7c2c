/**
 * Runs one of our shell helpers (session.sh, cgroup.sh, ...): the CLI runs without the
 * permission Deno needs to read /proc or write /sys, so the shell does that work for it.
 */
import procs from "./procs.sh" with { type: "text" };

/** `procs.sh` followed by `body`: the text a helper or runner shell runs (`shellInvocation`). */
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

/** The environment variable that carries a script to its shell (`shellInvocation`). */
const SCRIPT_VARIABLE = "QUEUECTL_SH";

/**
 * The arguments after `/bin/sh`, and the environment to add, that run `script` as `name` with
 * `args` (`$0`, then `$1`...). The script travels in an environment variable, which it unsets
 * before anything else, so that `ps` shows `/bin/sh -c eval "$QUEUECTL_SH" name args...`
 * rather than pages of shell (13 KB for a runner), and nothing it starts inherits it.
 */
export function shellInvocation(
  script: string,
  name: string,
  args: readonly string[],
): { args: string[]; env: Record<string, string> } {
  return {
    args: ["-c", `eval "$${SCRIPT_VARIABLE}"`, name, ...args],
    env: { [SCRIPT_VARIABLE]: `unset ${SCRIPT_VARIABLE}\n${script}` },
  };
}

function helperCommand(script: string, name: string, args: readonly string[]): Deno.Command {
  return new Deno.Command("/bin/sh", {
    ...shellInvocation(script, name, args),
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  });
}

function answered(result: Deno.CommandOutput): { code: number; out: string } {
  return { code: result.code, out: new TextDecoder().decode(result.stdout) };
}
