/**
 * Test support for the dashboard's handler tests: a handler over a real FileStore in a temp home,
 * with a settable clock, a fake worker list and a change feed that tests drive by hand.
 */
import { wallClock } from "../clock.ts";
import { DEFAULT_CONFIG } from "../config.ts";
import type { Job } from "../job.ts";
import { FileStore } from "../store/file_store.ts";
import type { Store } from "../store/mod.ts";
import { type HomePaths, homePaths } from "../store/paths.ts";
import type { WorkerInfo } from "../worker/registry.ts";
import type { ChangeFeed } from "./events.ts";
import { type Client, createHandler } from "./handler.ts";

export const ORIGIN = "http://127.0.0.1:7700";
export const BACKOFF = { backoff_base: 2, backoff_max: 60 };

/** A change feed whose changes the test announces. */
export class ManualFeed implements ChangeFeed {
  readonly subs = new Set<(head: number) => void>();
  constructor(public head = 0) {}
  subscribe(fn: (head: number) => void): () => void {
    this.subs.add(fn);
    return () => this.subs.delete(fn);
  }
  current(): Promise<number> {
    return Promise.resolve(this.head);
  }
  announce(head: number): void {
    this.head = head;
    for (const fn of this.subs) fn(head);
  }
}

export interface Harness {
  home: string;
  paths: HomePaths;
  store: FileStore;
  clock: { now: Date };
  workers: WorkerInfo[];
  feed: ManualFeed;
  handle(req: Request, client?: Client): Promise<Response>;
  /** GET (or `init`) of a path on the dashboard's origin */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** a same-origin change, as the page sends it */
  send(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): void;
}

export interface HarnessOptions {
  token?: string | null;
  now?: string;
  /** what the handler is given instead of the store itself (a slow one, say) */
  wrapStore?: (store: FileStore) => Store;
}

export function harness(options: HarnessOptions = {}): Harness {
  const dir = Deno.makeTempDirSync({ prefix: "qctl-dash-" });
  const home = `${dir}/home`;
  const paths = homePaths(home);
  const clock = { now: new Date(options.now ?? "2026-03-01T12:00:30.000Z") };
  const store = new FileStore(home, { clock: wallClock(() => clock.now) });
  const workers: WorkerInfo[] = [];
  const feed = new ManualFeed();
  const handle = createHandler({
    store: options.wrapStore ? options.wrapStore(store) : store,
    paths,
    now: () => clock.now,
    token: options.token ?? null,
    cwd: dir,
    changes: feed,
    workers: () => workers,
    config: () => Promise.resolve({ ...DEFAULT_CONFIG }),
    assets: {
      "index.html": { type: "text/html; charset=utf-8", body: "<!doctype html><title>page</title>" },
      "app.js": { type: "text/javascript; charset=utf-8", body: "console.log(1)" },
    },
  });
  const fetch = (path: string, init?: RequestInit) => handle(new Request(ORIGIN + path, init));
  return {
    home,
    paths,
    store,
    clock,
    workers,
    feed,
    handle,
    fetch,
    send: (method, path, body, headers = {}) =>
      fetch(path, {
        method,
        headers: { origin: ORIGIN, "content-type": "application/json", ...headers },
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      }),
    close() {
      store.close();
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

/** Runs `fn` with a fresh harness, always cleaning up. */
export async function withHarness(
  fn: (h: Harness) => Promise<void>,
  options: HarnessOptions = {},
): Promise<void> {
  const h = harness(options);
  try {
    await fn(h);
  } finally {
    h.close();
  }
}

/** Runs jobs `ids` (already enqueued, runnable) to the end `outcome` at the harness clock. */
export async function runJobs(h: Harness, ids: string[], code: number, seconds = 1): Promise<Job[]> {
  const slots = ids.map(() => ({ sid: null, out: null }));
  const claimed = await h.store.claim({ worker: "w1", slots, leaseSeconds: 600 });
  const startedAt = h.clock.now;
  h.clock.now = new Date(startedAt.getTime() + seconds * 1000);
  // all at once: the store commits them together
  const done = await Promise.all(claimed.map((job) =>
    h.store.finish({
      worker: "w1",
      id: job.id,
      claim: job.claim,
      outcome: { kind: "exited", code },
      tail: null,
      config: BACKOFF,
    })
  ));
  return done.map((job) => job!);
}

export async function body(res: Response): Promise<any> {
  return JSON.parse(await res.text());
}
