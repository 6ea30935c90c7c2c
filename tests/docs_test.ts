/**
 * The documentation against the code: every relative link of the README and docs/ resolves
 * (file and heading), docs/cli.md is what `deno task docs` would write, every command, flag,
 * setting and QUEUECTL_* variable is documented, and everything documented exists.
 */
import assert from "node:assert/strict";
import { CONFIG_KEYS, type ConfigKey, configKey, displayKey } from "../src/config.ts";
import { CLI_REFERENCE_PATH, cliReference, commandEntries, flagNames } from "../scripts/cli_reference.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** The markdown files whose links are checked. */
function markdownFiles(): string[] {
  const files = ["README.md", "CONTRIBUTING.md", "CHANGELOG.md"];
  for (const dir of ["docs", "torture/results"]) {
    for (const entry of Deno.readDirSync(`${ROOT}/${dir}`)) {
      if (entry.isFile && entry.name.endsWith(".md")) files.push(`${dir}/${entry.name}`);
    }
  }
  return files.sort();
}

interface Block {
  lang: string;
  lines: string[];
}

/** A markdown file split into prose lines (code spans kept) and fenced code blocks. */
function parse(text: string): { prose: string[]; blocks: Block[] } {
  const prose: string[] = [];
  const blocks: Block[] = [];
  let block: Block | null = null;
  for (const line of text.split("\n")) {
    const fence = /^\s*```(\S*)/.exec(line);
    if (fence) {
      if (block) {
        blocks.push(block);
        block = null;
      } else block = { lang: fence[1], lines: [] };
    } else if (block) block.lines.push(line);
    else prose.push(line);
  }
  return { prose, blocks };
}

/** GitHub's anchors for the headings of a markdown file (code blocks ignored). */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of parse(text).prose) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1].toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Link targets in prose, outside code spans: [text](target) and ![alt](target). */
function links(text: string): string[] {
  const out: string[] = [];
  for (const line of parse(text).prose) {
    const bare = line.replace(/`[^`]*`/g, "``");
    for (const m of bare.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push(m[1]);
  }
  return out;
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** Joins a relative link onto the directory of the file that holds it, inside the repository. */
function resolve(from: string, target: string): string {
  const parts = dirname(from).split("/").filter((p) => p !== "");
  for (const part of target.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/");
}

function read(path: string): string {
  return Deno.readTextFileSync(`${ROOT}/${path}`);
}

Deno.test("every relative link in the README and docs/ names a file that exists, and a heading it holds", () => {
  const problems: string[] = [];
  for (const file of markdownFiles()) {
    for (const target of links(read(file))) {
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
      const [path, fragment] = target.split("#", 2);
      const resolved = path === "" ? file : resolve(file, decodeURI(path));
      let isFile = false;
      try {
        isFile = Deno.statSync(`${ROOT}/${resolved}`).isFile;
        if (!isFile && fragment !== undefined) problems.push(`${file}: ${target}: a fragment on a directory`);
      } catch {
        problems.push(`${file}: ${target}: no such file (${resolved})`);
        continue;
      }
      if (fragment === undefined) continue;
      if (!resolved.endsWith(".md")) {
        problems.push(`${file}: ${target}: a fragment on a file that is not markdown`);
      } else if (!anchors(read(resolved)).has(fragment)) {
        problems.push(`${file}: ${target}: ${resolved} has no heading with the anchor #${fragment}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("docs/cli.md is exactly what `deno task docs` writes from the command tree", async () => {
  const expected = await cliReference();
  const actual = await Deno.readTextFile(CLI_REFERENCE_PATH);
  assert.ok(
    actual === expected,
    "docs/cli.md is stale: a command, flag or help text changed; run `deno task docs` and commit docs/cli.md",
  );
});

/** The sections of docs/cli.md, by the command path of their heading (`## \`queuectl worker start\``). */
function cliSections(): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | null = null;
  for (const line of parse(read("docs/cli.md")).prose) {
    const m = /^## `queuectl ([^`]+)`$/.exec(line);
    if (m) {
      current = m[1];
      out.set(current, "");
    } else if (/^## /.test(line)) current = null;
    else if (current !== null) out.set(current, out.get(current) + line + "\n");
  }
  return out;
}

Deno.test("every command of the tree and every one of its flags is in docs/cli.md and in the README's list, and nothing else is", async () => {
  const entries = await commandEntries();
  const sections = cliSections();
  const paths = entries.map((e) => e.path);
  assert.deepEqual(
    [...sections.keys()],
    paths,
    "docs/cli.md documents exactly the commands of the tree, in order",
  );
  for (const { path, command } of entries) {
    for (const flag of flagNames(command)) {
      assert.ok(
        sections.get(path)!.includes(`\`${flag}\``),
        `docs/cli.md does not document ${flag} of ${path}`,
      );
    }
  }
  const readmeList = new Set(
    parse(read("README.md")).prose.flatMap((line) => {
      const m = /^\| `queuectl ([a-z ]+)`\s*\|/.exec(line);
      return m ? [m[1]] : [];
    }),
  );
  assert.deepEqual(
    [...readmeList].sort(),
    [...paths].sort(),
    "the README's command table lists every command once",
  );
});

/** Splits a command line into words, honouring single and double quotes; stops at a shell operator or comment. */
function words(line: string): string[] {
  const out: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= "";
    } else if (/\s/.test(c)) {
      if (word !== null) out.push(word);
      word = null;
    } else if (c === "|" || c === ";" || c === "&" || c === ">") {
      break;
    } else if (word === null && (c === "#" || c === "<")) {
      if (c === "<" && /^<[a-z]/.test(line.slice(i))) word = c; // a placeholder such as <id>
      else break;
    } else word = (word ?? "") + c;
  }
  if (word !== null) out.push(word);
  return out;
}

/** `queuectl …` command lines shown in the README and docs/: prompts, shell blocks and code spans. */
function commandLines(): { file: string; line: string }[] {
  const out: { file: string; line: string }[] = [];
  for (const file of markdownFiles()) {
    const { prose, blocks } = parse(read(file));
    for (const block of blocks) {
      for (const raw of block.lines) {
        const line = raw.trim();
        // a documented refusal shows a command that must fail: `$ queuectl frobnicate   # exit 2`
        if (/#\s*exit [12]\b/.test(line)) continue;
        const prompt = /^\$ (?:[A-Z_]+=\S+ )*(queuectl .*)$/.exec(line);
        if (prompt) out.push({ file, line: prompt[1] });
        else if (/^(sh|shell|bash)$/.test(block.lang) && line.startsWith("queuectl ")) {
          out.push({ file, line });
        }
      }
    }
    for (const line of prose) {
      for (const m of line.matchAll(/`(queuectl [^`]+)`/g)) out.push({ file, line: m[1] });
    }
  }
  return out;
}

Deno.test("every queuectl command line shown in the README and docs/ names a real command and only its flags", async () => {
  const entries = await commandEntries();
  const byPath = new Map(entries.map((e) => [e.path, e.command]));
  const groups = new Set(entries.filter((e) => e.path.includes(" ")).map((e) => e.path.split(" ")[0]));
  const problems: string[] = [];
  const lines = commandLines();
  assert.ok(lines.length > 50, `only ${lines.length} command lines found: the scan is broken`);
  for (const { file, line } of lines) {
    let args = words(line).slice(1);
    // the global --home given before the command name
    while (args[0] === "--home" || args[0]?.startsWith("--home=")) {
      args = args.slice(args[0] === "--home" ? 2 : 1);
    }
    const first = args[0];
    if (first === undefined || /^(-h|--help|-v|--version)$/.test(first) || first.startsWith("<")) continue;
    let path = first;
    let rest = args.slice(1);
    if (groups.has(first)) {
      const sub = rest[0];
      if (sub === undefined || sub.startsWith("-") || sub.startsWith("<")) continue; // `queuectl worker --help`
      path = `${first} ${sub}`;
      rest = rest.slice(1);
    }
    const command = byPath.get(path);
    if (!command) {
      problems.push(`${file}: \`${line}\`: no command "queuectl ${path}"`);
      continue;
    }
    const known = new Set([...flagNames(command), "-h", "--help"]);
    const end = rest.indexOf("--");
    for (const word of end < 0 ? rest : rest.slice(0, end)) {
      if (!word.startsWith("-") || word === "-") continue;
      const flag = word.replace(/=.*$/, "");
      if (!known.has(flag)) problems.push(`${file}: \`${line}\`: "queuectl ${path}" has no flag ${flag}`);
    }
  }
  assert.deepEqual(problems, []);
});

/** The rows of a markdown table that follows a heading: first cell and the rest, by key. */
function tableUnder(text: string, heading: string): Map<string, string[]> {
  const lines = parse(text).prose;
  const start = lines.indexOf(heading);
  assert.ok(start >= 0, `no heading "${heading}"`);
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(start + 1)) {
    if (/^#/.test(line)) break;
    const m = /^\|\s*`([^`]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (m) rows.set(m[1], m[2].split("|").map((c) => c.trim()));
  }
  return rows;
}

Deno.test("docs/configuration.md documents every config key with its default and range, and no key that does not exist", () => {
  const rows = tableUnder(read("docs/configuration.md"), "## Settings");
  const documented = new Map<ConfigKey, string[]>();
  for (const [name, cells] of rows) {
    let key: ConfigKey;
    try {
      key = configKey(name);
    } catch {
      assert.fail(`docs/configuration.md documents "${name}", which is not a config key`);
    }
    documented.set(key, cells);
  }
  for (const spec of CONFIG_KEYS) {
    const cells = documented.get(spec.key);
    assert.ok(cells, `docs/configuration.md does not document ${displayKey(spec.key)}`);
    const [defaultCell, range] = cells;
    assert.equal(defaultCell, String(spec.default), `the default of ${displayKey(spec.key)}`);
    const numbers = (range.match(/\d+(\.\d+)?/g) ?? []).map(Number);
    for (const bound of [spec.min, spec.max]) {
      assert.ok(numbers.includes(bound), `the range of ${displayKey(spec.key)} names ${bound}: "${range}"`);
    }
    assert.equal(/whole number/.test(range), spec.integer, `whether ${displayKey(spec.key)} must be whole`);
  }
});

/** Every QUEUECTL_* name in the given tree's code: TypeScript, JavaScript and shell (tests excluded). */
function variablesIn(dir: string): Set<string> {
  const out = new Set<string>();
  const walk = (path: string) => {
    for (const entry of Deno.readDirSync(path)) {
      const full = `${path}/${entry.name}`;
      if (entry.isDirectory) walk(full);
      else if (/\.(ts|js|sh)$/.test(entry.name) && !/_test\.[tj]s$/.test(entry.name)) {
        for (const m of Deno.readTextFileSync(full).matchAll(/QUEUECTL_[A-Z_]*[A-Z]/g)) out.add(m[0]);
      }
    }
  };
  walk(dir);
  return out;
}

Deno.test("docs/configuration.md documents every QUEUECTL_* variable the code reads or sets, and no other", () => {
  const inCode = new Set([...variablesIn(`${ROOT}/src`), ...variablesIn(`${ROOT}/scripts`)]);
  const documented = new Set(tableUnder(read("docs/configuration.md"), "## Environment variables").keys());
  const undocumented = [...inCode].filter((v) => !documented.has(v));
  const unknown = [...documented].filter((v) => v.startsWith("QUEUECTL_") && !inCode.has(v));
  assert.deepEqual(undocumented, [], "variables the code uses but docs/configuration.md does not document");
  assert.deepEqual(unknown, [], "variables docs/configuration.md documents but no code uses");
});
