import assert from "node:assert/strict";
import type { QueueState } from "./state.ts";
import { type Decide, type Pending, TxnQueue } from "./txn.ts";

/** A queue whose flush decides each write of a batch in turn and records the batch's results. */
function recording(): { txn: TxnQueue; batches: unknown[][] } {
  const batches: unknown[][] = [];
  const txn = new TxnQueue((batch: Pending[]) => {
    const results = batch.map((p) => p.decide({} as QueueState, new Date()).result);
    batches.push(results);
    batch.forEach((p, i) => p.resolve(results[i]));
    return Promise.resolve();
  });
  return { txn, batches };
}

const answer = (result: () => unknown): Decide<unknown> => () => ({ records: [], result: result() });

Deno.test("writes that wait for their code are decided once it is there, in submission order, in one batch", async () => {
  const { txn, batches } = recording();
  let code = "not loaded";
  // an import settles some turns later, after the batch's turn has come
  let ready: Promise<unknown> = Promise.resolve();
  for (let turn = 0; turn < 20; turn++) ready = ready.then(() => {});
  ready = ready.then(() => code = "loaded");
  const done = [
    txn.submit(answer(() => code), true, ready),
    txn.submit(answer(() => "w2"), true),
    txn.submit(answer(() => "w3"), false, Promise.resolve()),
  ];
  assert.deepEqual(await Promise.all(done), ["loaded", "w2", "w3"]);
  assert.deepEqual(batches, [["loaded", "w2", "w3"]]);
});

Deno.test("a write whose code fails to load is refused with that error, and the others commit", async () => {
  const { txn, batches } = recording();
  const failed = txn.submit(answer(() => "w1"), true, Promise.reject(new Error("Module not found")));
  const ok = txn.submit(answer(() => "w2"), true);
  await assert.rejects(failed, /Module not found/);
  assert.equal(await ok, "w2");
  assert.deepEqual(batches, [["w2"]]);
});
