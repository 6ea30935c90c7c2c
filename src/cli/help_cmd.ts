/**
 * `queuectl help [command...]`: the help of a command, exactly as `queuectl command --help` prints
 * it (stricli writes both), after checking that the words name a command.
 */
import { run } from "@stricli/core";
import { UsageError } from "../errors.ts";
import { lazy } from "../lazy.ts";
import type { loadApp as LoadApp } from "./app.ts";
import type { AppContext } from "./context.ts";
import { command } from "./command.ts";

/** The words of `path` that lead to a command or a group, or the first that does not. */
export function routePath(root: unknown, words: readonly string[]): { path: string[]; unknown?: string } {
  const path: string[] = [];
  let target = root as { getRoutingTargetForInput?: (word: string) => unknown };
  for (const word of words) {
    const next = target.getRoutingTargetForInput?.(word);
    if (!next) return { path, unknown: word };
    path.push(word);
    target = next as typeof target;
  }
  return { path };
}

/** The names of the commands under `path`, for a suggestion. */
function namesUnder(root: unknown, path: readonly string[]): string[] {
  let target = root as { getRoutingTargetForInput?: (w: string) => unknown; getAllEntries?: () => unknown[] };
  for (const word of path) target = target.getRoutingTargetForInput!(word) as typeof target;
  const entries = (target.getAllEntries?.() ?? []) as { name: { original: string }; hidden: boolean }[];
  return entries.filter((e) => !e.hidden).map((e) => e.name.original);
}

/** The closest name to `word` (a typo of one or two letters, or a prefix), if any. */
export function closest(word: string, names: readonly string[]): string | undefined {
  const prefixed = names.filter((n) => n.startsWith(word));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of names) {
    const d = distance(word, name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}

function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}

async function help(this: AppContext, _flags: Record<never, never>, ...words: string[]): Promise<void> {
  // app.ts imports this module by a computed name (lazy.ts); importing it back here the same
  // way keeps the start-up of every other command free of it
  const { loadApp } = await lazy<{ loadApp: typeof LoadApp }>("src/cli/app.ts");
  const app = await loadApp(words);
  const { path, unknown } = routePath(app.root, words);
  if (unknown !== undefined) {
    const full = await loadApp();
    const near = closest(unknown, namesUnder(full.root, path));
    const where = path.length ? `\`queuectl ${path.join(" ")}\`` : "queuectl";
    throw new UsageError(
      `Cannot show help for "${words.join(" ").slice(0, 80)}": ${where} has no command "${
        unknown.slice(0, 40)
      }"${
        near
          ? `; did you mean "${near}"?`
          : `; see \`queuectl ${path.length ? path.join(" ") + " " : ""}--help\``
      }`,
    );
  }
  await run(
    app,
    [...path, "--help"],
    this as AppContext & { process: { exitCode?: number | string | null } },
  );
}

export const helpCommand = command({
  func: help,
  parameters: {
    positional: {
      kind: "array",
      parameter: { brief: "A command, and a subcommand of it", parse: String, placeholder: "command" },
    },
  },
  docs: {
    brief: "Show the help of a command, as its --help flag does",
    usage: ["[<command>...]"],
    fullDescription: "Examples:\n  queuectl help\n  queuectl help enqueue\n  queuectl help worker start",
  },
});
