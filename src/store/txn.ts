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

  /** Queues a write; it joins the next batch. */
  submit<T>(decide: Decide<T>, durable: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ decide, durable, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        this.serial(() => {
          this.#flushQueued = false;
          return this.#flush(this.#pending.splice(0));
        });
      }
    });
  }
}
