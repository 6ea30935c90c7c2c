import assert from "node:assert/strict";
import fc from "fast-check";
import { UsageError } from "../errors.ts";
import { decodeInput, firstInvalid } from "./utf8.ts";

Deno.test("decodeInput() returns valid UTF-8 text, without a leading BOM", () => {
  const text = "echo 日本語 🎉 é\u0301";
  assert.strictEqual(decodeInput(new TextEncoder().encode("\ufeff" + text), "stdin"), text);
});

Deno.test("decodeInput() refuses bytes that are not UTF-8, naming the input and the first bad byte", () => {
  const bytes = new Uint8Array([0x61, 0x62, 0xed, 0xa0, 0x80, 0x63]); // an encoded lone surrogate
  assert.throws(() => decodeInput(bytes, "--file jobs.jsonl"), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.strictEqual(e.message, "Cannot read --file jobs.jsonl: it is not valid UTF-8 (at byte 2)");
    return true;
  });
});

Deno.test("property: firstInvalid() is -1 exactly when a strict decoder accepts the bytes, and the prefix before it decodes", () => {
  const strict = new TextDecoder("utf-8", { fatal: true });
  const valid = (b: Uint8Array) => {
    try {
      strict.decode(b);
      return true;
    } catch {
      return false;
    }
  };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 24 }), fc.string({ unit: "binary" }), (raw, text) => {
      for (const bytes of [raw, new TextEncoder().encode(text)]) {
        const at = firstInvalid(bytes);
        assert.strictEqual(at === -1, valid(bytes));
        if (at >= 0) assert.ok(valid(bytes.subarray(0, at)));
      }
    }),
    { numRuns: 5000 },
  );
});
