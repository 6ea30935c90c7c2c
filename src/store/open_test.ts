import assert from "node:assert/strict";
import { lent, openStore } from "./open.ts";
import type { Store } from "./mod.ts";
import { systemClock } from "../clock.ts";
import { withHome } from "../../testkit/mod.ts";

Deno.test("a lent store forwards every call to its owner's store, but for close()", async () => {
  // private fields and a getter, as the real store has: each must reach the owner itself
  class Owned {
    #closed = 0;
    #heads = 0;
    get closed() {
      return this.#closed;
    }
    head(): Promise<number> {
      return Promise.resolve(++this.#heads);
    }
    close(): void {
      this.#closed++;
    }
  }
  const owned = new Owned();
  const borrowed = lent(owned as unknown as Store);
  assert.equal(await borrowed.head(), 1);
  const head = borrowed.head;
  assert.equal(await head(), 2);
  borrowed.close();
  assert.equal(owned.closed, 0);
  owned.close();
  assert.equal(owned.closed, 1);
});

Deno.test("a worker's store lent to a call: both see one state", () =>
  withHome(async (home) => {
    const store = openStore(home, { clock: systemClock, env: () => undefined, warn: () => {} });
    try {
      const borrowed = lent(store);
      const [made] = await borrowed.enqueue([{ command: "true" }], { max_retries: 0 });
      borrowed.close();
      assert.equal((await store.get(made.job.id))?.id, made.job.id);
      await store.enqueue([{ command: "false" }], { max_retries: 0 });
      assert.equal(await borrowed.head(), await store.head());
    } finally {
      store.close();
    }
  }, { prefix: "qctl-lent-" }));
