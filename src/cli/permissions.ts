/**
 * The permissions the CLI runs with: deno.json's `queuectl` and `install` tasks (checked by
 * permissions_test.ts), the compiled binary (scripts/compile.ts), a detached worker started
 * without /proc, and the tests, the bench and the demo, which run the CLI as it is installed.
 * `--allow-sys=uid` checks who owns the home (home_trust.ts); `--allow-net` is for the dashboard
 * and a worker's socket (src/handoff).
 */
export const CLI_PERMISSIONS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-sys=uid",
  "--allow-net",
];
