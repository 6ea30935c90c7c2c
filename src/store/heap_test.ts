import assert from "node:assert/strict";
import fc from "fast-check";
import { Heap } from "./heap.ts";

Deno.test("Heap pops every pushed item in order, for any input", () => {
  fc.assert(fc.property(fc.array(fc.integer()), (xs) => {
    const h = new Heap<number>((a, b) => a < b);
    for (const x of xs) h.push(x);
    const out: number[] = [];
    for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x);
    assert.deepEqual(out, [...xs].sort((a, b) => a - b));
  }));
});

Deno.test("a Heap built from items pops them in order, and takes pushes after, for any input", () => {
  fc.assert(fc.property(fc.array(fc.integer()), fc.array(fc.integer()), (xs, more) => {
    const h = new Heap<number>((a, b) => a < b, [...xs]);
    for (const x of more) h.push(x);
    const out: number[] = [];
    for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x);
    assert.deepEqual(out, [...xs, ...more].sort((a, b) => a - b));
  }));
});

Deno.test("Heap.filter() drops items and keeps the order of the rest", () => {
  const h = new Heap<number>((a, b) => a < b);
  for (const x of [5, 3, 8, 1, 9, 2]) h.push(x);
  h.filter((x) => x % 2 === 1);
  assert.deepEqual([h.pop(), h.pop(), h.pop(), h.pop(), h.pop()], [1, 3, 5, 9, undefined]);
});
