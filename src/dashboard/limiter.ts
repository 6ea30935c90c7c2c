/**
 * Failed logins, counted per client address: a wrong token sent any way (the login form,
 * `?token=`, a Bearer header, the cookie) is one failure. An address that fails MAX_FAILURES
 * times within WINDOW_MS of its first failure is refused (429) until that window ends, whatever
 * it sends, so a refused guess tells nothing. A success does not clear the count: on loopback every
 * local user shares one address, and a right token must not buy another user more guesses. The
 * cost: another local user can keep the loopback address refused (a denial of service, never an
 * access), one window at a time.
 *
 * Pure: the clock comes in. The table is bounded (MAX_ADDRESSES), dropping expired then oldest.
 */
export const MAX_FAILURES = 10;
export const WINDOW_MS = 60_000;
export const MAX_ADDRESSES = 10_000;

interface Entry {
  /** when the window opened: the first failure */
  start: number;
  failures: number;
}

export class LoginLimiter {
  readonly #entries = new Map<string, Entry>();

  constructor(
    readonly now: () => number,
    readonly maxFailures = MAX_FAILURES,
    readonly windowMs = WINDOW_MS,
    readonly maxAddresses = MAX_ADDRESSES,
  ) {}

  /** Milliseconds `address` is still refused for, or 0 when it may try. */
  refusedFor(address: string): number {
    const e = this.#live(address);
    if (e === undefined || e.failures < this.maxFailures) return 0;
    return e.start + this.windowMs - this.now();
  }

  /** Counts one failed login of `address`. */
  failed(address: string): void {
    const e = this.#live(address);
    if (e !== undefined) {
      e.failures++;
      return;
    }
    if (this.#entries.size >= this.maxAddresses) this.#prune();
    this.#entries.set(address, { start: this.now(), failures: 1 });
  }

  /** addresses counted now (for tests) */
  get size(): number {
    return this.#entries.size;
  }

  #live(address: string): Entry | undefined {
    const e = this.#entries.get(address);
    if (e !== undefined && this.now() >= e.start + this.windowMs) {
      this.#entries.delete(address);
      return undefined;
    }
    return e;
  }

  #prune(): void {
    const now = this.now();
    for (const [address, e] of this.#entries) {
      if (now >= e.start + this.windowMs) this.#entries.delete(address);
    }
    // still full: forget the oldest windows (a Map iterates in insertion order)
    for (const address of this.#entries.keys()) {
      if (this.#entries.size < this.maxAddresses) break;
      this.#entries.delete(address);
    }
  }
}
