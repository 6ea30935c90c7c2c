/** A clock for tests that moves only when told to: wall and monotonic time advance together, and sleepers wake when their time comes. */
import type { Clock } from "../src/clock.ts";

export const T0 = Date.parse("2030-01-01T00:00:00.000Z");

export class ManualClock implements Clock {
  current: number;
  /** how many times `sleep` was called: a test waits for a loop to go idle with it */
  sleeps = 0;
  #elapsed = 0;
  #sleepers: Array<{ until: number; wake: () => void }> = [];
  constructor(start = T0) {
    this.current = start;
  }
  now(): Date {
    return new Date(this.current);
  }
  monotonic(): number {
    return this.#elapsed;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps++;
    return new Promise((resolve) => {
      if (ms <= 0 || signal?.aborted) return resolve();
      const sleeper = { until: this.#elapsed + ms, wake: resolve };
      this.#sleepers.push(sleeper);
      signal?.addEventListener("abort", () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        resolve();
      }, { once: true });
    });
  }
  /** Steps the wall clock alone (a clock step: NTP, a suspended VM, a user). */
  step(ms: number): void {
    this.current += ms;
  }
  /** Moves both clocks on by `ms` and wakes the sleepers that are due. */
  advance(ms: number): void {
    this.current += ms;
    this.#elapsed += ms;
    const due = this.#sleepers.filter((s) => s.until <= this.#elapsed);
    this.#sleepers = this.#sleepers.filter((s) => s.until > this.#elapsed);
    for (const s of due) s.wake();
  }
  /** ISO time `ms` from T0 */
  static at(ms: number): string {
    return new Date(T0 + ms).toISOString();
  }
}
