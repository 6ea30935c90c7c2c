import assert from "node:assert/strict";
import { descriptorLimit, slotsForLimit, slotsProblem } from "./limits.ts";

Deno.test("descriptorLimit() is the shell's `ulimit -n`", async () => {
  const out = await new Deno.Command("/bin/sh", { args: ["-c", "ulimit -n"] }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.equal(await descriptorLimit(), text === "unlimited" ? null : Number(text));
});

Deno.test("slotsForLimit() counts two descriptors a slot after a reserve of 64", () => {
  assert.equal(slotsForLimit(1024), 480);
  assert.equal(slotsForLimit(64), 0);
  assert.equal(slotsForLimit(10), 0);
  assert.equal(slotsForLimit(null), Infinity);
});

Deno.test("slotsProblem() names the limit when it cannot carry the slots asked for", () => {
  assert.equal(slotsProblem(480, 1024), null);
  assert.equal(
    slotsProblem(481, 1024),
    "the descriptor limit (ulimit -n) is 1024, enough for 480 slot(s); raise it or start fewer",
  );
  assert.equal(slotsProblem(1_000_000, null), null);
});
