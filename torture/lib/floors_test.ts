import assert from "node:assert/strict";
import { belowFloors, scaled } from "./floors.ts";

const figures = [
  { label: "workers killed", value: 12 },
  { label: "job runs (ledger)", value: 0 },
  { label: "points reached", value: "40/41" },
];

Deno.test("belowFloors() passes figures at or above their floors and ignores figures without one", () => {
  assert.deepEqual(belowFloors(figures, { "workers killed": 12 }), []);
  assert.deepEqual(belowFloors(figures, {}), []);
});

Deno.test("belowFloors() reports a figure below its floor, a missing one and one that is not a number", () => {
  const v = belowFloors(figures, { "job runs (ledger)": 1, "kills": 1, "points reached": 41 });
  assert.equal(v.length, 3);
  assert.match(v[0], /"job runs \(ledger\)" is 0, below its floor of 1/);
  assert.match(v[1], /the figure "kills" is missing/);
  assert.match(v[2], /"points reached" is "40\/41", not a number/);
});

Deno.test("scaled() multiplies every floor and rounds down", () => {
  assert.deepEqual(scaled({ a: 10, b: 3 }, 2.5), { a: 25, b: 7 });
});
