import assert from "node:assert/strict";
import { CLI_FLAGS } from "./run_flags.ts";

Deno.test("deno.json's queuectl and install tasks run the CLI with CLI_FLAGS, no more, no less", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  for (const task of ["queuectl", "install"]) {
    const flags = (config.tasks[task] as string).split(" ").filter((w) => /^--(allow|v8-flags)/.test(w));
    assert.deepEqual(flags, [...CLI_FLAGS], task);
  }
});
