/**
 * The flags `deno run` gives the CLI: deno.json's `queuectl` and `install` tasks (checked by
 * run_flags_test.ts), the compiled binary (scripts/compile.ts), a detached worker started
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
 */
export const CLI_FLAGS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-sys=uid",
  "--allow-net",
  "--v8-flags=--max-semi-space-size=8",
];
