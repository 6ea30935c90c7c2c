import assert from "node:assert/strict";
import { LoginLimiter, MAX_FAILURES, WINDOW_MS } from "./limiter.ts";

Deno.test("an address is refused after MAX_FAILURES failed logins until its window ends; others are not", () => {
  let now = 1_000_000;
  const limiter = new LoginLimiter(() => now);
  for (let i = 0; i < MAX_FAILURES - 1; i++) {
    limiter.failed("10.0.0.1");
    now += 1_000;
  }
  assert.equal(limiter.refusedFor("10.0.0.1"), 0, "one more to go");
  limiter.failed("10.0.0.1");
  assert.equal(limiter.refusedFor("10.0.0.1"), WINDOW_MS - (MAX_FAILURES - 1) * 1_000);
  assert.equal(limiter.refusedFor("10.0.0.2"), 0);
  now = 1_000_000 + WINDOW_MS - 1;
  assert.equal(limiter.refusedFor("10.0.0.1"), 1);
  now += 1;
  assert.equal(limiter.refusedFor("10.0.0.1"), 0, "the window is over");
  limiter.failed("10.0.0.1");
  assert.equal(limiter.refusedFor("10.0.0.1"), 0, "a new window, with one failure");
});

Deno.test("failures spread wider than the window never add up to a refusal", () => {
  let now = 0;
  const limiter = new LoginLimiter(() => now);
  for (let i = 0; i < 5 * MAX_FAILURES; i++) {
    limiter.failed("::1");
    assert.equal(limiter.refusedFor("::1"), 0, `failure ${i + 1}`);
    now += WINDOW_MS / (MAX_FAILURES - 1) + 1;
  }
});

Deno.test("the table of addresses stays bounded: expired windows go first, then the oldest", () => {
  let now = 0;
  const limiter = new LoginLimiter(() => now, 3, 1_000, 4);
  for (const a of ["a", "b"]) limiter.failed(a);
  now = 2_000; // a and b have expired
  for (const a of ["c", "d", "e"]) limiter.failed(a);
  assert.equal(limiter.size, 3);
  for (let i = 0; i < 3; i++) limiter.failed("c");
  assert.ok(limiter.refusedFor("c") > 0);
  limiter.failed("f");
  limiter.failed("g"); // full: the oldest (c) goes
  assert.equal(limiter.size, 4);
  assert.equal(limiter.refusedFor("c"), 0);
});
