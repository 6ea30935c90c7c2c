import assert from "node:assert/strict";
import {
  hasSignal,
  isStoppedState,
  parseSignalMasks,
  parseState,
  processState,
  readSignalMasks,
} from "./proc_status.ts";
import { waitFor } from "../../testkit/mod.ts";

const STATUS = [
  "Name:\tdeno",
  "SigQ:\t0/31451",
  "SigPnd:\t0000000000000000",
  "SigBlk:\t0000000000000000",
  "SigIgn:\t0000000000001001",
  "SigCgt:\t0000000100004642",
  "CapInh:\t0000000000000000",
].join("\n");

Deno.test("parseSignalMasks() reads SigIgn and SigCgt as bit sets, and null when one is missing", () => {
  const masks = parseSignalMasks(STATUS);
  assert.deepEqual(masks, { ignored: 0x1001n, caught: 0x100004642n });
  assert.equal(hasSignal(masks!.ignored, 1), true, "SIGHUP ignored");
  assert.equal(hasSignal(masks!.ignored, 13), true, "SIGPIPE ignored");
  assert.equal(hasSignal(masks!.ignored, 2), false);
  assert.equal(hasSignal(masks!.caught, 2), true, "SIGINT caught");
  assert.equal(hasSignal(masks!.caught, 33), true, "a real-time signal, beyond 32 bits");
  assert.equal(parseSignalMasks("SigIgn:\t0000000000001001\n"), null);
  assert.equal(parseSignalMasks(""), null);
});

Deno.test("readSignalMasks() reads a live process's masks through the shell, and null for no process", () => {
  const masks = readSignalMasks(Deno.pid);
  assert.notEqual(masks, null);
  // Deno ignores SIGPIPE (a closed pipe is an error, not a death)
  assert.equal(hasSignal(masks!.ignored, 13), true);
  assert.equal(readSignalMasks(2 ** 22 + 12345), null);
});

Deno.test("processState() tells a stopped process (T) from a running or sleeping one, and null for none", async () => {
  assert.equal(parseState("T 1 2 3"), "T");
  assert.equal(parseState(""), null);
  assert.equal(isStoppedState("T"), true);
  assert.equal(isStoppedState("t"), true);
  assert.equal(isStoppedState("S"), false);
  assert.equal(isStoppedState(null), false);
  const child = new Deno.Command("sleep", { args: ["300"], stdout: "null", stderr: "null" }).spawn();
  try {
    assert.match((await processState(child.pid)) ?? "", /^[RS]$/);
    child.kill("SIGSTOP");
    await waitFor(async () => (await processState(child.pid)) === "T", "the child to be stopped");
    child.kill("SIGCONT");
    await waitFor(
      async () => isStoppedState(await processState(child.pid)) === false,
      "the child to run again",
    );
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
  assert.equal(await processState(2 ** 22 + 12345), null);
});
