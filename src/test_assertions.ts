/** Assertions shared by unit tests. */
import assert from "node:assert/strict";
import { UsageError } from "./errors.ts";

/** Asserts `fn` throws a UsageError (exit code 2) whose message matches `pattern`. */
export function refuses(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${e}`);
    assert.strictEqual(e.exitCode, 2);
    assert.match(e.message, pattern);
    return true;
  });
}
