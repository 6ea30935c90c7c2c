/**
 * Whether a failed write means its stream went away for good: a pipe whose reader exited (EPIPE,
 * Deno's BrokenPipe), a closed terminal (EIO), a closed descriptor. The one place that knows it:
 * the CLI then stops writing quietly and exits 0 (as ripgrep does), a worker drops its later lines
 * (src/cli/line_sink.ts), an enqueue handed to a worker still waits for the worker's exit code.
 * Imports nothing: main.ts loads it at start-up.
 */

/** Error codes after which a stream never takes a write again. */
const GONE = new Set(["EIO", "EPIPE", "EBADF", "ENXIO"]);

export function isStreamGone(e: unknown): boolean {
  if (e instanceof Deno.errors.BrokenPipe) return true;
  const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  return typeof code === "string" && GONE.has(code);
}
