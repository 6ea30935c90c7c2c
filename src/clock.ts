/**
 * Time, passed in rather than read from globals: the wall clock for what people see and schedule
 * (`created_at`, `run_at`), a monotonic clock for every interval the program measures itself
 * (leases, timeouts, heartbeats, polling), and a sleep on that clock, so tests never wait for real.
 */
export interface Clock {
  /** wall-clock time; it may step backwards or forwards */
  now(): Date;
  /** milliseconds since an arbitrary origin; never goes backwards */
  monotonic(): number;
  /** resolves after `ms` of monotonic time, or at once when `signal` aborts */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener("abort", done, { once: true });
  });
}

export const systemClock: Clock = {
  now: () => new Date(),
  monotonic: () => performance.now(),
  sleep,
};

/** The system clock with its wall time replaced (a clock stepped by `offsetMs`, a fixed date). */
export function wallClock(now: () => Date): Clock {
  return { now, monotonic: systemClock.monotonic, sleep };
}
