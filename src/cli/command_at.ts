/**
 * The command a command line names in the command tree, with its flags, read before stricli runs
 * (run.ts's checks of --argv lines, empty_flag.ts); and the commands that take --argv.
 */

export interface FlagSpec {
  kind: string;
  placeholder?: string;
}

export interface CommandAt {
  /** the words that name the command ("schedule", "add") */
  path: string[];
  flags: Record<string, FlagSpec>;
  aliases: Record<string, string>;
}

interface RouteNode {
  getRoutingTargetForInput?: (word: string) => unknown;
  parameters?: { flags?: Record<string, FlagSpec>; aliases?: Record<string, string> };
}

/** The command `args` names under `root`; null when its words name none (a route map, or nothing). */
export function commandAt(root: unknown, args: readonly string[]): CommandAt | null {
  const path: string[] = [];
  let target = root as RouteNode;
  while (path.length < args.length && target.getRoutingTargetForInput) {
    const next = target.getRoutingTargetForInput(args[path.length]);
    if (!next) return null;
    path.push(args[path.length]);
    target = next as RouteNode;
  }
  if (target.getRoutingTargetForInput || !target.parameters) return null;
  return { path, flags: target.parameters.flags ?? {}, aliases: target.parameters.aliases ?? {} };
}

/**
 * The commands that take --argv: what "Cannot ..." says for them, and how many positional
 * arguments come before the program.
 */
const ARGV_COMMANDS: Record<string, { action: string; before: number }> = {
  enqueue: { action: "enqueue", before: 0 },
  "schedule add": { action: "add the schedule", before: 2 },
};

/** What ARGV_COMMANDS says of the command `path` names, or undefined when it takes no --argv. */
export function argvCommand(path: readonly string[]): { action: string; before: number } | undefined {
  const name = path.join(" ");
  return Object.hasOwn(ARGV_COMMANDS, name) ? ARGV_COMMANDS[name] : undefined;
}
