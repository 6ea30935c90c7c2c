/**
 * `deno task docs`: writes docs/cli.md, the CLI reference, from the command tree that
 * `loadApp()` builds (src/cli/app.ts): every command with its brief, usage line and description,
 * every flag and argument with its help text. tests/docs_test.ts fails when docs/cli.md differs
 * from what this would write, so a command or flag cannot change without its reference.
 */
import type { Command, CommandContext, RouteMap } from "@stricli/core";
import { loadApp, VERSION } from "../src/cli/app.ts";

const ROOT = new URL("..", import.meta.url).pathname;
export const CLI_REFERENCE_PATH = `${ROOT}docs/cli.md`;

type Target = Command<CommandContext> | RouteMap<CommandContext>;

/** One command of the tree: its path after `queuectl` ("worker start") and the command. */
export interface CommandEntry {
  path: string;
  command: Command<CommandContext>;
}

interface FlagSpec {
  kind: string;
  brief: string;
  placeholder?: string;
  optional?: boolean;
  withNegated?: boolean;
  values?: readonly string[];
  variadic?: boolean | string;
  hidden?: boolean;
}

interface PositionalSpec {
  brief: string;
  placeholder?: string;
  optional?: boolean;
}

type Positional =
  | { kind: "tuple"; parameters: readonly PositionalSpec[] }
  | { kind: "array"; parameter: PositionalSpec; minimum?: number; maximum?: number };

interface Parameters {
  flags?: Record<string, FlagSpec>;
  aliases?: Record<string, string>;
  positional?: Positional;
}

function isRouteMap(target: Target): target is RouteMap<CommandContext> {
  return "getAllEntries" in target;
}

/** Every command of the tree, depth first, in the order `--help` lists them. */
export async function commandEntries(): Promise<CommandEntry[]> {
  const app = await loadApp();
  const out: CommandEntry[] = [];
  const walk = (target: Target, path: string[]) => {
    if (!isRouteMap(target)) {
      out.push({ path: path.join(" "), command: target });
      return;
    }
    for (const entry of target.getAllEntries()) {
      if (!entry.hidden) walk(entry.target as Target, [...path, entry.name.original]);
    }
  };
  walk(app.root as Target, []);
  return out;
}

/** The flags a command takes, as typed on the command line (`--max-retries`, `-c`). */
export function flagNames(command: Command<CommandContext>): string[] {
  const params = command.parameters as Parameters;
  const names: string[] = [];
  for (const [name, flag] of Object.entries(params.flags ?? {})) {
    names.push(`--${name}`);
    if (flag.kind === "boolean" && flag.withNegated !== false) names.push(`--no${upperFirst(name)}`);
  }
  for (const alias of Object.keys(params.aliases ?? {})) names.push(`-${alias}`);
  return names;
}

function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Text for a table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").replaceAll("|", "\\|");
}

function need(text: string | undefined, what: string): string {
  if (text === undefined || text.trim() === "") {
    throw new Error(`Cannot write the CLI reference: ${what} has no help text`);
  }
  return text.trim();
}

function flagTable(path: string, params: Parameters): string[] {
  const flags = Object.entries(params.flags ?? {}).filter(([, f]) => !f.hidden);
  if (flags.length === 0) return [];
  const aliasOf = new Map(Object.entries(params.aliases ?? {}).map(([alias, name]) => [name, alias]));
  const rows = flags.map(([name, flag]) => {
    const brief = need(flag.brief, `the flag --${name} of \`queuectl ${path}\``);
    const spelled = [`\`--${name}\``];
    if (flag.kind === "boolean" && flag.withNegated !== false) spelled.push(`\`--no${upperFirst(name)}\``);
    const alias = aliasOf.get(name);
    let value: string;
    switch (flag.kind) {
      case "boolean":
        value = "";
        break;
      case "counter":
        value = "(repeatable)";
        break;
      case "parsed":
        value = `\`${flag.placeholder ?? name}\``;
        break;
      case "enum":
        value = (flag.values ?? []).map((v) => `\`${v}\``).join(", ");
        break;
      default:
        throw new Error(
          `Cannot write the CLI reference: the flag --${name} has an unknown kind ${flag.kind}`,
        );
    }
    if (flag.variadic) value += " (repeatable)";
    const optional = flag.optional ? "" : " Required.";
    return `| ${spelled.join(", ")} | ${alias ? `\`-${alias}\`` : ""} | ${value} | ${
      cell(brief)
    }${optional} |`;
  });
  return ["| flag | alias | value | meaning |", "| --- | --- | --- | --- |", ...rows, ""];
}

function argumentTable(path: string, params: Parameters): string[] {
  const positional = params.positional;
  if (!positional) return [];
  const rows: string[] = [];
  if (positional.kind === "tuple") {
    for (const [i, p] of positional.parameters.entries()) {
      const brief = need(p.brief, `argument ${i + 1} of \`queuectl ${path}\``);
      rows.push(
        `| \`${p.placeholder ?? `arg${i + 1}`}\` | ${p.optional ? "optional" : "required"} | ${
          cell(brief)
        } |`,
      );
    }
  } else {
    const p = positional.parameter;
    const brief = need(p.brief, `the arguments of \`queuectl ${path}\``);
    const count = positional.minimum ? `at least ${positional.minimum}` : "any number";
    rows.push(`| \`${p.placeholder ?? "args"}...\` | ${count} | ${cell(brief)} |`);
  }
  return ["| argument | how many | meaning |", "| --- | --- | --- |", ...rows, ""];
}

/** GitHub's anchor for a heading. */
function anchor(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").trim().replace(/\s/g, "-");
}

/** The reference as markdown, before `deno fmt`. */
export async function cliReferenceSource(): Promise<string> {
  const app = await loadApp();
  const entries = await commandEntries();
  const config = app.config.documentation;
  const lines: string[] = [
    "# CLI reference",
    "",
    "<!-- Generated by scripts/cli_reference.ts from the command tree (src/cli/app.ts): do not edit by hand. " +
    "Run `deno task docs` after changing a command; tests/docs_test.ts fails while this file is stale. -->",
    "",
    `Every command and flag of \`queuectl\` ${VERSION}, with the help text \`queuectl <command> --help\` prints. ` +
    "For everyday use see [the guide](guide.md); for the settings, [configuration](configuration.md).",
    "",
    "## Global options",
    "",
    "- `--home DIR` (or `--home=DIR`) before the command name sets the home directory for any command, as its " +
    "own `--home` does; the command's flag wins, then this one, then `$QUEUECTL_HOME`, then `~/.queuectl`.",
    "- `-h`, `--help` after any command (or none) prints its help; `-v`, `--version` prints the version.",
    "- `--` ends the flags: every word after it is an argument (`queuectl enqueue --argv -- ls -l`).",
    "- A flag's value is the next word or follows `=` (`--queue q`, `--queue=q`; a switch takes `--json=true` or " +
    "`--json=false`). `--queue=` with nothing after the `=` is refused (`Invalid --queue: it needs a value " +
    "after \"=\"`, exit 2); an empty next word (`--queue ''`) is a value, checked as any other.",
    "- Exit codes: 0 success; 1 an operational error (no such job, a duplicate id, a wrong state, a damaged store, " +
    "a file-system error); 2 invalid input or usage (nothing is written then). A failing command prints one " +
    "line on stderr starting with `error:`.",
    "",
    "## Commands",
    "",
    "| command | what it does |",
    "| --- | --- |",
    ...entries.map(({ path, command }) => {
      const heading = `\`queuectl ${path}\``;
      return `| [${heading}](#${anchor(heading)}) | ${cell(need(command.brief, `\`queuectl ${path}\``))} |`;
    }),
    "",
  ];
  for (const { path, command } of entries) {
    const params = command.parameters as Parameters;
    const usage = command.formatUsageLine({
      prefix: ["queuectl", ...path.split(" ")],
      config,
      ansiColor: false,
    });
    lines.push(`## \`queuectl ${path}\``, "", `${cell(need(command.brief, `\`queuectl ${path}\``))}.`, "");
    // a command with several usage lines gives them indented as in a group's help
    lines.push("```", ...usage.split("\n").map((line) => line.trim()), "```", "");
    const full = command.fullDescription?.trim();
    if (full) lines.push("```text", full, "```", "");
    lines.push(...flagTable(path, params), ...argumentTable(path, params));
  }
  return lines.join("\n");
}

/** The reference exactly as docs/cli.md must hold it (formatted by `deno fmt`, as the repository is). */
export async function cliReference(): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext", "md", "-"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(await cliReferenceSource()));
  await writer.close();
  const out = await child.output();
  if (!out.success) throw new Error(`deno fmt failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

if (import.meta.main) {
  const text = await cliReference();
  await Deno.writeTextFile(CLI_REFERENCE_PATH, text);
  console.log(`wrote ${CLI_REFERENCE_PATH.slice(ROOT.length)} (${text.split("\n").length - 1} lines)`);
}
