/**
 * `deno task install`: builds the bundle (scripts/build.ts: dist/main.js and its chunks) and
 * installs it as the `queuectl` command with `deno install --global`, with the CLI's flags
 * (src/cli/run_flags.ts) and no configuration file (the bundle needs none, and a deno.json where
 * the user runs it must not change how it resolves or locks anything). Arguments are passed on to
 * `deno install` (`--root <dir>`).
 *
 * It always builds first: the installed command runs dist/main.js of this checkout, so it runs the
 * code of the last install (or `deno task build`), never the sources as they are now; dist/build.json
 * names the commit it was built from. `deno task queuectl` runs the sources.
 */
import { build } from "./build.ts";
import { CLI_FLAGS } from "../src/cli/run_flags.ts";

const root = new URL("..", import.meta.url).pathname;

try {
  await build(`${root}dist`);
} catch (e) {
  console.error(`error: ${e instanceof Error ? e.message : e}`);
  Deno.exit(1);
}
const args = [
  "install",
  "--global",
  "--force",
  "--name",
  "queuectl",
  "--no-config",
  ...CLI_FLAGS,
  ...Deno.args,
  `${root}dist/main.js`,
];
const out = await new Deno.Command(Deno.execPath(), { args, stdout: "inherit", stderr: "inherit" }).output();
Deno.exit(out.code);
