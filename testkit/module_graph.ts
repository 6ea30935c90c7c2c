/**
 * The modules a module loads when it runs, from `deno info --json`: those its imports of code reach,
 * not those reached by imports of types alone (which Deno reads to type-check but never runs). For
 * tests that keep code out of a command's start-up (the cron parser, the command tree).
 */
import assert from "node:assert/strict";
import { DENO, ROOT } from "./cli.ts";

/** The specifiers (file: URLs) `module`, a path from the repository root, loads when it runs. */
export async function loadedModules(module: string): Promise<string[]> {
  const out = await new Deno.Command(DENO, {
    args: ["info", "--json", "--no-lock", module],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: Array<{ specifier: string; dependencies?: Array<{ code?: { specifier?: string } }> }>;
  };
  const bySpecifier = new Map(graph.modules.map((m) => [m.specifier, m]));
  const reached = new Set<string>();
  const stack = [...graph.roots];
  while (stack.length > 0) {
    const specifier = stack.pop()!;
    if (reached.has(specifier)) continue;
    reached.add(specifier);
    for (const d of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (d.code?.specifier) stack.push(d.code.specifier);
    }
  }
  assert.ok([...reached].some((s) => s.endsWith(`/${module}`)), `the graph of ${module} was read`);
  return [...reached];
}
