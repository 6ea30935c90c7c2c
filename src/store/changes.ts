/**
 * The store's change events, for everyone who waits on the queue: a worker's wake-ups, the
 * dashboard's live page, `wait`, `logs -f`. One `HomeChanges` watches the home directory
 * (`Deno.watchFs`: every writer appends to the log there, and compaction replaces files there)
 * and polls the store's `head()` every `pollMs` as the fallback (a file system without
 * notifications, a home created after the watch started). A notification only schedules a look at
 * `head()`, at most one per `minGapMs`, spaced on the monotonic clock (a wall clock stepped back
 * must not silence it); subscribers hear of a change only when the head moved. It watches only
 * while someone listens.
 */
import { type Clock, systemClock } from "../clock.ts";

export interface ChangeFeed {
  /** Calls `fn` with the new head after each change; returns the unsubscribe function. */
  subscribe(fn: (head: number) => void): () => void;
  /** The head now. */
  current(): Promise<number>;
}

export interface HomeChangesOptions {
  head: () => Promise<number>;
  /** the directory to watch: the home */
  dir: string;
  clock?: Clock;
  /** look at the head this often whatever the notifications say (default 1000) */
  pollMs?: number;
  /** at most one look per this many milliseconds however many notifications come (default 100) */
  minGapMs?: number;
  /** watch the directory (default true); false polls only */
  notify?: boolean;
  /** told the paths of every file-system event (a worker reloads its config on its file's) */
  onEvent?: (paths: string[]) => void;
}

export class HomeChanges implements ChangeFeed {
  readonly #opts: Required<HomeChangesOptions>;
  readonly #subs = new Set<(head: number) => void>();
  #last: number | null = null;
  #watcher: Deno.FsWatcher | null = null;
  #poll: ReturnType<typeof setInterval> | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** a look with no wait is queued as a microtask (a timer of 0 ms still waits 1-2 ms for its turn) */
  #soon = false;
  #lastCheck = -Infinity;
  #checking = false;
  #again = false;

  constructor(opts: HomeChangesOptions) {
    this.#opts = {
      clock: systemClock,
      pollMs: 1000,
      minGapMs: 100,
      notify: true,
      onEvent: () => {},
      ...opts,
    };
  }

  /** File-system notifications arrive (false: polling only). */
  get notified(): boolean {
    return this.#watcher !== null;
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

  /** Stops watching, whoever still listens (shutting down). */
  close(): void {
    this.#subs.clear();
    this.#stop();
  }

  /** Resolves with the head once it differs from `seen`, or with null when `signal` aborts. */
  async next(seen: number, signal?: AbortSignal): Promise<number | null> {
    if (signal?.aborted) return null;
    const now = await this.current().catch(() => seen);
    if (now !== seen) return now;
    return await new Promise((resolve) => {
      const done = (value: number | null) => {
        unsubscribe();
        signal?.removeEventListener("abort", aborted);
        resolve(value);
      };
      const aborted = () => done(null);
      const unsubscribe = this.subscribe((head) => {
        if (head !== seen) done(head);
      });
      signal?.addEventListener("abort", aborted, { once: true });
    });
  }

  #start(): void {
    this.#last = null;
    this.#watch();
    this.#poll = setInterval(() => {
      if (!this.#watcher) this.#watch();
      this.nudge();
    }, this.#opts.pollMs);
    this.nudge();
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
    if (!this.#opts.notify) return;
    let watcher: Deno.FsWatcher;
    try {
      watcher = Deno.watchFs(this.#opts.dir, { recursive: false });
    } catch {
      return; // no home yet, or no notifications here: the poll covers it
    }
    this.#watcher = watcher;
    (async () => {
      try {
        for await (const event of watcher) {
          // reads (access events) change nothing: waking on them would let readers spin us
          if (event.kind === "access") continue;
          this.#opts.onEvent(event.paths);
          this.nudge();
        }
      } catch { /* closed, or the directory went away */ }
      if (this.#watcher === watcher) this.#watcher = null;
    })();
  }

  /** Looks at the head soon (within `minGapMs` of the last look). */
  nudge(): void {
    if (this.#timer !== null || this.#soon || this.#subs.size === 0) return;
    const wait = Math.max(0, this.#lastCheck + this.#opts.minGapMs - this.#opts.clock.monotonic());
    if (wait === 0) {
      this.#soon = true;
      queueMicrotask(() => {
        this.#soon = false;
        if (this.#subs.size > 0) this.#check();
      });
      return;
    }
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
    this.#lastCheck = this.#opts.clock.monotonic();
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
        this.nudge();
      }
    }
  }
}
