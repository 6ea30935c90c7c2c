/**
 * The flags `deno run` gives the CLI: deno.json's `queuectl` task and scripts/install.ts (checked
 * by run_flags_test.ts), the compiled binary (scripts/compile.ts), a detached worker started
 * without /proc, and the tests, the bench and the demo, which run the CLI as it is installed.
 *
 * Permissions: `--allow-sys=uid` checks who owns the home (home_trust.ts); `--allow-net` is for
 * the dashboard and a worker's socket (src/handoff).
 *
 * `--max-semi-space-size=8` caps V8's young generation at 8 MB a semi-space. A worker allocates
 * steadily (each job's records, its lines, its state), and V8 let the young generation of one
 * grow to 54 MB, holding a long drain at 150-165 MB resident; capped, at 100-115 MB, draining as
 * fast (bench/results/2026-12-06-analysis.md, section 8). A short command never fills even the
 * smaller generation, so its start-up does not change.
 *
 * `--no-lazy` compiles every function of a module when the module is compiled, not at its first
 * call. Deno keeps the V8 code cache of a module as it stands right after compiling it, so with
 * lazy compilation the cache held only each module's top level, and every call compiled again
 * each function it ran: most of a short command's time (an `enqueue`'s first run of the store
 * code took 25 ms, its second in the same process 2.6). Eager, the cache holds them all.
 * It pays only for modules whose cache Deno reads, which is why the npm packages the CLI runs
 * are plain modules in vendor/ (vendor/README.md). bench/results/2026-12-07-startup/ has the
 * runs: `enqueue` 53-70 ms against 68-82, `status` 58 against 79.
 *
 * `--no-enable-lazy-source-positions` has V8 record where each bytecode comes from when it compiles
 * a function. Lazily, it records them when first asked, and Deno asks at every error an operation
 * throws (a NotFound for a file that need not exist, which a call meets three times: the workers'
 * folder twice and config.jsonc), so V8 compiled again every function on the stack, about half a
 * millisecond for the first such error of an `enqueue`, whose stack runs through the store's
 * largest chunks. In-process marks in a copy of the bundle: opening the store and reading a
 * missing config.jsonc took 0.8-1.1 ms, 0.4-0.7 with the flag; the hand-off check and the hint a
 * little less too; alternated `enqueue` calls (100 each, twice), 28.6 and 29.0 ms without, 28.1
 * and 28.4 with (bench/results/2026-12-07-enqueue-build/).
 */
export const CLI_FLAGS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-sys=uid",
  "--allow-net",
  "--v8-flags=--max-semi-space-size=8,--no-lazy,--no-enable-lazy-source-positions",
];
