/**
 * Live updates. One `StoreChanges` per dashboard watches the home directory (`Deno.watchFs`: the
 * log is appended to by every writer, and compaction replaces files there) and polls the store's
 * `head()` every second as the fallback (a file system without notifications, a home created
 * after the dashboard started). A notification only schedules a look at `head()`, at most one
 * per `minGapMs` (100 ms: ≤ 10 events/s however busy the queue), and subscribers hear of a
 * change only when the head moved. It runs only while some client listens.
 */
export interface ChangeFeed {
  /** Calls `fn` with the new head after each change; returns the unsubscribe function. */
  subscribe(fn: (head: number) => void): () => void;
  /** The head now. */
  current(): Promise<number>;
}

export interface StoreChangesOptions {
  head: () => Promise<number>;
  /** the directory to watch: the home */
  dir: string;
  pollMs?: number;
  minGapMs?: number;
}

export class StoreChanges implements ChangeFeed {
  readonly #opts: Required<StoreChangesOptions>;
  readonly #subs = new Set<(head: number) => void>();
  #last: number | null = null;
  #watcher: Deno.FsWatcher | null = null;
  #poll: ReturnType<typeof setInterval> | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #lastCheck = 0;
  #checking = false;
  #again = false;

  constructor(opts: StoreChangesOptions) {
    this.#opts = { pollMs: 1000, minGapMs: 100, ...opts };
  }

  current(): Promise<number> {
    return this.#opts.head();
  }

  subscribe(fn: (head: number) => void): () => void {
    this.#subs.add(fn);
    if (this.#subs.size === 1) this.#start();
    return () => {
      if (this.#subs.delete(fn) && this.#subs.size === 0) this.#stop();
    };
  }

  /** Stops watching, whoever still listens (the server is shutting down). */
  close(): void {
    this.#subs.clear();
    this.#stop();
  }

  #start(): void {
    this.#last = null;
    this.#watch();
    this.#poll = setInterval(() => {
      if (!this.#watcher) this.#watch();
      this.#nudge();
    }, this.#opts.pollMs);
    this.#nudge();
  }

  #stop(): void {
    if (this.#poll !== null) clearInterval(this.#poll);
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#poll = this.#timer = null;
    try {
      this.#watcher?.close();
    } catch { /* already closed */ }
    this.#watcher = null;
  }

  #watch(): void {
    let watcher: Deno.FsWatcher;
    try {
      watcher = Deno.watchFs(this.#opts.dir, { recursive: false });
    } catch {
      return; // no home yet, or no notifications here: the poll covers it
    }
    this.#watcher = watcher;
    (async () => {
      try {
        for await (const _ of watcher) this.#nudge();
      } catch { /* closed, or the directory went away */ }
      if (this.#watcher === watcher) this.#watcher = null;
    })();
  }

  #nudge(): void {
    if (this.#timer !== null || this.#subs.size === 0) return;
    const wait = Math.max(0, this.#lastCheck + this.#opts.minGapMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#check();
    }, wait);
  }

  async #check(): Promise<void> {
    if (this.#checking) {
      this.#again = true;
      return;
    }
    this.#checking = true;
    this.#lastCheck = Date.now();
    try {
      const head = await this.#opts.head();
      if (head !== this.#last) {
        this.#last = head;
        for (const fn of [...this.#subs]) fn(head);
      }
    } catch {
      // a store mid-compaction or unreadable for a moment: the next poll looks again
    } finally {
      this.#checking = false;
      if (this.#again) {
        this.#again = false;
        this.#nudge();
      }
    }
  }
}

const encoder = new TextEncoder();

export const PING_MS = 15_000;

/** A `text/event-stream` of `change` events: the head now, then every change; a ping comment every 15 s. */
export function eventStream(feed: ChangeFeed, signal: AbortSignal, pingMs = PING_MS): Response {
  let cleanup = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let open = true;
      const send = (text: string) => {
        if (!open) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          cleanup();
        }
      };
      let sent: number | null = null;
      // the first head may come both from `current()` and from the feed's first look: send it once
      const change = (head: number) => {
        if (head === sent) return;
        sent = head;
        send(`event: change\ndata: ${JSON.stringify({ head })}\n\n`);
      };
      const unsubscribe = feed.subscribe(change);
      const ping = setInterval(() => send(": ping\n\n"), pingMs);
      cleanup = () => {
        if (!open) return;
        open = false;
        unsubscribe();
        clearInterval(ping);
        signal.removeEventListener("abort", cleanup);
        try {
          controller.close();
        } catch { /* already closed or cancelled */ }
      };
      signal.addEventListener("abort", cleanup);
      // browsers reconnect after `retry` ms when the stream drops
      send("retry: 1000\n\n");
      feed.current().then(change, () => {});
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "x-accel-buffering": "no" },
  });
}
