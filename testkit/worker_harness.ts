/**
 * In-process workers for regression tests that must act between two steps of a worker: a Store
 * whose chosen methods are replaced, and a Worker built on it with a fixed config.
 */
import { type Config, DEFAULT_CONFIG } from "../src/config.ts";
import type { FileStore } from "../src/store/file_store.ts";
import { type Clock, systemClock } from "../src/clock.ts";
import type { Store } from "../src/store/mod.ts";
import { homePaths } from "../src/store/paths.ts";
import { Worker } from "../src/worker/worker.ts";

/** `inner`, with the methods named in `overrides` replaced. */
export function wrapStore(inner: FileStore, overrides: Partial<Record<keyof Store, unknown>>): Store {
  return new Proxy(inner, {
    get(target, key) {
      if (key in overrides) return (overrides as Record<PropertyKey, unknown>)[key];
      const v = (target as unknown as Record<PropertyKey, unknown>)[key];
      return typeof v === "function" ? v.bind(target) : v;
    },
  }) as unknown as Store;
}

export interface HarnessOptions {
  home: string;
  store: Store;
  config?: Partial<Config>;
  slots?: number;
  clock?: Clock;
  /** receives the worker's event lines */
  log?: (line: string) => void;
}

export function inProcessWorker(o: HarnessOptions): Worker {
  const config = { ...DEFAULT_CONFIG, ...o.config };
  return new Worker(
    {
      store: o.store,
      paths: homePaths(o.home),
      clock: o.clock ?? systemClock,
      loadConfig: () => Promise.resolve(config),
      log: o.log ?? (() => {}),
    },
    { slots: o.slots ?? 1, drain: false },
    config,
  );
}
