/**
 * Queue settings as the CLI (`queue set|pause|resume`) and the dashboard change them: the name and
 * the limit checked, then the store's decision (store/decide/manage.ts `decideQueue`) applied.
 */
import { UsageError } from "../errors.ts";
import type { QueueSettings, Store } from "../store/mod.ts";
import { parseQueueName } from "../validate.ts";

/** The largest concurrency limit a queue takes. */
export const MAX_CONCURRENCY = 1_000_000;

/** A concurrency limit given as a number (the API's JSON); `what` names it in the sentence. */
export function checkConcurrency(value: unknown, what = "concurrency"): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value > MAX_CONCURRENCY) {
    const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : String(value);
    throw new UsageError(
      `Invalid ${what} ${shown}: expected a whole number from 0 to ${MAX_CONCURRENCY} (0: no limit)`,
    );
  }
  return value;
}

/** A queue with its settings after a change. */
export interface QueueChanged extends QueueSettings {
  name: string;
}

/** Applies `change` to queue `name` (listed while its settings are not the defaults, or a job names it); returns its settings now. */
export async function changeQueue(
  store: Store,
  name: string,
  change: Partial<QueueSettings>,
): Promise<QueueChanged> {
  parseQueueName("queue name", name);
  if (change.concurrency !== undefined) checkConcurrency(change.concurrency);
  return { name, ...await store.setQueue(name, change) };
}

/** No job of the queue starts until it is resumed; running ones finish. */
export function pauseQueue(store: Store, name: string): Promise<QueueChanged> {
  return changeQueue(store, name, { paused: true });
}

export function resumeQueue(store: Store, name: string): Promise<QueueChanged> {
  return changeQueue(store, name, { paused: false });
}

/** At most `concurrency` jobs of the queue processing at once across every worker (0: no limit). */
export function setConcurrency(store: Store, name: string, concurrency: number): Promise<QueueChanged> {
  return changeQueue(store, name, { concurrency });
}
