/**
 * The cron parser (src/cron.ts, npm croner) is loaded by the schedule commands and the worker
 * only: `queuectl enqueue` loads app.ts and enqueue_cmd.ts (app.ts imports a command's module only
 * when the command line names it), or for `enqueue <job>` enqueue.ts alone, so no module either
 * reaches may be the parser.
 */
import assert from "node:assert/strict";
import { loadedModules } from "../../testkit/module_graph.ts";

Deno.test("the modules enqueue loads do not include the cron parser", async () => {
  for (const module of ["src/cli/enqueue.ts", "src/cli/enqueue_cmd.ts"]) {
    const loaded = await loadedModules(module);
    assert.deepEqual(loaded.filter((s) => /\/src\/cron\.ts$|croner/.test(s)), [], module);
  }
});
