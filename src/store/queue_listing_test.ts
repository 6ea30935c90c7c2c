import assert from "node:assert/strict";
import { DEFAULT_QUEUE_SETTINGS, isDefaultSettings, queueListed } from "./queue_listing.ts";
import { zeroCounts } from "./state.ts";

Deno.test("queueListed() lists a queue with a job in any state, archived completed ones included", () => {
  for (const state of Object.keys(zeroCounts()) as Array<keyof ReturnType<typeof zeroCounts>>) {
    assert.equal(queueListed(DEFAULT_QUEUE_SETTINGS, { ...zeroCounts(), [state]: 1 }), true, state);
  }
});

Deno.test("queueListed() lists a queue without jobs only while it has a concurrency limit or is paused", () => {
  assert.equal(queueListed({ concurrency: 2, paused: false }, zeroCounts()), true);
  assert.equal(queueListed({ concurrency: 0, paused: true }, zeroCounts()), true);
  assert.equal(queueListed({ concurrency: 0, paused: false }, zeroCounts()), false);
  assert.equal(isDefaultSettings({ concurrency: 0, paused: false }), true);
  assert.equal(isDefaultSettings({ concurrency: 1, paused: false }), false);
});
