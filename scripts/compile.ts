/**
 * `deno task compile`: builds dist/queuectl, a standalone binary with the least permissions the
 * CLI needs (src/cli/run_flags.ts: read/write its home and job output, run `sh`, read the
 * environment and its user id, the network for the dashboard and a worker's socket). `deno compile`
 * downloads a `denort` runtime for the target; where that download cannot be reached, this says
 * so in one line and exits 1 instead of pretending.
 *
 * Nothing needs `--include`: the dashboard's page files (`src/dashboard/page/`) are imported as text
 * by `src/dashboard/static.ts`, so they are in main.ts's module graph and embedded with it
 * (`src/dashboard/static_test.ts` checks the graph holds every file the server serves).
 */
import { CLI_FLAGS } from "../src/cli/run_flags.ts";

const root = new URL("..", import.meta.url).pathname;

/**
 * Every module under src/ but tests: main.ts, src/cli/app.ts and the store import modules by
 * computed names (src/lazy.ts: so that start-up prepares only the modules a call runs), which
 * `deno compile` cannot see.
 */
function sourceModules(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...sourceModules(path));
    else if (/\.ts$/.test(e.name) && !/_test\.ts$|^_testing\.ts$|^test_/.test(e.name)) out.push(path);
  }
  return out.sort();
}

const args = [
  "compile",
  ...CLI_FLAGS,
  "--config",
  `${root}deno.json`,
  "--output",
  `${root}dist/queuectl`,
  ...sourceModules(`${root}src`).flatMap((path) => ["--include", path]),
  ...Deno.args,
  `${root}main.ts`,
];
const out = await new Deno.Command(Deno.execPath(), { args, stdout: "inherit", stderr: "piped" }).output();
const stderr = new TextDecoder().decode(out.stderr);
if (out.success) {
  Deno.stderr.writeSync(out.stderr);
  console.log(`built ${root}dist/queuectl`);
  Deno.exit(0);
}
const url = /https?:\/\/\S*denort\S*/.exec(stderr)?.[0];
if (url) {
  console.error(
    `error: deno compile could not download its runtime (${url.replace(/[):]+$/, "")}); ` +
      "this machine cannot reach it, so no binary was built (set DENORT_BIN to a local denort, or use `deno task install`)",
  );
} else {
  console.error(stderr.trim());
}
Deno.exit(1);
