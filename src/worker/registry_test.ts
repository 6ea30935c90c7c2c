import assert from "node:assert/strict";
import { homePaths } from "../store/paths.ts";
import { WorkerRegistration } from "./registry.ts";
import { withTempDir } from "./_testing.ts";

Deno.test("a worker's registration makes workers/ anew when it was removed, but never the home", async () => {
  await withTempDir((dir) => {
    const paths = homePaths(`${dir}/home`);
    Deno.mkdirSync(paths.home);
    const registration = new WorkerRegistration(paths, "w-1");
    const info = {
      id: "w-1",
      pid: Deno.pid,
      slots: 1,
      started_at: "2026-01-01T00:00:00.000Z",
      jobs: [],
      stopping: false,
      heartbeat_at: "2026-01-01T00:00:00.000Z",
    };
    try {
      Deno.removeSync(paths.workersDir, { recursive: true });
      registration.update(info);
      assert.ok(Deno.statSync(paths.workerInfo("w-1")).isFile, "workers/ made anew");
      Deno.removeSync(paths.home, { recursive: true });
      assert.throws(() => registration.update(info), Deno.errors.NotFound);
      assert.throws(() => registration.keep(), Deno.errors.NotFound);
      assert.throws(() => Deno.statSync(paths.home), Deno.errors.NotFound, "the home was not made anew");
    } finally {
      registration.release();
    }
  });
});
