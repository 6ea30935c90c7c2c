import assert from "node:assert/strict";
import fc from "fast-check";
import { idMaker } from "../ids.ts";
import { idOrder } from "./segment_write.ts";

/** The order idOrder() must give: indices sorted by their ids as strings compare, ties by index. */
function byComparing(ids: readonly string[]): number[] {
  return ids.map((_, i) => i).sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : a - b));
}

Deno.test("idOrder() sorts ids as strings compare, whatever prefix they share and whatever characters they hold", () => {
  const alike = fc.constantFrom("", "01m95pr54g", "job-", "é");
  const id = fc.tuple(
    alike,
    fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9._:@+-]{0,6}$/),
      fc.string({ maxLength: 6, unit: "binary" }),
      fc.constantFrom("", "a", "a.", "ab", "\uffff"),
    ),
  ).map(([prefix, rest]) => prefix + rest);
  fc.assert(
    fc.property(fc.array(id, { maxLength: 80 }), (ids) => {
      const order = [...idOrder(ids)];
      // equal ids may come in any order among themselves: compare the ids in that order
      assert.deepEqual(order.map((i) => ids[i]), byComparing(ids).map((i) => ids[i]));
      assert.deepEqual([...order].sort((a, b) => a - b), ids.map((_, i) => i));
    }),
    { numRuns: 3000 },
  );
});

Deno.test("idOrder() sorts a batch of generated ids of one instant", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const make = idMaker(Date.parse("2026-12-06T12:00:00.000Z"), rand);
  const ids = Array.from({ length: 20_000 }, () => make());
  assert.deepEqual([...idOrder(ids)], byComparing(ids));
});
