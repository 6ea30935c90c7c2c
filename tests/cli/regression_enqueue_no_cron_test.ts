/**
 * The cron parser (src/cron.ts, npm croner) is loaded by the schedule commands and the worker
 * only: `queuectl enqueue` loads app.ts and enqueue.ts (app.ts imports a command's module only when
 * the command line names it), so no module enqueue.ts reaches may be the parser.
 */
import assert from "node:assert/strict";
import { DENO, ROOT } from "../../testkit/mod.ts";

Deno.test("the modules enqueue loads do not include the cron parser", async () => {
  const out = await new Deno.Command(DENO, {
    args: ["info", "--json", "--no-lock", "src/cli/enqueue.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: Array<{ specifier: string }>;
  };
  const specifiers = graph.modules.map((m) => m.specifier);
  assert.ok(specifiers.some((s) => s.endsWith("/src/cli/enqueue.ts")), "the graph was read");
  assert.deepEqual(specifiers.filter((s) => /\/src\/cron\.ts$|croner/.test(s)), []);
});
