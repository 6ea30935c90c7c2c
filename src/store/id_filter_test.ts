import assert from "node:assert/strict";
import fc from "fast-check";
import { IdFilter } from "./id_filter.ts";

/** What a header does with a filter: write it as JSON text, parse it back, read it. */
function throughHeader(filter: IdFilter): IdFilter {
  const back = IdFilter.read(JSON.parse(JSON.stringify(filter)));
  if (typeof back === "string") throw new Error(`Cannot read back a filter: ${back}`);
  return back;
}

/** Any text, unicode and lone surrogates included, and ids as the queue makes them. */
const arbId = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}$/),
);

Deno.test("IdFilter.mayHold() is true for every id the filter was made of, also after a JSON round trip, for any ids", () => {
  fc.assert(fc.property(fc.array(arbId), (ids) => {
    const filter = IdFilter.of(ids, ids.length);
    const read = throughHeader(filter);
    for (const id of ids) {
      assert.equal(filter.mayHold(id), true, JSON.stringify(id));
      assert.equal(read.mayHold(id), true, JSON.stringify(id));
    }
  }));
});

Deno.test("IdFilter.of() with fewer ids than counted, or more, still holds every id", () => {
  const ids = Array.from({ length: 300 }, (_, i) => `job-${i}`);
  for (const count of [0, 1, 1000]) {
    const filter = IdFilter.of(ids, count);
    assert.ok(ids.every((id) => filter.mayHold(id)), `count ${count}`);
  }
});

Deno.test("an IdFilter of 5,000 ids says maybe to fewer than 0.05% of 20,000 other ids", () => {
  const ids = Array.from({ length: 5000 }, (_, i) => `job-${i}`);
  const filter = throughHeader(IdFilter.of(ids, ids.length));
  let maybes = 0;
  for (let i = 0; i < 20_000; i++) if (filter.mayHold(`other-${i}`)) maybes++;
  assert.ok(maybes < 10, `${maybes} false positives in 20,000`);
});

Deno.test("an IdFilter of no ids holds nothing", () => {
  const filter = IdFilter.of([], 0);
  assert.deepEqual(filter.toJSON(), { bits: "AAAAAAAAAAA=", hashes: 14 });
  assert.equal(filter.mayHold(""), false);
  assert.equal(filter.mayHold("job-1"), false);
});

Deno.test("an IdFilter is 20 bits per id, at least 64 bits, with 14 hashes", () => {
  const bytes = (count: number) =>
    Uint8Array.fromBase64(IdFilter.of(Array.from({ length: count }, (_, i) => `${i}`), count).toJSON().bits)
      .length;
  assert.deepEqual([bytes(0), bytes(3), bytes(4), bytes(5000)], [8, 8, 10, 12500]);
  assert.equal(IdFilter.of(["a"], 1).toJSON().hashes, 14);
});

Deno.test("IdFilter.toJSON() is the same for the same ids, whatever their order", () => {
  const ids = Array.from({ length: 100 }, (_, i) => `job-${i}`);
  const a = IdFilter.of(ids, ids.length).toJSON();
  const b = IdFilter.of([...ids].reverse(), ids.length).toJSON();
  assert.deepEqual(a, b);
});

// Computed by an independent implementation of the hashing written at the top of id_filter.ts
// (Python): a change to the hash, the sizing or the bit order breaks every stored filter.
Deno.test("IdFilter.toJSON() matches known filters, pinning the hash and the bit layout", () => {
  assert.equal(JSON.stringify(IdFilter.of(["a", "b", "c"], 3)), '{"bits":"OC7H5bick3E=","hashes":14}');
  assert.equal(JSON.stringify(IdFilter.of(["é€😀x"], 1)), '{"bits":"DsAAHIADcAA=","hashes":14}');
  assert.equal(JSON.stringify(IdFilter.of(["job-é", "a\ufffd"], 2)), '{"bits":"qRkppcQ4FkI=","hashes":14}');
  const twenty = Array.from({ length: 20 }, (_, i) => `job-${i}`);
  assert.equal(
    JSON.stringify(IdFilter.of(twenty, 20)),
    '{"bits":"J8HdX2FljRbDuRWyrfx2bOf15qgxAj/pbh4j1i6xUdUbYxotWrEEylhd44+lRF+DvJ4=","hashes":14}',
  );
});

Deno.test("IdFilter hashes a lone surrogate as U+FFFD, as UTF-8 encoders do", () => {
  assert.deepEqual(
    IdFilter.of(["job-é", "a\ud800"], 2).toJSON(),
    IdFilter.of(["job-é", "a\ufffd"], 2).toJSON(),
  );
});

Deno.test("IdFilter hashes a string longer than its scratch buffer like any other", () => {
  const long = "é".repeat(1000);
  const filter = throughHeader(IdFilter.of([long], 1));
  assert.equal(filter.mayHold(long), true);
  assert.equal(filter.mayHold("é".repeat(999)), false);
});

Deno.test("IdFilter.read() takes a filter written by hand with other sizes", () => {
  // one byte, one hash: "a" (h1 = 0xe40c292c) sets bit h1 mod 8 = 4, so 0x10 = "EA=="
  const filter = IdFilter.read({ bits: "EA==", hashes: 1 });
  assert.ok(filter instanceof IdFilter);
  assert.equal(filter.mayHold("a"), true);
  assert.deepEqual(filter.toJSON(), { bits: "EA==", hashes: 1 });
  assert.equal((IdFilter.read({ bits: "AA==", hashes: 1 }) as IdFilter).mayHold("a"), false);
});

Deno.test("IdFilter.read() refuses a malformed filter with a sentence saying why", () => {
  const bits = "IAjEwbgYEkE=";
  const cases: [unknown, RegExp][] = [
    [null, /not an object/],
    ["IAjEwbgYEkE=", /not an object/],
    [[bits, 7], /not an object/],
    [{ hashes: 7 }, /bits are not a non-empty string/],
    [{ bits: "", hashes: 7 }, /bits are not a non-empty string/],
    [{ bits: 12, hashes: 7 }, /bits are not a non-empty string/],
    [{ bits: "@@@@@@@@", hashes: 7 }, /bits are not valid base64/],
    [{ bits: "IAjEwbgYEkE", hashes: 7 }, /bits are not valid base64/],
    [{ bits: "IAjE wbgYEkE=", hashes: 7 }, /bits are not valid base64/],
    [{ bits: "EB==", hashes: 7 }, /bits are not valid base64/],
    [{ bits }, /hashes \(undefined\) are not an integer from 1 to 16/],
    [{ bits, hashes: 0 }, /hashes \(0\) are not an integer from 1 to 16/],
    [{ bits, hashes: 17 }, /hashes \(17\) are not an integer from 1 to 16/],
    [{ bits, hashes: 2.5 }, /hashes \(2.5\) are not an integer from 1 to 16/],
    [{ bits, hashes: "7" }, /hashes \("7"\) are not an integer from 1 to 16/],
  ];
  for (const [value, reason] of cases) {
    const read = IdFilter.read(value);
    assert.equal(typeof read, "string", JSON.stringify(value));
    assert.match(read as string, reason);
  }
});
