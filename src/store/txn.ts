/**
 * The transaction queue of one process's store: every read and write runs in turn (one at a
 * time), and writes queued while one runs are decided and committed together in the next turn
 * (group commit: one lock, one append, at most one fdatasync for the lot).
 */
import type { QueueState } from "./state.ts";
import type { RecordBody } from "./records.ts";

export type Decision<T> = { records: RecordBody[]; result: T };
/** Decides on the caught-up state at `now`; must not change the state; throws to refuse. */
export type Decide<T> = (state: QueueState, now: Date) => Decision<T>;

export interface Pending {
  decide: Decide<unknown>;
  /** a user's command: synced before it is acknowledged (see log.ts, DURABILITY) */
  durable: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** settles once the code `decide` calls is loaded (file_store.ts imports it on first use) */
  ready?: Promise<unknown>;
}

export class TxnQueue {
  #mutex: Promise<unknown> = Promise.resolve();
  #pending: Pending[] = [];
  #flushQueued = false;
  readonly #flush: (batch: Pending[]) => Promise<void>;

  /** `flush` commits one batch of writes (it runs in turn, like everything here). */
  constructor(flush: (batch: Pending[]) => Promise<void>) {
    this.#flush = flush;
  }

  /** Runs `fn` after everything queued before it. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#mutex.then(fn);
    this.#mutex = run.catch(() => {});
    return run;
  }

  /**
   * Queues a write; it joins the next batch. With `ready`, its decision waits for that in the
   * batch's turn: the writes still commit in the order they were submitted.
   */
  submit<T>(decide: Decide<T>, durable: boolean, ready?: Promise<unknown>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ decide, durable, resolve: resolve as (v: unknown) => void, reject, ready });
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        this.serial(async () => {
          this.#flushQueued = false;
          const batch = this.#pending.splice(0);
          return this.#flush(batch.some((p) => p.ready) ? await whenReady(batch) : batch);
        });
      }
    });
  }
}

/** The writes of `batch` whose code loaded; the others are refused with the import's error. */
async function whenReady(batch: Pending[]): Promise<Pending[]> {
  const settled = await Promise.allSettled(batch.map((p) => p.ready));
  return batch.filter((p, i) => {
    const s = settled[i];
    if (s.status === "rejected") p.reject(s.reason);
    return s.status === "fulfilled";
  });
}
