/**
 * Imports a module by a computed name, so that start-up does not prepare it. Deno prepares
 * (reads, hashes, compiles) every module a literal import reaches when the program starts, static
 * or dynamic, whether the import ever runs or not; a computed name only when the import runs.
 *
 * A name is the module's path from the repository root, one of LAZY_MODULES, not a path relative
 * to the caller: the same name must find the module from the sources and from the bundle
 * (scripts/build.ts), where a caller's code may sit in any chunk of dist/ and its
 * `import.meta.url` says nothing of where its source was. The bundle makes every LAZY_MODULES
 * entry an entry point of its own, at the same path under dist/ with `.js` for `.ts`, and every
 * chunk lies at the top of dist/; so this module, in a chunk, finds dist/ beside itself, and from
 * the sources the repository one folder up. `deno compile` cannot see these imports:
 * scripts/compile.ts names every module of src/.
 */

/**
 * Every module imported by lazy() (and main.ts's own copy of it): the bundle's entry points
 * besides main.ts. lazy_test.ts checks that each exists.
 */
export const LAZY_MODULES = [
  "src/cli/run.ts",
  "src/handoff/client.ts",
  "src/handoff/server.ts",
  "src/cli/app.ts",
  "src/cli/enqueue.ts",
  "src/cli/enqueue_cmd.ts",
  "src/cli/job_wait.ts",
  "src/cli/render.ts",
  "src/cli/worker_cmd.ts",
  "src/cli/read.ts",
  "src/cli/logs.ts",
  "src/cli/rerun.ts",
  "src/cli/manage.ts",
  "src/cli/queue_cmd.ts",
  "src/cli/control.ts",
  "src/cli/config_cmd.ts",
  "src/cli/schedule_cmd.ts",
  "src/cli/prune_cmd.ts",
  "src/cli/dashboard_cmd.ts",
  "src/cli/completion.ts",
  "src/cli/help_cmd.ts",
  "src/store/decide/claim.ts",
  "src/store/decide/finish.ts",
  "src/store/decide/manage.ts",
  "src/store/decide/schedule.ts",
  "src/store/decide/prune.ts",
  "src/store/decide/rerun.ts",
  "src/store/archive.ts",
  "src/store/pending.ts",
  "src/store/compaction.ts",
  "src/store/outputs.ts",
  "src/jsonc_edit.ts",
] as const;

/**
 * The modules of LAZY_MODULES that `enqueue <job>` (a job and no flag: global_args.ts plainEnqueue)
 * and the hand-off of an enqueue to a worker may load: the line's run and body, the hand-off
 * client, and what any write of the store may need (the readers of archive and pending segments,
 * compaction). The bundle builds them with main.ts apart from the rest (scripts/build.ts), so that
 * the commonest call reads a few files. That build holds nothing else: what a plain enqueue cannot
 * reach (the command tree, --wait, --json, completion, config set) is not in it, and a lazy import
 * added on its path must be added here (tests/cli/e2e_bundle_test.ts runs such calls).
 */
export const ENQUEUE_MODULES = [
  "src/cli/run.ts",
  "src/cli/enqueue.ts",
  "src/handoff/client.ts",
  "src/store/archive.ts",
  "src/store/pending.ts",
  "src/store/compaction.ts",
  "src/store/decide/prune.ts",
  "src/store/outputs.ts",
] as const satisfies readonly LazyModule[];

/** A module lazy() can import: its path from the repository root. */
export type LazyModule = typeof LAZY_MODULES[number];

/** Whether this module runs from the bundle: from the sources it is src/lazy.ts. */
const BUNDLED = !import.meta.url.endsWith("/src/lazy.ts");
/** The repository root, or the bundle's folder (dist/). */
const ROOT = new URL(BUNDLED ? "./" : "../", import.meta.url);

/** The URL of module `name`: the source file, or its entry point in the bundle. */
export function lazyUrl(name: LazyModule): string {
  return new URL(BUNDLED ? name.replace(/\.ts$/, ".js") : name, ROOT).href;
}

/** Imports module `name` (see the top of this file). */
export function lazy<T>(name: LazyModule): Promise<T> {
  return import(lazyUrl(name));
}
