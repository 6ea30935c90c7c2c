import assert from "node:assert/strict";
import fc from "fast-check";
import { thousands } from "./render.ts";

Deno.test('thousands() groups a count\'s digits by three, as toLocaleString("en-US") does', () => {
  assert.deepEqual([0, 7, 999, 1000, 1005, 20_000, 1_000_000, -1234].map(thousands), [
    "0",
    "7",
    "999",
    "1,000",
    "1,005",
    "20,000",
    "1,000,000",
    "-1,234",
  ]);
  fc.assert(fc.property(fc.maxSafeInteger(), (n) => thousands(n) === n.toLocaleString("en-US")));
});
