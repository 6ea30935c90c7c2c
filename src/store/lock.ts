/**
 * The store lock: an OS file lock (flock) on `store.lock` in the home, exclusive for a writer's
 * transaction, shared for a reader's. Held for one transaction only, never across an await that
 * waits for anything but the disk.
 */
import { FILE_MODE } from "../durable.ts";

export class StoreLock {
  readonly path: string;
  readonly #warn: (message: string) => void;
  #file: Deno.FsFile | null = null;

  /** `warn` is told when the lock is held by another process for more than a second. */
  constructor(path: string, warn: (message: string) => void) {
    this.path = path;
    this.#warn = warn;
  }

  async acquire(exclusive: boolean): Promise<void> {
    if (!this.#file) this.#file = this.#open(exclusive);
    if (this.#file.tryLockSync(exclusive)) return;
    // there is no timeout (a lock is held for one transaction): say so when another process holds it long
    const note = setTimeout(
      () => this.#warn(`Waiting for the lock on ${this.path}, held by another process`),
      1000,
    );
    try {
      await this.#file.lock(exclusive);
    } finally {
      clearTimeout(note);
    }
  }

  release(): void {
    this.#file?.unlockSync();
  }

  close(): void {
    this.#file?.close();
    this.#file = null;
  }

  #open(exclusive: boolean): Deno.FsFile {
    try {
      // sync open: one thread-pool round trip less per CLI call; the lock itself is awaited
      return Deno.openSync(this.path, { read: true, write: true, create: true, mode: FILE_MODE });
    } catch (e) {
      // a reader may share-lock a file it can only read (a read-only home: EROFS or EACCES)
      if (exclusive) throw e;
      try {
        return Deno.openSync(this.path, { read: true });
      } catch {
        throw e;
      }
    }
  }
}

/** What a log locks through: the store lock, or nothing when its caller holds that lock already. */
export type LogLock = Pick<StoreLock, "acquire" | "release" | "close">;

/**
 * For a log whose caller holds the exclusive store lock for the log's whole life (`doctor
 * --repair`): locking again would wait for itself (flock locks of two descriptors conflict).
 */
export const HELD_LOCK: LogLock = {
  acquire: () => Promise.resolve(),
  release: () => {},
  close: () => {},
};
