/** What the handler is given: the store, the home's paths, the clock, the token and the change feed. */
import type { Config } from "../config.ts";
import type { Store } from "../store/mod.ts";
import type { HomePaths } from "../store/paths.ts";
import type { WorkerInfo } from "../worker/registry.ts";
import type { ChangeFeed } from "./events.ts";
import type { LoginLimiter } from "./limiter.ts";
import type { Assets } from "./static.ts";

export interface DashboardDeps {
  /** one store client for the dashboard's life; it takes the store lock only per call */
  store: Store;
  paths: HomePaths;
  now: () => Date;
  /** null: no token needed (--no-token, loopback only) */
  token: string | null;
  /** the directory jobs enqueued through the API run in (the dashboard's own) */
  cwd: string;
  changes: ChangeFeed;
  /** live workers, as `status --json` lists them */
  workers: () => WorkerInfo[];
  config: () => Promise<Config>;
  /** the page's files (default: static.ts ASSETS) */
  assets?: Assets;
  /** counts failed logins per address (default: a LoginLimiter on `now`) */
  limiter?: LoginLimiter;
  /** aborted when the server shuts down: ends the event streams, which never end by themselves */
  shutdown?: AbortSignal;
}
