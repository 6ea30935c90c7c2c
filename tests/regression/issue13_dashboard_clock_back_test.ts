/**
 * Regression (issue 13 #5): the dashboard's event stream spaced its looks at the store with
 * `Date.now()`, and went silent after the wall clock stepped back (for as long as the step), while
 * the page still said "Live". The looks are now spaced on the monotonic clock (src/store/changes.ts).
 * End to end: the real dashboard under libfaketime (testkit/faketime.ts), its clock stepped back an
 * hour, then a job enqueued by the CLI must still arrive as a change event.
 */
import assert from "node:assert/strict";
import { cliOk, spawnCli, stopBackground, untilOutput, waitFor, withHome } from "../../testkit/mod.ts";
import { steppedClock } from "../../testkit/faketime.ts";

Deno.test("after the dashboard's wall clock steps back an hour, its event stream still reports a change", async () => {
  const clock = await steppedClock();
  try {
    await withHome(async (home) => {
      await cliOk(home, ["enqueue", "--id", "before", "true"]);
      const bg = spawnCli(home, ["dashboard", "--port", "0", "--json", "--token", "t".repeat(32)], {
        env: { ...clock.env, QUEUECTL_DASHBOARD_TOKEN: "" },
      });
      const abort = new AbortController();
      let reading: Promise<void> = Promise.resolve();
      try {
        await untilOutput(bg, /^\{.*\}\n/m, 60_000);
        const { port } = JSON.parse(/^\{.*\}$/m.exec(bg.output())![0]);
        const res = await fetch(`http://127.0.0.1:${port}/api/events`, {
          signal: abort.signal,
          headers: { authorization: `Bearer ${"t".repeat(32)}` },
        });
        assert.equal(res.status, 200);
        let text = "";
        const decoder = new TextDecoder();
        reading = (async () => {
          try {
            for await (const chunk of res.body!) text += decoder.decode(chunk, { stream: true });
          } catch { /* aborted */ }
        })();
        await waitFor(() => text.includes('data: {"head":1}'), "the initial event", 30_000);
        // a change seen on the clock as it was: the stream has looked at the store since
        await cliOk(home, ["enqueue", "--id", "first", "true"]);
        await waitFor(() => text.includes('data: {"head":2}'), "the first change event", 30_000);
        clock.step(-3600);
        await cliOk(home, ["enqueue", "--id", "after", "true"]);
        await waitFor(
          () => text.includes('data: {"head":3}'),
          "the change event after the step back",
          30_000,
        );
      } finally {
        abort.abort();
        await reading;
        await stopBackground(bg);
      }
    });
  } finally {
    clock.dispose();
  }
});
