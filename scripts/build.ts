/**
 * `deno task build`: bundles the CLI into dist/ (or `--outdir <dir>`): dist/main.js and its chunks,
 * plain JavaScript with every dependency inside (the vendored packages, jsonc-parser from npm, the
 * worker's shell scripts and the dashboard's page as strings), which `deno task install` installs.
 *
 * Why: from the sources, Deno reads, hashes and compiles each of the ~50 TypeScript modules a
 * command runs, one at a time; the bundle holds the same code in fewer, larger files
 * (docs/performance.md). Start-up stays lazy in the bundle as in the sources: `deno
 * bundle --code-splitting` is given main.ts and modules src/lazy.ts imports by a computed name as
 * entry points, so each of those becomes <build>/<its path>.js and what they share goes into chunks
 * at the top of the build's folder; the computed imports then find them as lazy.ts says. No source
 * is rewritten to build it, and a build holds no literal import of an entry point (a literal import
 * would make Deno prepare it at start-up): check() refuses a build that breaks either rule, or that
 * still imports an npm:, jsr: or .ts module.
 *
 * Two builds. Code splitting cuts what entry points share into a chunk per set of entry points that
 * reach it, so with all 32 of them the store's modules lie in some twenty chunks, and an `enqueue`
 * read 27 files. So:
 *   dist/       main.ts with ENQUEUE_MODULES (lazy.ts): the modules `enqueue <job>` and the hand-off
 *               of an enqueue may load, in ten files (bench/results/2026-12-07-enqueue-build/);
 *   dist/all/   every module of LAZY_MODULES: every other command line (main.ts loads its run.ts).
 * Each build finds its own entry points (lazy.ts finds them beside its chunk), so a module is never
 * loaded twice by one call but for the few main.js imports (global_args.ts, stream_gone.ts,
 * handoff/targets.ts), which hold no state and no class another module tests for. main.ts is an
 * entry point of the second build only so that its paths start at the root as the first's do
 * (src/...); its dist/all/main.js is not kept: dist/main.js is the one entry.
 *
 * `deno bundle` is experimental in Deno 2.9.6 (it says so unless --quiet): what it makes is guarded by
 * check(), by tests/cli/e2e_bundle_test.ts, and by CI's run of the shared contract against the installed
 * bundle.
 *
 * The bundle is built in a temporary folder beside the target and replaces the previous one (its
 * main.js, chunks, src/ and all/; dist/queuectl of `deno task compile` stays). dist/build.json says
 * which commit it was built from, and whether the checkout had changes then.
 */
import { ENQUEUE_MODULES, LAZY_MODULES } from "../src/lazy.ts";
import { VERSION } from "../src/cli/global_args.ts";

const root = new URL("..", import.meta.url).pathname;
/** The folder of the build of every command (see the top of this file), in the bundle's folder. */
const ALL = "all";

/** The files and folders of a bundle in its folder (what a new build replaces). */
function bundleEntries(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const folder = e.name === "src" || e.name === ALL;
    if (folder || e.name === "build.json" || (e.isFile && e.name.endsWith(".js"))) out.push(e.name);
  }
  return out;
}

/** Every file under `dir`, by its path from `dir`. */
function filesUnder(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(`${dir}/${prefix}`)) {
    if (e.isDirectory) out.push(...filesUnder(dir, `${prefix}${e.name}/`));
    else out.push(`${prefix}${e.name}`);
  }
  return out.sort();
}

/**
 * The reasons the build in `dir` of the entry points `modules` (paths of the sources, main.ts among
 * them) cannot run as lazy.ts expects: an entry point missing, a chunk (lazy.ts's above all) not at
 * the top of the folder, a literal import of an entry point, an import left to resolve.
 */
export function check(dir: string, modules: readonly string[]): string[] {
  const problems: string[] = [];
  const files = filesUnder(dir).filter((f) => f.endsWith(".js"));
  const entries = new Set(modules.map((m) => m.replace(/\.ts$/, ".js")));
  for (const entry of entries) if (!files.includes(entry)) problems.push(`no entry point ${entry}`);
  for (const file of files) {
    if (!entries.has(file) && file.includes("/")) problems.push(`${file} is a chunk below the top folder`);
    const text = Deno.readTextFileSync(`${dir}/${file}`);
    // lazy.ts finds the entry points beside itself: its code must sit at the top of the folder
    if (text.includes(`endsWith("/src/lazy.ts")`) && file.includes("/")) {
      problems.push(`${file} holds src/lazy.ts, which must be in a chunk at the top of the folder`);
    }
    for (const m of text.matchAll(/\bimport\s*\(\s*["']([^"']+)["']|\bfrom\s*["']([^"']+)["']/g)) {
      const spec = m[1] ?? m[2];
      if (/^(npm|jsr|node|https?):|\.ts$/.test(spec) && !spec.startsWith("node:")) {
        problems.push(`${file} imports ${spec}`);
      }
      const target = new URL(spec, `file:///${file}`).pathname.slice(1);
      if (m[1] !== undefined && entries.has(target)) {
        problems.push(`${file} imports the entry point ${target} by a literal name`);
      }
    }
  }
  return problems;
}

/** The commit of the checkout and whether it has changes, or null outside git. */
async function commitOf(): Promise<{ commit: string; dirty: boolean } | null> {
  const git = (args: string[]) =>
    new Deno.Command("git", { args, cwd: root, stdout: "piped", stderr: "null" }).output();
  try {
    const head = await git(["rev-parse", "HEAD"]);
    if (!head.success) return null;
    const status = await git([
      "status",
      "--porcelain",
      "--",
      "main.ts",
      "src",
      "vendor",
      "deno.json",
      "deno.lock",
    ]);
    return {
      commit: new TextDecoder().decode(head.stdout).trim(),
      dirty: new TextDecoder().decode(status.stdout).trim() !== "",
    };
  } catch {
    return null;
  }
}

/** One `deno bundle --code-splitting` of `modules` (paths from the root) into `outdir`, checked. */
async function bundle(outdir: string, modules: readonly string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--code-splitting",
      "--platform",
      "deno",
      "--format",
      "esm",
      "--config",
      `${root}deno.json`,
      "--lock",
      `${root}deno.lock`,
      "--frozen",
      "--outdir",
      outdir,
      ...modules.map((m) => `${root}${m}`),
    ],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `Cannot build the bundle: deno bundle failed:\n${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  const problems = check(outdir, modules);
  if (problems.length) {
    throw new Error(`Cannot build the bundle: it would not run:\n${problems.join("\n")}`);
  }
}

/** Bundles the CLI into `outdir` (see the top of this file); throws with deno bundle's words. */
export async function build(outdir: string): Promise<void> {
  Deno.mkdirSync(outdir, { recursive: true });
  const tmp = Deno.makeTempDirSync({ dir: outdir, prefix: ".build-" });
  try {
    const top = `${tmp}/top`;
    await bundle(top, ["main.ts", ...ENQUEUE_MODULES]);
    await bundle(`${top}/${ALL}`, ["main.ts", ...LAZY_MODULES]);
    Deno.removeSync(`${top}/${ALL}/main.js`);
    const stamp = { version: VERSION, ...(await commitOf()), built: new Date().toISOString() };
    Deno.writeTextFileSync(`${top}/build.json`, JSON.stringify(stamp, null, 2) + "\n");
    for (const name of bundleEntries(outdir)) Deno.removeSync(`${outdir}/${name}`, { recursive: true });
    for (const name of bundleEntries(top)) Deno.renameSync(`${top}/${name}`, `${outdir}/${name}`);
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--outdir");
  const outdir = at >= 0 ? Deno.args[at + 1] : `${root}dist`;
  if (outdir === undefined) {
    console.error("error: --outdir needs a folder");
    Deno.exit(2);
  }
  try {
    await build(outdir);
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
  console.log(`built ${outdir}/main.js`);
}
