/**
 * Comments against the code: a comment that names a file by its path from the repository root
 * (`src/worker/runner.ts`) or a function by a call with no arguments (`settle()`) names one that
 * exists. A path must be a file or folder of the tree; a called name must appear in code (not in a
 * comment) somewhere in the tree. Markdown is docs_test.ts's.
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const DIRS = ["src", "testkit", "tests", "torture", "bench", "scripts"];
const CODE = /\.(ts|js|sh)$/;

function codeFiles(): string[] {
  const out = ["main.ts"];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(`${ROOT}/${dir}`)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory && path !== "tests/fixtures/homes") walk(path);
      else if (entry.isFile && CODE.test(entry.name)) out.push(path);
    }
  };
  DIRS.forEach(walk);
  return out.sort();
}

/** A file's lines split into comment text and code text (line and block comments; `#` in shell). */
function split(path: string, text: string): { comments: Array<[number, string]>; code: string[] } {
  const comments: Array<[number, string]> = [];
  const code: string[] = [];
  const shell = path.endsWith(".sh");
  let inBlock = false;
  text.split("\n").forEach((line, i) => {
    const trimmed = line.trim();
    if (!shell && (inBlock || trimmed.startsWith("/*"))) {
      comments.push([i + 1, line]);
      inBlock = !trimmed.includes("*/") && (inBlock || trimmed.startsWith("/*"));
      return;
    }
    const slash = shell ? line.search(/(^|\s)#/) : line.search(/(^|[\s;,)])\/\/ /);
    if (slash >= 0) {
      comments.push([i + 1, line.slice(slash)]);
      code.push(line.slice(0, slash));
    } else code.push(line);
  });
  return { comments, code };
}

const ROOTED_PATH =
  /(?<![\w./-])((?:src|testkit|tests|torture|bench|scripts|docs)\/[\w./-]*[\w-])(?![\w*<])/g;
/** system calls a comment may name as the manual does */
const SYSTEM_CALLS = new Set([
  "wait4",
  "fork",
  "exec",
  "setsid",
  "fsync",
  "fdatasync",
  "flock",
  "kill",
  "rename",
]);
const CALL = /(?<![\w$.#])((?:[A-Za-z_$][\w$]*\.)*#?([A-Za-z_$][\w$]*))\(\)/g;

/**
 * Stale references known and left to the branch that owns the file (the dashboard's page is being
 * reworked on its own branch). Each must still be stale: once fixed, its entry goes.
 */
const KNOWN = new Set<string>([]);

function exists(path: string): boolean {
  try {
    Deno.statSync(`${ROOT}/${path}`);
    return true;
  } catch {
    return false;
  }
}

Deno.test("comments name only files and functions that exist", () => {
  const files = codeFiles().map((path) => ({
    path,
    ...split(path, Deno.readTextFileSync(`${ROOT}/${path}`)),
  }));
  const words = new Set<string>();
  for (const f of files) {
    for (const line of f.code) for (const w of line.match(/[A-Za-z_$][\w$]*/g) ?? []) words.add(w);
  }
  const stale: string[] = [];
  for (const f of files) {
    for (const [n, text] of f.comments) {
      for (const m of text.matchAll(ROOTED_PATH)) {
        if (!exists(m[1])) stale.push(`${f.path}:${n}: no file ${m[1]}`);
      }
      for (const m of text.matchAll(CALL)) {
        if (!words.has(m[2]) && !SYSTEM_CALLS.has(m[2])) stale.push(`${f.path}:${n}: no function ${m[1]}()`);
      }
    }
  }
  const unknown = stale.filter((s) => !KNOWN.has(s));
  assert.deepEqual(unknown, [], `comments naming what does not exist:\n${unknown.join("\n")}`);
  const fixed = [...KNOWN].filter((s) => !stale.includes(s));
  assert.deepEqual(fixed, [], "known stale references that are fixed now: drop them from KNOWN");
});
