import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { checkToken, generateToken, MIN_TOKEN_LENGTH, tokenInFile } from "./token.ts";

Deno.test("generateToken() makes 192 random bits into 32 URL-safe characters", () => {
  assert.equal(generateToken((b) => b.fill(0xff)), "_".repeat(32));
  assert.equal(generateToken((b) => b.fill(0xfb)), "-_v7".repeat(8));
  const seen = new Set(Array.from({ length: 200 }, () => generateToken()));
  assert.equal(seen.size, 200);
  for (const token of seen) {
    assert.match(token, /^[A-Za-z0-9_-]{32}$/);
    assert.equal(checkToken("the generated token", token), token);
    assert.equal(encodeURIComponent(token), token);
  }
});

Deno.test("checkToken() refuses a short token, one with control or non-ASCII characters, or edge spaces, naming the source and never the token", () => {
  const refusal = (token: string) => {
    try {
      checkToken("--token", token);
    } catch (e) {
      assert.ok(e instanceof UsageError);
      assert.equal(e.exitCode, 2);
      if (token.length > 2) assert.ok(!e.message.includes(token), "the message holds the token");
      return e.message;
    }
    return null;
  };
  assert.equal(refusal("s3cret"), "Invalid --token: the token has 6 characters; use at least 16");
  assert.equal(refusal(""), "Invalid --token: the token has 0 characters; use at least 16");
  assert.match(
    refusal("0123456789abcdef\n")!,
    /^Invalid --token: the token may hold printable ASCII characters only/,
  );
  assert.match(refusal("0123456789abcdéf")!, /printable ASCII/);
  assert.equal(refusal(" 0123456789abcdef"), "Invalid --token: the token must not start or end with a space");
  assert.equal(refusal("0123456789abcdef "), "Invalid --token: the token must not start or end with a space");
  assert.equal(refusal("x".repeat(MIN_TOKEN_LENGTH)), null);
  assert.equal(refusal("t/k n&x=1;%20 and more"), null, "any printable ASCII inside");
});

Deno.test("tokenInFile() drops the final line break only", () => {
  assert.equal(tokenInFile("abc\n"), "abc");
  assert.equal(tokenInFile("abc\r\n"), "abc");
  assert.equal(tokenInFile("abc"), "abc");
  assert.equal(tokenInFile("abc\n\n"), "abc\n");
  assert.equal(tokenInFile(" abc \n"), " abc ");
});
