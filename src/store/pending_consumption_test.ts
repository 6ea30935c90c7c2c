import assert from "node:assert/strict";
import fc from "fast-check";
import type { PendingSegment } from "./pending.ts";
import {
  consume,
  consumed,
  type Consumption,
  consumptionProblem,
  exceptionCount,
  freshConsumption,
  NOTHING_CONSUMED,
  remaining,
} from "./pending_consumption.ts";

function segment(counts: number[]): PendingSegment {
  let first = 0;
  return {
    n: 3,
    jobs: counts.reduce((a, b) => a + b, 0),
    bytes: 1,
    index_bytes: 1,
    order_bytes: 1,
    min_seq: 1,
    max_seq: 1,
    min_id: "a",
    max_id: "b",
    now: "2026-11-23T13:00:00.000Z",
    lists: counts.map((count, i) => {
      const l = { queue: `q${i}`, kind: "due" as const, first, count };
      first += count;
      return l;
    }),
  };
}

Deno.test("consume() from the head moves the prefix; out of order it adds an exception the prefix later absorbs", () => {
  let c: Consumption = NOTHING_CONSUMED;
  c = consume(c, 0);
  c = consume(c, 1);
  assert.deepEqual(c, { prefix: 2, exceptions: [] });
  c = consume(c, 5);
  c = consume(c, 3);
  c = consume(c, 9);
  assert.deepEqual(c, { prefix: 2, exceptions: [3, 5, 9] });
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 9, 10].map((p) => consumed(c, p)), [
    true,
    true,
    false,
    true,
    false,
    true,
    false,
    true,
    false,
  ]);
  assert.equal(consume(c, 3), c, "consuming a consumed position changes nothing");
  c = consume(c, 2);
  assert.deepEqual(c, { prefix: 4, exceptions: [5, 9] }, "the prefix moves over 3");
  c = consume(c, 4);
  assert.deepEqual(c, { prefix: 6, exceptions: [9] });
  assert.throws(() => consume(c, -1), RangeError);
  assert.deepEqual(NOTHING_CONSUMED, { prefix: 0, exceptions: [] }, "consume() never changes its argument");
});

Deno.test("property: consumption in any order matches a set of positions, and stays in its canonical form", () => {
  fc.assert(
    fc.property(fc.array(fc.nat({ max: 60 }), { maxLength: 80 }), (positions) => {
      let c: Consumption = NOTHING_CONSUMED;
      const model = new Set<number>();
      for (const p of positions) {
        c = consume(c, p);
        model.add(p);
        let prefix = 0;
        while (model.has(prefix)) prefix++;
        assert.equal(c.prefix, prefix);
        assert.deepEqual(c.exceptions, [...model].filter((x) => x > prefix).sort((a, b) => a - b));
      }
      for (let p = 0; p <= 61; p++) assert.equal(consumed(c, p), model.has(p));
      assert.equal(consumptionProblem(segment([61]), [c]), null);
    }),
    { numRuns: 300 },
  );
});

Deno.test("remaining() counts what no list has consumed; a missing consumption consumes nothing", () => {
  const seg = segment([4, 3, 5]);
  assert.equal(remaining(seg, undefined), 12);
  assert.equal(remaining(seg, freshConsumption(seg)), 12);
  const cs = [{ prefix: 4, exceptions: [] }, NOTHING_CONSUMED, { prefix: 1, exceptions: [3, 4] }];
  assert.equal(remaining(seg, cs), 12 - 4 - 3);
  assert.equal(exceptionCount(cs), 2);
  assert.equal(
    remaining(seg, [{ prefix: 4, exceptions: [] }, { prefix: 3, exceptions: [] }, {
      prefix: 5,
      exceptions: [],
    }]),
    0,
  );
});

Deno.test("consumptionProblem() refuses a consumption that cannot belong to the segment, naming the list", () => {
  const seg = segment([4, 3]);
  assert.equal(consumptionProblem(seg, freshConsumption(seg)), null);
  assert.match(consumptionProblem(seg, [NOTHING_CONSUMED])!, /has 2 lists/);
  assert.match(
    consumptionProblem(seg, [{ prefix: 5, exceptions: [] }, NOTHING_CONSUMED])!,
    /list 0 .* prefix 5 outside 0\.\.4/,
  );
  assert.match(
    consumptionProblem(seg, [NOTHING_CONSUMED, { prefix: 1, exceptions: [2, 2] }])!,
    /list 1 .* exception 2/,
  );
  assert.match(consumptionProblem(seg, [NOTHING_CONSUMED, { prefix: 1, exceptions: [1] }])!, /exception 1/);
  assert.match(consumptionProblem(seg, [NOTHING_CONSUMED, { prefix: 0, exceptions: [3] }])!, /exception 3/);
  assert.match(consumptionProblem(seg, [NOTHING_CONSUMED, { prefix: 0 }])!, /not \{prefix, exceptions\}/);
});
