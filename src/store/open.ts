/**
 * The one way to open a home's store: the CLI, the worker and the dashboard all come here, so
 * the test seams (QUEUECTL_CRASH_AT, QUEUECTL_COMPACT_AFTER_BYTES, QUEUECTL_PENDING_MIN),
 * warnings, retention (config retention-completed and retention-dead, read at each compaction)
 * and whose output files a worker may still write to are wired once.
 */
import type { Clock } from "../clock.ts";
import { loadConfigSync } from "../config.ts";
import { exists } from "../durable.ts";
import { lockState } from "../worker/registry.ts";
import { FileStore } from "./file_store.ts";
import type { Store } from "./mod.ts";
import { homePaths } from "./paths.ts";

export interface OpenOptions {
  clock: Clock;
  /** reads the environment (the test seams) */
  env: (name: string) => string | undefined;
  /** one line per warning (a failed automatic compaction, a long wait for the lock) */
  warn: (message: string) => void;
  /** false for a worker or the dashboard: they never create a home */
  createHome?: boolean;
}

export function openStore(home: string, options: OpenOptions): Store {
  const paths = homePaths(home);
  const compact = Number(options.env("QUEUECTL_COMPACT_AFTER_BYTES") ?? "");
  const pendingMin = Number(options.env("QUEUECTL_PENDING_MIN") ?? "");
  return new FileStore(home, {
    clock: options.clock,
    crashAt: options.env("QUEUECTL_CRASH_AT"),
    compactAfterBytes: compact > 0 ? compact : undefined,
    pendingMin: pendingMin > 0 ? pendingMin : undefined,
    onWarning: options.warn,
    createHome: options.createHome ?? true,
    retention: () => {
      const config = loadConfigSync(paths.config);
      return { completed: config.retention_completed, dead: config.retention_dead };
    },
    // held: alive. A lock file gone while its heartbeat file stays: someone removed it under a
    // live worker (it makes it anew); a worker that exits removes both
    liveWorker: (id) => {
      const lock = lockState(paths, id);
      return lock === "held" || (lock === "missing" && exists(paths.workerInfo(id)));
    },
  });
}
