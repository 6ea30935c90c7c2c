import assert from "node:assert/strict";
import { CLI_FLAGS } from "./run_flags.ts";

Deno.test("deno.json's queuectl task runs the CLI with CLI_FLAGS, no more, no less", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const flags = (config.tasks.queuectl as string).split(" ").filter((w) => /^--(allow|v8-flags)/.test(w));
  assert.deepEqual(flags, [...CLI_FLAGS]);
});

Deno.test("deno.json's install task installs through scripts/install.ts, which passes CLI_FLAGS", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assert.match(config.tasks.install, /\sscripts\/install\.ts$/);
  const script = await Deno.readTextFile(new URL("../../scripts/install.ts", import.meta.url));
  assert.match(script, /\.\.\.CLI_FLAGS,/);
});
