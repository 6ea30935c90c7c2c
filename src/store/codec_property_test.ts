/**
 * Properties of the record codec beyond codec_test.ts: any text (unicode, control characters,
 * NUL, lone surrogates) round-trips exactly; any cut of any record is detected; a line can never
 * decode into two records, whatever byte of it turns into a newline, and two lines spliced
 * together never decode as one.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeLine, encodeLine, encodeLines, sealInto, splitLines } from "./codec.ts";

/** Strings that mix any code unit with the awkward ones: NUL, newlines, separators, lone surrogates. */
const arbText = fc.array(
  fc.oneof(
    fc.string({ unit: "binary", maxLength: 8 }),
    fc.constantFrom(
      "\u0000",
      "\n",
      "\r",
      "\u2028",
      "\u2029",
      "\ud800",
      "\udfff",
      "\u007f",
      '"',
      "\\",
      "}",
      '"crc":"',
    ),
  ),
  { maxLength: 12 },
).map((parts) => parts.join(""));

const arbRecord = fc.record({
  seq: fc.nat(),
  at: fc.constant("2026-11-23T12:00:00.000Z"),
  type: fc.constantFrom("enqueue", "finish", "claim"),
  note: arbText,
  nested: fc.dictionary(arbText.filter((k) => k !== "crc"), fc.oneof(arbText, fc.double(), fc.boolean())),
});

const decodeEncoded = (bytes: Uint8Array) => decodeLine(bytes, 0, bytes.length - 1);

Deno.test("property: any text, lone surrogates and NUL included, round-trips exactly through a line", () => {
  fc.assert(
    fc.property(arbRecord, (value) => {
      const bytes = encodeLine(value);
      assert.strictEqual(bytes.indexOf(0x0a), bytes.length - 1, "one newline, at the end");
      const r = decodeEncoded(bytes);
      assert.ok(r.ok, !r.ok ? r.why : "");
      assert.strictEqual(r.value.note, value.note);
      assert.deepStrictEqual(r.value, JSON.parse(JSON.stringify(value)));
    }),
    { numRuns: 500 },
  );
});

Deno.test("property: a record cut at any point, from either end, is detected", () => {
  fc.assert(
    fc.property(arbRecord, fc.nat(), fc.boolean(), (value, n, fromStart) => {
      const bytes = encodeLine(value);
      const end = bytes.length - 1;
      const cut = 1 + (n % (end - 1));
      const r = fromStart ? decodeLine(bytes, cut, end) : decodeLine(bytes, 0, end - cut);
      assert.strictEqual(r.ok, false);
    }),
    { numRuns: 500 },
  );
});

Deno.test("property: whichever byte of a line becomes a newline, neither piece decodes as a record", () => {
  fc.assert(
    fc.property(arbRecord, fc.nat(), (value, n) => {
      const bytes = encodeLine(value);
      const at = n % (bytes.length - 1);
      const changed = bytes.slice();
      changed[at] = 0x0a;
      const { lines } = splitLines(changed);
      assert.strictEqual(lines.length, 2);
      for (const [s, e] of lines) assert.strictEqual(decodeLine(changed, s, e).ok, false, `piece ${s}-${e}`);
    }),
    { numRuns: 500 },
  );
});

Deno.test("property: any single-byte change of a unicode record is detected", () => {
  fc.assert(
    fc.property(arbRecord, fc.nat(), fc.integer({ min: 1, max: 255 }), (value, n, delta) => {
      const bytes = encodeLine(value);
      const at = n % (bytes.length - 1);
      const changed = bytes.slice();
      changed[at] = (changed[at] + delta) & 0xff;
      if (changed[at] === 0x0a) return; // a new line break: the property above
      assert.strictEqual(decodeLine(changed, 0, bytes.length - 1).ok, false);
    }),
    { numRuns: 1000 },
  );
});

Deno.test("property: two records spliced into one line (a lost newline) never decode", () => {
  fc.assert(
    fc.property(arbRecord, arbRecord, fc.constantFrom(0x20, 0x00, 0x0d, 0x7b), (a, b, glue) => {
      const x = encodeLine(a);
      const y = encodeLine(b);
      const spliced = new Uint8Array(x.length + y.length - 1);
      spliced.set(x);
      spliced[x.length - 1] = glue; // the newline between them, damaged
      spliced.set(y.subarray(0, y.length - 1), x.length);
      assert.strictEqual(decodeLine(spliced, 0, spliced.length).ok, false);
    }),
    { numRuns: 500 },
  );
});

Deno.test("property: sealInto() writes what encodeLine() encodes, with or without a last member added", () => {
  const objectArb = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), {
    minKeys: 0,
    maxKeys: 6,
  })
    .filter((o) => !("o" in o));
  fc.assert(
    fc.property(objectArb, fc.nat({ max: 20 }), fc.nat(), fc.nat(), (obj, at, list, pos) => {
      const buf = new Uint8Array(64 * 1024);
      if (Object.keys(obj).length > 0) {
        const n = sealInto(JSON.stringify(obj), buf, at);
        assert.deepEqual(buf.slice(at, at + n), encodeLine(obj));
      }
      const m = sealInto(JSON.stringify(obj), buf, at, `"o":[${list},${pos}]`);
      assert.deepEqual(buf.slice(at, at + m), encodeLine({ ...obj, o: [list, pos] }));
      assert.equal(
        sealInto(JSON.stringify(obj), buf.subarray(0, 10), 0, `"o":[1,2]`),
        -1,
        "no room: nothing written",
      );
    }),
    { numRuns: 300 },
  );
});

Deno.test("property: encodeLines() writes the lines sealInto() writes one after another, ASCII or not, in any mix", () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(arbRecord, fc.record({ seq: fc.nat(), ascii: fc.string() })), { maxLength: 8 }),
      (values) => {
        const buf = new Uint8Array(64 * 1024);
        let at = 0;
        for (const value of values) at += sealInto(JSON.stringify(value), buf, at);
        const bytes = encodeLines(values);
        assert.deepEqual(bytes, buf.slice(0, at));
        assert.equal(bytes.buffer.byteLength, bytes.length, "no spare room kept alive");
      },
    ),
    { numRuns: 500 },
  );
});
