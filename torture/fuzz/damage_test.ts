import assert from "node:assert/strict";
import { encodeLine, splitLines } from "../../src/store/codec.ts";
import { damage, DAMAGE_KINDS } from "./damage.ts";
import { rng } from "./rng.ts";

const enc = new TextEncoder();
const wal = new Uint8Array(
  [1, 2, 3, 4].flatMap((
    seq,
  ) => [...encodeLine({ seq, at: "2026-01-01T00:00:00.000Z", type: "stop_workers" })]),
);
const lineCount = (b: Uint8Array) => splitLines(b).lines.length;

Deno.test("damage() changes the bytes for every kind that applies, and is a function of the seed", () => {
  for (const kind of DAMAGE_KINDS) {
    for (let seed = 0; seed < 50; seed++) {
      const a = damage(rng(seed), kind, wal, true);
      const b = damage(rng(seed), kind, wal, true);
      assert.deepStrictEqual(a, b);
      if (a) assert.notDeepStrictEqual(a.bytes, wal, `${kind} seed ${seed}`);
    }
  }
});

Deno.test("damage() marks only what a crash can leave as a tail: torn appends and cuts of the log", () => {
  for (let seed = 0; seed < 200; seed++) {
    const torn = damage(rng(seed), "torn-append", wal, true)!;
    assert.strictEqual(torn.tail, "torn");
    assert.deepStrictEqual(torn.bytes.subarray(0, wal.length), wal, "a torn append keeps every whole line");
    assert.notStrictEqual(torn.bytes[torn.bytes.length - 1], 0x0a);
    const cut = damage(rng(seed), "truncate-tail", wal, true)!;
    assert.strictEqual(cut.tail, "last-cut");
    assert.strictEqual(lineCount(cut.bytes), 3, "only the last line is cut");
    const anywhere = damage(rng(seed), "truncate", wal, true)!;
    assert.strictEqual(anywhere.tail, "cut-at");
    assert.strictEqual(anywhere.cutLine, lineCount(anywhere.bytes));
    assert.strictEqual(damage(rng(seed), "truncate", wal, false)!.tail, "none");
    assert.strictEqual(damage(rng(seed), "truncate-tail", wal, false), null);
    for (const kind of ["flip", "flip-newline", "duplicate-line", "swap-lines", "delete-line"] as const) {
      assert.strictEqual(damage(rng(seed), kind, wal, true)!.tail, "none", kind);
    }
  }
});

Deno.test("damage() never deletes the log's last whole line (that leaves an earlier store's exact bytes)", () => {
  for (let seed = 0; seed < 200; seed++) {
    const d = damage(rng(seed), "delete-line", wal, true)!;
    const last = wal.subarray(wal.lastIndexOf(0x0a, wal.length - 2) + 1);
    assert.deepStrictEqual(d.bytes.subarray(d.bytes.length - last.length), last);
  }
  assert.strictEqual(damage(rng(1), "delete-line", enc.encode("only\n"), true), null);
});
