/**
 * Regression (found in review): FileLog.#flush calls `exists(home)` outside its try block. When stat fails with
 * anything but NotFound (a home below a regular file: ENOTDIR; an unsearchable parent: EACCES),
 * the flush promise rejects with no handler and no queued write is ever settled: the CLI dies
 * with "Top-level await promise never resolved" instead of one error sentence.
 */
import assert from "node:assert/strict";
import { FileStore } from "../../src/store/file_store.ts";
import { cli, dirOfHome, withHome } from "../../testkit/mod.ts";

Deno.test("a write command whose home is below a regular file fails with one error sentence", () =>
  withHome(async (home) => {
    const file = `${dirOfHome(home)}/not-a-dir`;
    Deno.writeTextFileSync(file, "");
    const r = await cli(`${file}/home`, ["delete", "x"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: .*Not a directory/);
    assert.doesNotMatch(r.stderr, /never resolved/);
  }));

Deno.test("FileStore.delete rejects (instead of never settling) when stat of the home fails", () =>
  withHome(async (home) => {
    const file = `${dirOfHome(home)}/not-a-dir`;
    Deno.writeTextFileSync(file, "");
    const store = new FileStore(`${file}/home`);
    // catch the stray rejection of the flush so the test reports the real symptom: a hang
    const stray: unknown[] = [];
    const onUnhandled = (e: PromiseRejectionEvent) => {
      stray.push(e.reason);
      e.preventDefault();
    };
    globalThis.addEventListener("unhandledrejection", onUnhandled);
    try {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const outcome = await Promise.race([
        store.delete(["x"]).then(() => "resolved", () => "rejected"),
        // a deadline, not a pace: a rejection comes at once, a hang never
        new Promise((r) => timer = setTimeout(() => r("never settled"), 30_000)),
      ]);
      clearTimeout(timer);
      assert.equal(outcome, "rejected");
      assert.deepEqual(stray, []);
    } finally {
      globalThis.removeEventListener("unhandledrejection", onUnhandled);
      store.close();
    }
  }));
