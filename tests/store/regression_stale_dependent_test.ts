/**
 * A job archived by a compaction in the process that keeps its state stays listed among the
 * dependents of the jobs it named; a new job enqueued later under its id (after the archived one
 * was deleted) is then sent to the DLQ when a job under the dependency's id dies, though it names
 * no dependency.
 */
import assert from "node:assert/strict";
import { FileStore } from "../../src/store/file_store.ts";
import { withHome } from "../../testkit/mod.ts";
import { claimFor, finishFor } from "../../testkit/store.ts";

const LATER = "2099-01-01T00:00:00.000Z";
const OK = { kind: "exited", code: 0 } as const;

Deno.test("a job enqueued under the id of an archived dependent that was deleted is not buried with the dependency's namesake", () =>
  withHome(async (home) => {
    const s = new FileStore(home);
    try {
      await s.enqueue([{ id: "x", command: "true" }], { max_retries: 0 });
      await s.enqueue([{ id: "c", command: "true", after: ["x"] }], { max_retries: 0 });
      const [x] = await claimFor(s, "w1", 1);
      assert.equal(x.id, "x");
      await finishFor(s, "w1", x, OK); // x completes: the store builds its dependents map (c waits on x)
      const [c] = await claimFor(s, "w1", 1);
      assert.equal(c.id, "c");
      await finishFor(s, "w1", c, OK);
      await s.compact(); // both archived, in this process's state
      await s.delete(["c", "x"]); // archived ones
      // new jobs under the same ids: c names no dependency
      await s.enqueue([{ id: "c", command: "true", run_at: LATER }], { max_retries: 0 });
      await s.enqueue([{ id: "x", command: "true", run_at: LATER }], { max_retries: 0 });
      await s.cancel(["x"]);
      const now = await s.get("c");
      assert.equal(now?.after, undefined);
      assert.equal(now?.state, "pending", `c was buried: ${now?.last_error}`);
    } finally {
      s.close();
    }
  }, { create: true }));
