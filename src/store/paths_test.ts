import assert from "node:assert/strict";
import { homePaths, scanGenerations } from "./paths.ts";

Deno.test("scanGenerations() lists pending segments once each, whichever of their files remain, and their temp files", () => {
  const home = Deno.makeTempDirSync({ prefix: "qpaths-" });
  try {
    const paths = homePaths(home);
    for (
      const path of [
        paths.pendingJobs(3),
        paths.pendingIndex(3),
        paths.pendingOrder(3),
        paths.pendingOrder(12),
        paths.archiveJobs(4),
        `${paths.pendingOrder(13)}.123.tmp`,
      ]
    ) Deno.writeTextFileSync(path, "");
    const found = scanGenerations(home);
    assert.deepEqual(found.pendings, [3, 12]);
    assert.deepEqual(found.archives, [4]);
    assert.deepEqual(found.temps, [`${home}/pending-00000013.order.123.tmp`]);
    assert.equal(paths.pendingJobs(3), `${home}/pending-00000003.jobs`);
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
});
