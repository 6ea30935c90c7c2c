/**
 * Regression (issue 13 #8): a running worker reloaded config.jsonc only on a file-system event
 * whose path equalled the config path it was given: never without notifications (none on some
 * file systems, or none left), and never for a home given as `a/./home` or `x/../a/home` (the
 * watcher reports normalised paths). It now polls the file's identity on every pass of its loop
 * and matches events by the file's name (src/config_watch.ts).
 */
import assert from "node:assert/strict";
import {
  type Background,
  cliJson,
  cliOk,
  dirOfHome,
  spawnCli,
  stopBackground,
  untilOutput,
  untilState,
  withHome,
} from "../../testkit/mod.ts";

async function startWorker(home: string, env: Record<string, string> = {}): Promise<Background> {
  const worker = spawnCli(home, ["worker", "start"], { env });
  await untilOutput(worker, /started with 1 slot/);
  return worker;
}

for (const [how, spell] of [["a/./home", "./home"], ["x/../a/home", "x/../home"]] as const) {
  Deno.test(`a worker whose home is given as ${how} picks up config set from the file-system event`, () =>
    withHome(async (home) => {
      Deno.mkdirSync(`${dirOfHome(home)}/x`);
      // no pass of the loop comes for an hour: only the file-system event can bring the change
      await cliOk(home, ["config", "set", "poll-interval", "3600"]);
      const worker = await startWorker(`${dirOfHome(home)}/${spell}`);
      try {
        assert.match(worker.output(), new RegExp(`home \\S*/${spell.replaceAll(".", "\\.")}\\b`));
        // a job done proves the loop has run a pass, so its watcher is in place
        await cliOk(home, ["enqueue", "--id", "first", "true"]);
        await untilState(home, "first", "completed");
        await cliOk(home, ["config", "set", "job-timeout", "7"]);
        await untilOutput(worker, /config reloaded: \{[^}]*"job_timeout":7/);
        await cliOk(home, ["config", "set", "lease-timeout", "45"]);
        await untilOutput(worker, /config reloaded: \{[^}]*"lease_timeout":45/);
      } finally {
        await stopBackground(worker);
      }
    }));
}

Deno.test("a worker without file-system notifications picks up config set, and runs jobs with it", () =>
  withHome(async (home) => {
    await cliOk(home, ["config", "set", "max-retries", "0"]);
    const worker = await startWorker(home, { QUEUECTL_NO_FS_EVENTS: "1" });
    try {
      assert.match(worker.output(), /file-system notifications turned off/);
      await cliOk(home, ["config", "set", "job-timeout", "1"]);
      await untilOutput(worker, /config reloaded: \{[^}]*"job_timeout":1\b/);
      // the reloaded job-timeout ends a job enqueued without its own timeout
      await cliOk(home, ["enqueue", "--id", "slow", "sleep 600"]);
      await untilState(home, "slow", "dead", 60_000);
      assert.match((await cliJson(home, ["show", "slow"])).last_error, /timed out after 1s/);
    } finally {
      await stopBackground(worker);
    }
  }));
