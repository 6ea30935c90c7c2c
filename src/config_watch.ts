/**
 * Has config.jsonc changed since a running worker last read it? Asked on every pass of the
 * worker's loop, so settings are picked up without file-system notifications too (some file
 * systems have none, and inotify's limits can run out).
 *
 * A read records the file's identity (device, inode, size, modification and change times) as it
 * was just before the read, so a change made during the read is seen at the next pass. `config
 * set` replaces the file (a new inode) and a hand edit moves its times or size: any difference
 * counts as a change, and a change that alters no setting costs one harmless re-read. (Times are
 * seen to the millisecond: an edit in place that keeps the size, within the millisecond of the
 * last read, waits for the next change or event.) A missing
 * or unreadable file has an identity of its own, so its coming back is a change too.
 *
 * A file-system notification names the file by the path the kernel resolved, which need not be
 * the path the worker was given (`a/./home`, `x/../a/home`, a symbolic link): events are matched
 * by the file's name instead (`concerns`).
 */

export interface ConfigWatchOptions {
  /** the file's metadata (Deno.statSync); a seam for tests */
  stat?: (path: string) => Deno.FileInfo;
}

export class ConfigWatch {
  readonly #file: string;
  readonly #name: string;
  readonly #stat: (path: string) => Deno.FileInfo;
  /** identity of the file when last read; null before the first read */
  #read: string | null = null;

  constructor(file: string, options: ConfigWatchOptions = {}) {
    this.#file = file;
    this.#name = file.slice(file.lastIndexOf("/") + 1);
    this.#stat = options.stat ?? Deno.statSync;
  }

  /** True when the file is not as it was when last read (or was never read through `load`). */
  changed(): boolean {
    return this.#identity() !== this.#read;
  }

  /**
   * Reads the settings with `read`, remembering the file's identity from just before. A read
   * that fails (a broken edit) is remembered too: it is reported once, not on every pass.
   */
  async load<T>(read: () => Promise<T>): Promise<T> {
    const before = this.#identity();
    try {
      return await read();
    } finally {
      this.#read = before;
    }
  }

  /** True when a file-system event on these paths may be about the config file. */
  concerns(paths: readonly string[]): boolean {
    return paths.some((p) => p.slice(p.lastIndexOf("/") + 1) === this.#name);
  }

  #identity(): string {
    let info: Deno.FileInfo;
    try {
      info = this.#stat(this.#file);
    } catch (e) {
      return `absent: ${(e as Error).name}`;
    }
    return [info.dev, info.ino, info.size, info.mtime?.getTime(), info.ctime?.getTime()].join(":");
  }
}
