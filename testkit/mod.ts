/**
 * Helpers shared by the tests, the torture harness and the bench: spawn the real CLI in a fresh
 * temp home (`withHome`), wait with `waitFor`, never a bare sleep; assert exit code, --json output
 * and the stderr sentence. The real-browser helpers (`browser.ts`) and the in-process worker
 * (`worker_harness.ts`) are imported from their own files.
 */
export * from "./cli.ts";
export * from "./files.ts";
export * from "./home.ts";
export * from "./process.ts";
export * from "./wait.ts";
export * from "./clock.ts";
export * from "./store.ts";
export * from "./refused.ts";
