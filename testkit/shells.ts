/**
 * Real shells for the completion tests: finds bash, zsh and fish, puts a `queuectl` that runs this
 * tree's CLI on a PATH, and asks each shell what it would offer for a command line (bash through
 * its completion function, zsh through its completion system on a pseudo-terminal, fish through
 * `complete -C`). A shell that is missing fails its test unless QUEUECTL_TEST_MISSING_SHELLS names
 * it (a comma-separated list): then its test is reported as ignored.
 */
import { CLI_FLAGS, DENO, MAIN } from "./cli.ts";

export type Shell = "bash" | "zsh" | "fish";

/** The shell's executable on PATH, or null. */
export function findShell(shell: Shell): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(`${dir}/${shell}`).isFile) return `${dir}/${shell}`;
    } catch { /* not here */ }
  }
  return null;
}

/** True when the environment lets `shell` be missing (its test is then ignored, not passed). */
export function mayLack(shell: Shell): boolean {
  return (Deno.env.get("QUEUECTL_TEST_MISSING_SHELLS") ?? "").split(",").map((s) => s.trim()).includes(shell);
}

/** Fails with how to get `shell` when it is missing. */
export function requireShell(shell: Shell): string {
  const path = findShell(shell);
  if (path === null) {
    throw new Error(
      `${shell} is not installed, so its completions cannot be tested: install it (apt-get install ${shell}) ` +
        `or set QUEUECTL_TEST_MISSING_SHELLS=${shell} to have this test ignored`,
    );
  }
  return path;
}

/** A directory holding a `queuectl` that runs this tree's main.ts, to put first on PATH. */
export function queuectlBin(dir: string): string {
  const bin = `${dir}/bin`;
  Deno.mkdirSync(bin, { recursive: true });
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  Deno.writeTextFileSync(
    `${bin}/queuectl`,
    `#!/bin/sh\nexec ${[DENO, "run", ...CLI_FLAGS, MAIN].map(quote).join(" ")} "$@"\n`,
    { mode: 0o755 },
  );
  return bin;
}

export interface ShellRun {
  /** the environment of the shell: PATH with queuectl first, QUEUECTL_HOME */
  env: Record<string, string>;
  /** a scratch directory */
  dir: string;
}

async function run(cmd: string, args: string[], env: Record<string, string>): Promise<string> {
  const out = await new Deno.Command(cmd, { args, env, stdin: "null" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} exited ${out.code}: ${new TextDecoder().decode(out.stderr)}${text}`,
    );
  }
  return text;
}

/** What each shell offers for each of `lines`, after loading `queuectl completion SHELL`. */
export async function shellCandidates(shell: Shell, lines: string[], ctx: ShellRun): Promise<string[][]> {
  const path = requireShell(shell);
  if (shell === "bash") return await bashCandidates(path, lines, ctx);
  if (shell === "fish") return await fishCandidates(path, lines, ctx);
  const script = `${ctx.dir}/_queuectl`;
  Deno.writeTextFileSync(script, await run("queuectl", ["completion", "zsh"], ctx.env));
  const harness = new URL("./zsh_complete.zsh", import.meta.url).pathname;
  const out: string[][] = [];
  for (const [i, line] of lines.entries()) {
    const file = `${ctx.dir}/zsh-${i}.out`;
    await run(path, ["-f", harness, script, file, line], ctx.env);
    out.push(Deno.readTextFileSync(file).split("\n").filter((l) => l !== "" && l !== "DONE"));
  }
  return out;
}

/**
 * bash: the script loaded as the README says (`source <(queuectl completion bash)`), then for each
 * line the function `complete -p queuectl` names, called as bash calls it (COMP_LINE, COMP_POINT,
 * COMP_WORDS, COMP_CWORD); each reply is printed as bash would put it in the line (bash replaces
 * the part of the word after its last ':' or '=').
 */
async function bashCandidates(path: string, lines: string[], ctx: ShellRun): Promise<string[][]> {
  const script = [
    "source <(queuectl completion bash) || exit 5",
    "spec=$(complete -p queuectl) || exit 6",
    'fn=$(sed -E "s/.*-F ([^ ]+) .*/\\1/" <<<"$spec")',
    'for line in "$@"; do',
    '  echo "== $line"',
    "  COMP_LINE=$line; COMP_POINT=${#line}",
    '  read -ra COMP_WORDS <<<"$line"; [[ $line == *" " ]] && COMP_WORDS+=("")',
    "  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); cur=${COMP_WORDS[COMP_CWORD]}",
    '  COMPREPLY=(); "$fn" queuectl "$cur" "${COMP_WORDS[COMP_CWORD-1]}"',
    '  pre=""; [[ $cur == *[:=]* ]] && pre=${cur%"${cur##*[:=]}"}',
    '  for c in "${COMPREPLY[@]}"; do printf "%s%s\\n" "$pre" "$c"; done',
    "done",
  ].join("\n");
  return split(await run(path, ["--norc", "--noprofile", "-c", script, "bash", ...lines], ctx.env), lines);
}

/** fish: the script loaded as the README says, then `complete -C LINE` (candidate, tab, brief). */
async function fishCandidates(path: string, lines: string[], ctx: ShellRun): Promise<string[][]> {
  const script = [
    "queuectl completion fish | source; or exit 5",
    "for line in $argv",
    '  echo "== $line"',
    '  complete -C "$line"',
    "end",
  ].join("\n");
  const text = await run(path, ["--no-config", "-c", script, ...lines], ctx.env);
  return split(text, lines).map((c) => c.map((l) => l.split("\t")[0]));
}

function split(text: string, lines: string[]): string[][] {
  const out: string[][] = [];
  for (const row of text.split("\n")) {
    if (row.startsWith("== ")) out.push([]);
    else if (row !== "" && out.length > 0) out[out.length - 1].push(row);
  }
  if (out.length !== lines.length) {
    throw new Error(`expected ${lines.length} answers, got ${out.length}: ${text}`);
  }
  return out;
}
