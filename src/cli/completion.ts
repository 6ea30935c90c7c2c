/**
 * Shell completions. `queuectl completion bash|zsh|fish` prints a script that asks the CLI itself
 * for candidates (`queuectl __complete [--describe] <words...>`), so completions follow the
 * command tree as it is: commands, subcommands and flags come from the tree (stricli), and the
 * values of arguments from what they name: job ids, queue and schedule names from the home
 * (read, never created or changed), states, config keys, shells and command names from the code.
 *
 * `__complete` prints one candidate a line (with --describe: the candidate, a tab, its brief),
 * and a last line `:files` when the word is a path the shell should complete itself. It never
 * fails: a broken or missing home just has no candidates.
 */
import { proposeCompletions } from "@stricli/core";
import { CONFIG_KEYS, displayKey } from "../config.ts";
import { UsageError } from "../errors.ts";
import { isTerminal, JOB_STATES } from "../job.ts";
import { homePaths } from "../store/paths.ts";
import { openStore } from "../store/open.ts";
import { loadApp } from "./app.ts";
import { type AppContext, resolveHome } from "./context.ts";
import { command } from "./command.ts";
import { splitGlobalHome } from "./global_args.ts";
import bash from "./completions/queuectl.bash" with { type: "text" };
import zsh from "./completions/queuectl.zsh" with { type: "text" };
import fish from "./completions/queuectl.fish" with { type: "text" };

const SCRIPTS: Record<string, string> = { bash, zsh, fish };

function completion(this: AppContext, _flags: Record<never, never>, shell: string): void {
  if (!Object.hasOwn(SCRIPTS, shell)) {
    throw new UsageError(
      `Cannot print completions for "${shell.slice(0, 40)}": expected ${Object.keys(SCRIPTS).join(", ")}`,
    );
  }
  this.process.stdout.write(SCRIPTS[shell]);
}

export const completionCommand = command({
  func: completion,
  parameters: {
    positional: {
      kind: "tuple",
      parameters: [{ brief: "bash, zsh or fish", parse: String, placeholder: "shell" }],
    },
  },
  docs: {
    brief: "Print a shell completion script (bash, zsh or fish)",
    fullDescription: [
      "Completes commands, subcommands and flags, and the values they take: job ids, states,",
      "queue and schedule names, config keys. Ids and names are read from the home that the",
      "command line names (--home, else $QUEUECTL_HOME, else ~/.queuectl).",
      "",
      "Examples:",
      "  source <(queuectl completion bash)              # in ~/.bashrc",
      "  queuectl completion zsh > ~/.zfunc/_queuectl    # with fpath+=(~/.zfunc) before compinit",
      "  queuectl completion fish > ~/.config/fish/completions/queuectl.fish",
    ].join("\n"),
  },
});

/** What an argument's value is, for completion. */
export type ValueKind =
  | "files"
  | "id"
  | "dead-id"
  | "running-id"
  | "waiting-id"
  | "state"
  | "config-key"
  | "queue"
  | "queues"
  | "schedule"
  | "shell"
  | "command";

interface ParamSpec {
  kind?: string;
  placeholder?: string;
  values?: readonly string[];
}

interface CommandParams {
  flags?: Record<string, ParamSpec>;
  aliases?: Record<string, string>;
  positional?: { kind: "tuple"; parameters: ParamSpec[] } | { kind: "array"; parameter: ParamSpec };
}

/** The ids a command acts on, by the states it accepts them in. */
const ID_KINDS: Record<string, ValueKind> = {
  "dlq retry": "dead-id",
  "dlq delete": "dead-id",
  kill: "running-id",
  cancel: "waiting-id",
  wait: "waiting-id",
};

/**
 * What the value of a flag (`flag` set) or of a positional argument is, for the command at
 * `path` ("config set"): decided by its placeholder, and by the command where one placeholder
 * means two things.
 */
export function valueKind(path: string, param: ParamSpec, flag?: string): ValueKind | undefined {
  const placeholder = param.placeholder ?? "";
  if (placeholder === "dir" || placeholder === "path") return "files";
  if (placeholder === "id") return flag === "id" ? undefined : flag ? "id" : ID_KINDS[path] ?? "id";
  if (placeholder === "state") return "state";
  if (placeholder === "names") return "queues";
  if (placeholder === "shell") return "shell";
  if (placeholder === "command" && path === "help") return "command";
  if (placeholder === "key" && path.startsWith("config ")) return "config-key";
  if (placeholder === "name") {
    if (flag === "queue" || path.startsWith("queue ")) return "queue";
    if (path.startsWith("schedule ")) return "schedule";
  }
  return undefined;
}

/** Where the last word of a command line is: a flag's value, a positional argument, or a flag. */
export type Slot =
  | { kind: "flag-value"; flag: string; param: ParamSpec; prefix: string }
  | { kind: "positional"; index: number; param: ParamSpec | undefined }
  | { kind: "flag" };

/**
 * The slot of `partial` after `words` (the words after the command's path), read as stricli
 * reads them: a value-taking flag takes the next word (or `--flag=value`), `--` ends the flags.
 */
export function slotOf(params: CommandParams, words: readonly string[], partial: string): Slot {
  const flags = params.flags ?? {};
  const aliases = params.aliases ?? {};
  const flagName = (word: string): string | undefined =>
    word.startsWith("--") ? word.slice(2).split("=")[0] : word.length === 2 ? aliases[word[1]] : undefined;
  const takesValue = (name: string | undefined) =>
    name !== undefined && flags[name] !== undefined && flags[name].kind !== "boolean";
  let positionals = 0;
  let escaped = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (escaped || !word.startsWith("-") || word === "-") positionals++;
    else if (word === "--") escaped = true;
    else if (takesValue(flagName(word)) && !word.includes("=")) {
      if (i === words.length - 1) {
        const name = flagName(word)!;
        return { kind: "flag-value", flag: name, param: flags[name], prefix: "" };
      }
      i++;
    }
  }
  if (!escaped && partial.startsWith("--") && partial.includes("=")) {
    const name = flagName(partial)!;
    if (takesValue(name)) {
      return {
        kind: "flag-value",
        flag: name,
        param: flags[name],
        prefix: partial.slice(0, partial.indexOf("=") + 1),
      };
    }
  }
  if (!escaped && partial.startsWith("-")) return { kind: "flag" };
  const positional = params.positional;
  const param = positional?.kind === "array" ? positional.parameter : positional?.parameters[positionals];
  return { kind: "positional", index: positionals, param };
}

interface Candidate {
  value: string;
  brief: string;
}

/** How many ids a completion offers at most: a shell shows no more usefully. */
const MAX_IDS = 500;

/** Values of `kind` that start with `prefix`. */
async function values(
  kind: ValueKind,
  prefix: string,
  context: AppContext,
  home: string | undefined,
  helpPath: readonly string[],
): Promise<Candidate[]> {
  const fixed = (names: readonly string[], brief = "") =>
    names.filter((n) => n.startsWith(prefix)).map((value) => ({ value, brief }));
  switch (kind) {
    case "state":
      return fixed(JOB_STATES, "job state");
    case "config-key":
      return CONFIG_KEYS.map((k) => ({ value: displayKey(k.key), brief: k.doc })).filter((c) =>
        c.value.startsWith(prefix)
      );
    case "shell":
      return fixed(Object.keys(SCRIPTS), "shell");
    case "command": {
      const app = await loadApp();
      let target = app.root as {
        getRoutingTargetForInput?: (w: string) => unknown;
        getAllEntries?: () => unknown[];
      };
      for (const word of helpPath) {
        const next = target.getRoutingTargetForInput?.(word);
        if (!next) return [];
        target = next as typeof target;
      }
      const entries = (target.getAllEntries?.() ?? []) as {
        name: { original: string };
        hidden: boolean;
        target: { brief: string };
      }[];
      return entries.filter((e) => !e.hidden && e.name.original.startsWith(prefix)).map((e) => ({
        value: e.name.original,
        brief: e.target.brief,
      }));
    }
    case "files":
      return [];
  }
  // the rest is read from the home, which must exist already: completion creates nothing
  const dir = resolveHome(context, { home });
  try {
    if (!Deno.statSync(homePaths(dir).home).isDirectory) return [];
  } catch {
    return [];
  }
  const store = openStore(dir, { clock: context.clock, env: context.env, warn: () => {}, createHome: false });
  try {
    switch (kind) {
      case "queue":
      case "queues": {
        // --queue a,b: the names after the last comma
        const done = kind === "queues" ? prefix.slice(0, prefix.lastIndexOf(",") + 1) : "";
        const names = (await store.queues()).map((q) => q.name);
        return names.filter((n) => (done + n).startsWith(prefix)).map((n) => ({
          value: done + n,
          brief: "queue",
        }));
      }
      case "schedule":
        return (await store.schedules()).map((s) => s.name).filter((n) => n.startsWith(prefix)).map((
          value,
        ) => ({ value, brief: "schedule" }));
      case "dead-id":
        return idsOf(await store.list({ state: "dead", order: "desc", limit: MAX_IDS * 4 }), prefix);
      case "running-id":
        return idsOf(await store.processing(), prefix);
      case "waiting-id": {
        const live = await store.list({ order: "desc", limit: MAX_IDS * 4 });
        return idsOf(live.filter((j) => !isTerminal(j.state)), prefix);
      }
      default: {
        // `@last` (the newest job) once the word starts with @: ids never do
        if (prefix.startsWith("@")) return "@last".startsWith(prefix) ? [LAST] : [];
        return (await store.idsWithPrefix(prefix, MAX_IDS)).map((value) => ({ value, brief: "" }));
      }
    }
  } finally {
    store.close();
  }
}

const LAST: Candidate = { value: "@last", brief: "the newest job" };

function idsOf(jobs: { id: string; state: string }[], prefix: string): Candidate[] {
  return jobs.filter((j) => j.id.startsWith(prefix)).slice(0, MAX_IDS).map((j) => ({
    value: j.id,
    brief: j.state,
  }));
}

/** The candidates for the last of `args` (`__complete`'s words), and whether it is a path. */
export async function completions(
  args: readonly string[],
  context: AppContext,
): Promise<{ candidates: Candidate[]; files: boolean }> {
  const partial = args.at(-1) ?? "";
  const before = args.slice(0, -1);
  if (before.at(-1) === "--home" && before.every((w, i) => i === before.length - 1 || w.startsWith("-"))) {
    return { candidates: [], files: true };
  }
  const { home: globalHome, rest } = splitGlobalHome([...before]);
  const app = await loadApp(rest);
  const proposals = await proposeCompletions(app, [...rest, partial], context);
  const structural = proposals
    .filter((p) => p.completion !== "--")
    .map((p) => ({ value: p.completion, brief: p.brief }));
  // the command the words name, and the words after its path
  const path: string[] = [];
  let target = app.root as { getRoutingTargetForInput?: (w: string) => unknown; parameters?: CommandParams };
  while (path.length < rest.length && target.getRoutingTargetForInput) {
    const next = target.getRoutingTargetForInput(rest[path.length]);
    if (!next) return { candidates: [], files: false };
    path.push(rest[path.length]);
    target = next as typeof target;
  }
  if (!target.parameters) return { candidates: structural, files: false };
  const words = rest.slice(path.length);
  const slot = slotOf(target.parameters, words, partial);
  if (slot.kind === "flag") return { candidates: structural, files: false };
  const kind = slot.param &&
    valueKind(path.join(" "), slot.param, slot.kind === "flag-value" ? slot.flag : undefined);
  if (kind === "files") return { candidates: [], files: true };
  // nothing of our own to offer: stricli's (an enum's values; the flags, when the word is empty)
  if (kind === undefined) return { candidates: structural, files: false };
  const home = homeIn(target.parameters, words) ?? globalHome;
  const prefix = slot.kind === "flag-value" ? slot.prefix : "";
  const own = await values(kind, partial.slice(prefix.length), { ...context, globalHome }, home, words);
  return { candidates: own.map((c) => ({ value: prefix + c.value, brief: c.brief })), files: false };
}

/** The value of `--home` among a command's words, if given. */
function homeIn(params: CommandParams, words: readonly string[]): string | undefined {
  if (!params.flags?.home) return undefined;
  let home: string | undefined;
  for (let i = 0; i < words.length; i++) {
    if (words[i] === "--") break;
    if (words[i] === "--home" && i + 1 < words.length) home = words[++i];
    else if (words[i].startsWith("--home=")) home = words[i].slice("--home=".length);
  }
  return home;
}

/** Answers `queuectl __complete [--describe] <words...>`. */
export async function printCompletions(args: string[], context: AppContext): Promise<void> {
  const describe = args[0] === "--describe";
  const words = describe ? args.slice(1) : args;
  let result: { candidates: Candidate[]; files: boolean } = { candidates: [], files: false };
  try {
    result = await completions(words.length ? words : [""], context);
  } catch {
    // a home that cannot be read, a word stricli cannot scan: no candidates
  }
  const lines = result.candidates.map((c) =>
    describe && c.brief ? `${c.value}\t${c.brief.replace(/[\t\n]/g, " ")}` : c.value
  );
  if (result.files) lines.push(":files");
  context.process.stdout.write(lines.map((l) => l + "\n").join(""));
}
