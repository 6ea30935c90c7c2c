import assert from "node:assert/strict";
import { ascending, descending, mergeBySeq, mergeOpen } from "./seq_merge.ts";

const items = (...seqs: number[]) => seqs.map((seq) => ({ seq }));
const seqs = (it: Iterable<{ seq: number }>) => [...it].map((x) => x.seq);

Deno.test("mergeBySeq merges sources in seq order and opens each only when the merge reaches it", () => {
  const sources = [
    { first: 1, items: items(1, 4, 9) },
    { first: 2, items: items(2, 3, 10) },
    { first: 20, items: items(20, 21) },
  ];
  const opened: number[] = [];
  const merged = mergeBySeq([...sources], (s) => s.first, (s) => {
    opened.push(s.first);
    return s.items[Symbol.iterator]();
  }, ascending);
  const firstThree = [merged.next().value!.seq, merged.next().value!.seq, merged.next().value!.seq];
  assert.deepEqual(firstThree, [1, 2, 3]);
  assert.deepEqual(opened, [1, 2]); // the third source starts at 20: not opened yet
  assert.deepEqual(seqs({ [Symbol.iterator]: () => merged }), [4, 9, 10, 20, 21]);
  assert.deepEqual(opened, [1, 2, 20]);
});

Deno.test("mergeBySeq merges newest first with descending, sources reached by their last seq", () => {
  const sources = [items(9, 4, 1), items(10, 3, 2)];
  const merged = mergeBySeq(
    [...sources].sort((a, b) => b[0].seq - a[0].seq),
    (s) => s[0].seq,
    (s) => s[Symbol.iterator](),
    descending,
  );
  assert.deepEqual(seqs(merged), [10, 9, 4, 3, 2, 1]);
});

Deno.test("mergeOpen merges open streams either way, empty ones included", () => {
  const up = () => [items(1, 5), items(), items(2, 3, 8)].map((a) => a[Symbol.iterator]());
  assert.deepEqual(seqs(mergeOpen(up(), false)), [1, 2, 3, 5, 8]);
  const down = [items(5, 1), items(8, 3, 2)].map((a) => a[Symbol.iterator]());
  assert.deepEqual(seqs(mergeOpen(down, true)), [8, 5, 3, 2, 1]);
  assert.deepEqual(seqs(mergeOpen([], false)), []);
});
