import assert from "node:assert/strict";
import fc from "fast-check";
import { crc32, encodeLine, hex8 } from "./codec.ts";
import { NOW, pendingJob, withPendingHome } from "./_pending_fixtures.ts";
import { writePendingSegment } from "./pending_write.ts";
import {
  decodeEntry,
  decodeJobLine,
  encodeEntry,
  encodeIndexLine,
  ENTRY_ROOM,
  ENTRY_WIDTH,
  entryInto,
  entrySeed,
  idAtStart,
  indexLineInto,
  parseIndexLine,
  placeInLine,
} from "./pending_format.ts";

const encoder = new TextEncoder();

Deno.test("an order entry round-trips at its width, and fails when read as another entry or with bad columns", () => {
  const cases = [
    { seq: 1, priority: 0, run_at: null, offset: 0, length: 1 },
    {
      seq: Number.MAX_SAFE_INTEGER,
      priority: -1_000_000_000,
      run_at: "9999-12-31T23:59:59.999Z",
      offset: 10 ** 12 - 1,
      length: 10 ** 9 - 1,
    },
    { seq: 42, priority: 5, run_at: "0000-01-01T00:00:00.000Z", offset: 12345, length: 412 },
  ];
  for (const [k, e] of cases.entries()) {
    const line = encoder.encode(encodeEntry(k + 7, e));
    assert.equal(line.length, ENTRY_WIDTH);
    assert.deepEqual(decodeEntry(k + 7, line, 0), e);
    assert.equal(decodeEntry(k + 8, line, 0), `order entry ${k + 8} fails its checksum`);
  }
  assert.equal(
    encodeEntry(0, cases[2]),
    "0000000000000042 +0000000005 0000-01-01T00:00:00.000Z 000000012345 000000412 " +
      hex8(
        crc32(
          encoder.encode("0 0000000000000042 +0000000005 0000-01-01T00:00:00.000Z 000000012345 000000412"),
        ),
      ) +
      "\n",
  );
  // sealed, but not in the columns' form
  const bad = "00000000000000x2 +0000000005 ------------------------ 000000012345 000000412";
  const sealed = encoder.encode(`${bad} ${hex8(crc32(encoder.encode(bad), 0, bad.length, entrySeed(3)))}\n`);
  assert.equal(decodeEntry(3, sealed, 0), "order entry 3 is malformed");
  assert.equal(decodeEntry(3, sealed.subarray(1), 0), "an order entry is not where its fixed width puts it");
});

Deno.test("an index line round-trips, and fails its checksum or form", () => {
  const line = encodeIndexLine("job-1", 1234, 410, 2, 17);
  assert.equal(line, `job-1 1234 410 2 17 ${hex8(crc32(encoder.encode("job-1 1234 410 2 17")))}\n`);
  assert.deepEqual(parseIndexLine(line.slice(0, -1)), {
    id: "job-1",
    offset: 1234,
    length: 410,
    list: 2,
    pos: 17,
  });
  assert.equal(parseIndexLine(line.slice(0, -1).replace("1234", "1235")), null);
  const short = `a 1 2 ${hex8(crc32(encoder.encode("a 1 2")))}`;
  assert.equal(parseIndexLine(short), null);
});

Deno.test("entryInto() and indexLineInto() write byte for byte what encodeEntry() and encodeIndexLine() spell", () => {
  const decoder = new TextDecoder();
  // the edges of the columns and of the writers' arithmetic (small integers up to 2^30, then 8 digits at a time)
  const edges = [0, 9, 10, 2 ** 30 - 1, 2 ** 30, 2 ** 31, 99_999_999, 100_000_000];
  const whole = (max: number) =>
    fc.oneof(fc.constantFrom(...edges.filter((e) => e <= max), max), fc.nat(max));
  fc.assert(
    fc.property(
      whole(2 ** 32),
      whole(Number.MAX_SAFE_INTEGER),
      fc.integer({ min: -(10 ** 10) + 1, max: 10 ** 10 - 1 }),
      fc.option(
        fc.date({
          min: new Date("0000-01-01T00:00:00.000Z"),
          max: new Date("9999-12-31T23:59:59.999Z"),
          noInvalidDate: true,
        }),
      ),
      whole(10 ** 12 - 1),
      whole(10 ** 9 - 1),
      fc.oneof(
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,20}$/),
        fc.string({ minLength: 1, unit: "grapheme" }),
      ),
      (k, seq, priority, date, offset, length, id) => {
        const e = { seq, priority, run_at: date ? date.toISOString() : null, offset, length };
        const buf = new Uint8Array(3 + ENTRY_ROOM + id.length * 3 + 70);
        const end = entryInto(k, e.seq, e.priority, e.run_at, e.offset, e.length, buf, 3);
        assert.equal(end - 3, ENTRY_WIDTH);
        assert.equal(decoder.decode(buf.subarray(3, end)), encodeEntry(k, e));
        const list = k % 1000;
        const lineEnd = indexLineInto(id, offset, length, list, k, buf, 5);
        assert.equal(decoder.decode(buf.subarray(5, lineEnd)), encodeIndexLine(id, offset, length, list, k));
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("a job line's place and id are read from its bytes, and agree with parsing it", () => {
  const job = pendingJob("abc", 3);
  const line = encodeLine({ ...job, o: [4, 1234] });
  const end = line.length - 1;
  const place = placeInLine(line, 0, end)!;
  assert.deepEqual([place.list, place.pos], [4, 1234]);
  assert.equal(new TextDecoder().decode(line.subarray(place.member, place.member + 6)), `,"o":[`);
  assert.equal(idAtStart(line, 0, end), "abc");
  const decoded = decodeJobLine(line, 0, end);
  assert.ok(typeof decoded !== "string");
  assert.deepEqual(decoded, { job, list: 4, pos: 1234 });
  // without the member, or not beginning with the id
  const plain = encodeLine(job);
  assert.equal(placeInLine(plain, 0, plain.length - 1), null);
  assert.equal(decodeJobLine(plain, 0, plain.length - 1), "the job line has no place in the claim order");
  const other = encodeLine({ queue: "q", id: "x", o: [0, 0] });
  assert.equal(idAtStart(other, 0, other.length - 1), null);
});

Deno.test("the streamed writer's lines are the reference encodings of what they hold", () => {
  withPendingHome((paths, reader) => {
    const jobs = Array.from({ length: 50 }, (_, i) => pendingJob(`r${49 - i}`, i + 1, { priority: i % 3 }));
    const seg = writePendingSegment(paths, 1, jobs, NOW);
    const index = Deno.readTextFileSync(paths.pendingIndex(1));
    const expected = [...reader.scan(seg)]
      .map((p) => ({ ...p, id: p.job.id }))
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((p) => encodeIndexLine(p.id, p.offset, p.length, p.list, p.pos))
      .join("");
    assert.equal(index, expected);
    const order = Deno.readTextFileSync(paths.pendingOrder(1));
    const entries = order.slice(order.length - seg.jobs * ENTRY_WIDTH);
    let k = 0;
    const again = seg.lists.flatMap((_, list) =>
      [...reader.walk(seg, list)].map(({ entry }) => encodeEntry(k++, entry))
    );
    assert.equal(entries, again.join(""));
    const lines = Deno.readFileSync(paths.pendingJobs(1));
    let at = 0;
    for (const p of reader.scan(seg)) {
      const line = encodeLine({ ...p.job, o: [p.list, p.pos] });
      assert.deepEqual(lines.subarray(at, at + line.length), line);
      at += line.length;
    }
  });
});
