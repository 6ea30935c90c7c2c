/**
 * The one way to open a home's store: the CLI, the worker and the dashboard all come here, so
 * the test seams (QUEUECTL_CRASH_AT, QUEUECTL_COMPACT_AFTER_BYTES, QUEUECTL_PENDING_MIN) and
 * warnings are wired once.
 */
import type { Clock } from "../clock.ts";
import { FileStore } from "./file_store.ts";

export interface OpenOptions {
  clock: Clock;
  /** reads the environment (the test seams) */
  env: (name: string) => string | undefined;
  /** one line per warning (a failed automatic compaction, a long wait for the lock) */
  warn: (message: string) => void;
  /** false for a worker or the dashboard: they never create a home */
  createHome?: boolean;
}

export function openStore(home: string, options: OpenOptions): FileStore {
  const compact = Number(options.env("QUEUECTL_COMPACT_AFTER_BYTES") ?? "");
  const pendingMin = Number(options.env("QUEUECTL_PENDING_MIN") ?? "");
  return new FileStore(home, {
    clock: options.clock,
    crashAt: options.env("QUEUECTL_CRASH_AT"),
    compactAfterBytes: compact > 0 ? compact : undefined,
    pendingMin: pendingMin > 0 ? pendingMin : undefined,
    onWarning: options.warn,
    createHome: options.createHome ?? true,
  });
}
