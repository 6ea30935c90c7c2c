import assert from "node:assert/strict";
import fc from "fast-check";
import { crc32, crc32Ascii, decodeLine, encodeLine, hex8, hex8Into, splitLines } from "./codec.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

const RECORD = {
  seq: 7,
  at: "2026-11-23T12:00:00.000Z",
  type: "claim",
  worker: "w1",
  lease_until: "2026-11-23T12:00:30.000Z",
  ids: ["a1", "b2"],
};

/** Decodes an encoded line as a reader would: the line without its newline. */
function decodeEncoded(bytes: Uint8Array) {
  return decodeLine(bytes, 0, bytes.length - 1);
}

/** Objects as a record could hold them; `crc` is the codec's own member. */
const arbRecord = fc.dictionary(
  fc.string().filter((k) => k !== "crc"),
  fc.jsonValue(),
  { minKeys: 1, maxKeys: 6 },
);

Deno.test("crc32() matches the standard CRC-32 check value", () => {
  assert.strictEqual(crc32(enc.encode("123456789")), 0xcbf43926);
  assert.strictEqual(crc32(new Uint8Array()), 0);
  const bytes = enc.encode("xx123456789yy");
  assert.strictEqual(crc32(bytes, 2, 11), 0xcbf43926);
  assert.strictEqual(crc32(enc.encode("6789"), 0, 4, crc32(enc.encode("12345"))), 0xcbf43926);
});

Deno.test("encodeLine() writes one JSON line sealed by a crc member", () => {
  const bytes = encodeLine(RECORD);
  const text = dec.decode(bytes);
  assert.ok(text.endsWith("\n"));
  assert.strictEqual(text.indexOf("\n"), text.length - 1);
  assert.match(text, /,"crc":"[0-9a-f]{8}"\}\n$/);
  const parsed = JSON.parse(text);
  assert.deepStrictEqual({ ...parsed, crc: undefined }, { ...RECORD, crc: undefined });
  const body = JSON.stringify(RECORD);
  assert.strictEqual(parsed.crc, crc32(enc.encode(body)).toString(16).padStart(8, "0"));
});

Deno.test("encodeLine() refuses values that are not objects", () => {
  assert.throws(() => encodeLine([1, 2]), TypeError);
  assert.throws(() => encodeLine(new String("x")), TypeError);
});

Deno.test("decodeLine() round-trips a record, without its crc member", () => {
  const result = decodeEncoded(encodeLine(RECORD));
  assert.deepStrictEqual(result, { ok: true, value: RECORD });
});

Deno.test("encodeLine() of an empty object writes a line that reads back, or refuses it", () => {
  let bytes: Uint8Array;
  try {
    bytes = encodeLine({});
  } catch (e) {
    assert.ok(e instanceof TypeError);
    return;
  }
  const text = dec.decode(bytes);
  assert.doesNotThrow(() => JSON.parse(text), `not JSON: ${text}`);
  assert.deepStrictEqual(decodeEncoded(bytes), { ok: true, value: {} });
});

Deno.test("decodeLine() reads a line in the middle of a buffer", () => {
  const a = encodeLine({ seq: 1 });
  const b = encodeLine({ seq: 2, s: "é" });
  const buf = new Uint8Array([...a, ...b]);
  assert.deepStrictEqual(decodeLine(buf, a.length, buf.length - 1), { ok: true, value: { seq: 2, s: "é" } });
});

Deno.test("encodeLine() keeps unicode and newlines inside strings, and the line has no raw newline", () => {
  const value = {
    command: "printf 'a\\nb'\nsecond line\r\n\ttab",
    note: "héllo wörld — 日本語 🚀 \u2028 \u0000 end",
    lone: "\ud800",
  };
  const bytes = encodeLine(value);
  assert.strictEqual(bytes.indexOf(0x0a), bytes.length - 1);
  assert.strictEqual(bytes.indexOf(0x0d), -1);
  const result = decodeEncoded(bytes);
  assert.ok(result.ok);
  assert.deepStrictEqual(result.value, JSON.parse(JSON.stringify(value)));
  assert.strictEqual(result.value.note, value.note);
  assert.strictEqual(result.value.command, value.command);
});

Deno.test("decodeLine() round-trips any JSON object, and encoded lines hold exactly one newline", () => {
  fc.assert(
    fc.property(arbRecord, (value) => {
      const bytes = encodeLine(value);
      assert.strictEqual(bytes.indexOf(0x0a), bytes.length - 1);
      const result = decodeEncoded(bytes);
      assert.ok(result.ok, !result.ok ? result.why : "");
      assert.deepStrictEqual(result.value, JSON.parse(JSON.stringify(value)));
    }),
  );
});

Deno.test("decodeLine() detects every single-byte change of an encoded line", () => {
  const bytes = encodeLine({ seq: 3, at: "2026-01-01T00:00:00.000Z", type: "retry", ids: ["ü-1"] });
  const end = bytes.length - 1;
  let checked = 0;
  for (let pos = 0; pos < end; pos++) {
    for (let v = 0; v < 256; v++) {
      if (v === bytes[pos]) continue;
      const flipped = bytes.slice();
      flipped[pos] = v;
      const result = decodeLine(flipped, 0, end);
      if (result.ok) assert.fail(`byte ${pos} set to ${v} went unnoticed: ${dec.decode(flipped)}`);
      checked++;
    }
  }
  assert.strictEqual(checked, end * 255);
});

Deno.test("decodeLine() detects a single-byte change at any position of any record", () => {
  fc.assert(
    fc.property(
      arbRecord,
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (value, at, delta) => {
        const bytes = encodeLine(value);
        const end = bytes.length - 1;
        const pos = at % end;
        const flipped = bytes.slice();
        flipped[pos] = (flipped[pos] + delta) & 0xff;
        const result = decodeLine(flipped, 0, end);
        assert.strictEqual(result.ok, false, `byte ${pos} changed by ${delta} went unnoticed`);
      },
    ),
  );
});

Deno.test("decodeLine() detects a line cut short at either end", () => {
  const bytes = encodeLine(RECORD);
  const end = bytes.length - 1;
  for (let cut = 0; cut < end; cut++) {
    assert.strictEqual(decodeLine(bytes, 0, cut).ok, false, `cut to ${cut} bytes`);
  }
  for (let from = 1; from < end; from++) {
    assert.strictEqual(decodeLine(bytes, from, end).ok, false, `started at byte ${from}`);
  }
});

Deno.test("decodeLine() refuses a line without a crc", () => {
  const plain = enc.encode(JSON.stringify(RECORD));
  const result = decodeLine(plain, 0, plain.length);
  assert.deepStrictEqual(result, { ok: false, why: "the line has no checksum" });
  const short = enc.encode("{}");
  assert.deepStrictEqual(decodeLine(short, 0, short.length), {
    ok: false,
    why: "the line is too short to be a record",
  });
});

Deno.test("decodeLine() names a malformed or mismatched checksum", () => {
  const text = dec.decode(encodeLine(RECORD)).slice(0, -1);
  const malformed = enc.encode(text.replace(/"crc":"[0-9a-f]{8}"/, `"crc":"ABCDEF12"`));
  assert.deepStrictEqual(decodeLine(malformed, 0, malformed.length), {
    ok: false,
    why: "the checksum is malformed",
  });
  const zeroed = enc.encode(text.replace(/"crc":"[0-9a-f]{8}"/, `"crc":"00000000"`));
  const result = decodeLine(zeroed, 0, zeroed.length);
  assert.strictEqual(result.ok, false);
  assert.match(!result.ok ? result.why : "", /^checksum mismatch \(stored 00000000, computed [0-9a-f]{8}\)$/);
});

Deno.test("decodeLine() refuses a correctly sealed line that is not valid JSON", () => {
  // seal by hand: the checksum covers the text before the crc member plus the closing "}"
  const head = '{"seq":1,"broken":';
  const crc = crc32(enc.encode(head + "}")).toString(16).padStart(8, "0");
  const line = enc.encode(`${head},"crc":"${crc}"}`);
  const result = decodeLine(line, 0, line.length);
  assert.strictEqual(result.ok, false);
  assert.match(!result.ok ? result.why : "", /^invalid JSON/);
});

Deno.test("splitLines() returns complete lines and where the unfinished tail starts", () => {
  const bytes = enc.encode('{"a":1}\n{"b":2}\n{"c":');
  const { lines, complete } = splitLines(bytes);
  assert.deepStrictEqual(lines, [[0, 7], [8, 15]]);
  assert.strictEqual(complete, 16);
  assert.strictEqual(dec.decode(bytes.subarray(complete)), '{"c":');
});

Deno.test("splitLines() of whole lines leaves no tail, and of no newline leaves all of it", () => {
  const whole = enc.encode("ab\ncd\n");
  assert.deepStrictEqual(splitLines(whole), { lines: [[0, 2], [3, 5]], complete: 6 });
  const none = enc.encode("partial");
  assert.deepStrictEqual(splitLines(none), { lines: [], complete: 0 });
  assert.deepStrictEqual(splitLines(new Uint8Array()), { lines: [], complete: 0 });
  assert.deepStrictEqual(splitLines(enc.encode("\n\n")), { lines: [[0, 0], [1, 1]], complete: 2 });
});

Deno.test("splitLines() starts from an offset", () => {
  const bytes = enc.encode("skip\nab\ncd");
  assert.deepStrictEqual(splitLines(bytes, 5), { lines: [[5, 7]], complete: 8 });
  assert.deepStrictEqual(splitLines(bytes, bytes.length), { lines: [], complete: bytes.length });
});

Deno.test("splitLines() and decodeLine() together read back every record before a torn tail", () => {
  fc.assert(
    fc.property(fc.array(arbRecord, { maxLength: 5 }), fc.nat(), (values, tornAt) => {
      const lines = values.map((v) => encodeLine(v));
      const torn = encodeLine({ seq: 99 });
      const tail = torn.subarray(0, tornAt % torn.length); // never the whole line
      const buf = new Uint8Array([...lines.flatMap((l) => [...l]), ...tail]);
      const split = splitLines(buf);
      assert.strictEqual(split.lines.length, values.length);
      assert.strictEqual(split.complete, buf.length - tail.length);
      split.lines.forEach(([s, e], i) => {
        const r = decodeLine(buf, s, e);
        assert.ok(r.ok);
        assert.deepStrictEqual(r.value, JSON.parse(JSON.stringify(values[i])));
      });
    }),
  );
});

Deno.test("property: crc32() (eight bytes per step) equals the bitwise definition for any bytes, range and seed", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 100 }),
      fc.nat(),
      fc.nat(),
      fc.nat({ max: 0xffffffff }),
      (b, x, y, seed) => {
        const start = b.length ? x % (b.length + 1) : 0;
        const end = start + (y % (b.length - start + 1));
        assert.strictEqual(crc32(b, start, end, seed), bitwiseCrc(b.subarray(start, end), seed));
      },
    ),
  );
});

/** CRC-32 by its bitwise definition: the reference the table-driven paths are held to. */
function bitwiseCrc(bytes: Uint8Array, seed: number): number {
  let c = ~seed;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

/** 1.2 MiB of bytes from a fixed xorshift sequence: long enough for every path of crc32(). */
const LONG = (() => {
  const b = new Uint8Array(1_200_000);
  let x = 0x9e3779b9;
  for (let i = 0; i < b.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
})();

Deno.test("property: crc32() of long ranges (WebAssembly from 16 KiB, JavaScript from 1 MiB) equals the bitwise definition", () => {
  // lengths about each threshold and each 64,512-byte chunk of the WebAssembly path, and any
  const lengths = fc.oneof(
    fc.integer({ min: 16 * 1024 - 2, max: 16 * 1024 + 2 }),
    fc.integer({ min: 64_510, max: 64_514 }),
    fc.integer({ min: 129_022, max: 129_026 }),
    fc.integer({ min: 1024 * 1024 - 2, max: 1024 * 1024 + 2 }),
    fc.integer({ min: 0, max: LONG.length }),
  );
  fc.assert(
    fc.property(lengths, fc.nat(), fc.nat({ max: 0xffffffff }), (length, x, seed) => {
      const start = x % (LONG.length - length + 1);
      const end = start + length;
      assert.strictEqual(crc32(LONG, start, end, seed), bitwiseCrc(LONG.subarray(start, end), seed));
    }),
    { numRuns: 40 },
  );
});

Deno.test("property: crc32() of a range split anywhere, the second part seeded with the first's, is the whole range's", () => {
  fc.assert(
    fc.property(fc.nat({ max: LONG.length }), fc.nat({ max: LONG.length }), (x, y) => {
      const [start, end] = x <= y ? [x, y] : [y, x];
      const mid = start + Math.floor((end - start) / 3);
      assert.strictEqual(crc32(LONG, mid, end, crc32(LONG, start, mid)), crc32(LONG, start, end));
    }),
    { numRuns: 40 },
  );
});

Deno.test("crc32() gives the same checksums where WebAssembly is unavailable (deno --v8-flags=--jitless)", async () => {
  const codec = new URL("./codec.ts", import.meta.url).href;
  const script = `import { crc32 } from ${JSON.stringify(codec)};
    const b = new Uint8Array(${LONG.length}).map((_, i) => (i * 31 + (i >> 9)) & 0xff);
    console.log(typeof WebAssembly, [100, 20_000, 200_000, 1_100_000].map((n) => crc32(b, 0, n)).join(" "));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--jitless", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const b = new Uint8Array(LONG.length).map((_, i) => (i * 31 + (i >> 9)) & 0xff);
  const expected = [100, 20_000, 200_000, 1_100_000].map((n) => bitwiseCrc(b.subarray(0, n), 0));
  assert.equal(new TextDecoder().decode(out.stdout).trim(), `undefined ${expected.join(" ")}`);
});

Deno.test("hex8Into() writes the digits hex8() spells, and returns the position after them", () => {
  const buf = new Uint8Array(12);
  for (const n of [0, 1, 0xf, 0x10, 0xff, 0x1234abcd, 0x80000000, 0xdeadbeef, 0xffffffff]) {
    buf.fill(0x2e);
    assert.equal(hex8Into(n, buf, 2), 10);
    assert.equal(new TextDecoder().decode(buf), `..${hex8(n)}..`);
  }
});

Deno.test("crc32Ascii() of an ASCII text is crc32() of its bytes, from any seed", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  for (const text of ["", "0 ", "12345 ", "a line of ASCII text, with digits 0123456789"]) {
    assert.equal(crc32Ascii(text), crc32(bytes(text)));
    assert.equal(crc32Ascii(text, 0xdeadbeef), crc32(bytes(text), 0, text.length, 0xdeadbeef));
  }
});
