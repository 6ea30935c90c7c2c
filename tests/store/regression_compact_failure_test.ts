/**
 * Regression (found in review): FileLog.compact() does not drop its in-memory position when writing the snapshot fails
 * after the seal is durable. The same process's next write is appended after the seal of the
 * old generation, and from then on no process can open the store.
 */
import assert from "node:assert/strict";
import { FileStore } from "../../src/store/file_store.ts";
import { withHome } from "../../testkit/mod.ts";

Deno.test("a failed `compact` (snapshot cannot be written) must not make the next write corrupt the log", () =>
  withHome(async (home) => {
    const store = new FileStore(home);
    try {
      await store.enqueue([{ id: "a", command: "echo a" }], { max_retries: 3 });
      // the snapshot's temp file name is taken by a directory: writing snapshot 2 fails (EISDIR)
      const blocker = `${store.log.paths.snapshot(2)}.${Deno.pid}.tmp`;
      Deno.mkdirSync(blocker);
      await assert.rejects(() => store.compact());
      Deno.removeSync(blocker);

      // a long-lived process (a dashboard, a library user) carries on writing
      await store.enqueue([{ id: "b", command: "echo b" }], { max_retries: 3 });

      const fresh = new FileStore(home);
      try {
        const ids = (await fresh.list()).map((j) => j.id);
        assert.deepEqual(ids, ["a", "b"]);
      } finally {
        fresh.close();
      }
    } finally {
      store.close();
    }
  }));
