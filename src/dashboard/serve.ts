/**
 * Binds the dashboard's handler to a port: the only part of the dashboard that listens. The
 * connections are served by connections.ts (bounded in number and in how long a request may take
 * to arrive), not Deno.serve, which bounds neither.
 */
import { loadConfig } from "../config.ts";
import { OperationError } from "../errors.ts";
import { openStore } from "../store/open.ts";
import type { Clock } from "../clock.ts";
import { homePaths } from "../store/paths.ts";
import { listWorkers } from "../worker/registry.ts";
import { DEFAULT_LIMITS, type Limits, serveConnections } from "./connections.ts";
import { HomeChanges } from "../store/changes.ts";
import { createHandler } from "./handler.ts";

export interface ServeOptions {
  home: string;
  host: string;
  /** 0: any free port */
  port: number;
  token: string | null;
  cwd: string;
  clock: Clock;
  /** told the address once listening */
  onListen(addr: { host: string; port: number }): void;
  /** aborted to stop serving */
  signal: AbortSignal;
  onWarning?: (message: string) => void;
  /** the environment (the store's test seams); default none */
  env?: (name: string) => string | undefined;
  /** how many connections, and how long a request may take to arrive (default DEFAULT_LIMITS) */
  limits?: Partial<Limits>;
}

/** Serves until `signal` aborts; throws OperationError when the address cannot be bound. */
export async function serveDashboard(opts: ServeOptions): Promise<void> {
  const paths = homePaths(opts.home);
  // one more client of the store, like the CLI (its enqueue may create the home, as the CLI's does)
  const store = openStore(opts.home, {
    clock: opts.clock,
    env: opts.env ?? (() => undefined),
    warn: opts.onWarning ?? (() => {}),
  });
  const changes = new HomeChanges({ head: () => store.head(), dir: opts.home, clock: opts.clock });
  const shutdown = new AbortController();
  const handler = createHandler({
    store,
    paths,
    now: () => opts.clock.now(),
    token: opts.token,
    cwd: opts.cwd,
    changes,
    workers: () => listWorkers(paths).filter((w) => w.alive).map(({ alive: _, ...w }) => w),
    config: () => loadConfig(paths.config),
    shutdown: shutdown.signal,
  });
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname: opts.host, port: opts.port });
  } catch (e) {
    store.close();
    if (e instanceof Deno.errors.AddrInUse) {
      throw new OperationError(
        `Cannot serve on ${opts.host}:${opts.port}: the port is in use by another program; pick another with --port`,
      );
    }
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      throw new OperationError(
        `Cannot serve on ${opts.host}:${opts.port}: this queuectl may not use the network (run it with --allow-net)`,
      );
    }
    // the host was checked (dashboard_cmd.ts hostProblem()): any other failure is of the system,
    // such as an address no interface has or a name no resolver knows (a plain Error, no kind)
    if (e instanceof Error) {
      throw new OperationError(`Cannot serve on ${opts.host}:${opts.port}: ${e.message}`);
    }
    throw e;
  }
  // open event streams never end by themselves: end them, so the server can finish
  const stop = () => {
    shutdown.abort();
    changes.close();
  };
  opts.signal.addEventListener("abort", stop, { once: true });
  try {
    opts.onListen({ host: listener.addr.hostname, port: listener.addr.port });
    await serveConnections({
      listener,
      handler,
      limits: { ...DEFAULT_LIMITS, ...opts.limits },
      signal: opts.signal,
      onAcceptError: (e, cap) =>
        opts.onWarning?.(
          `Cannot accept a connection: ${e.message}; closing the oldest unfinished one, and serving at most ${cap} at once`,
        ),
    });
  } finally {
    opts.signal.removeEventListener("abort", stop);
    stop();
    store.close();
  }
}
