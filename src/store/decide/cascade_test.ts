import assert from "node:assert/strict";
import { claim, commit, enqueue, finish, snapshot, states } from "../_testing.ts";
import { QueueState } from "../state.ts";
import { cascade } from "./cascade.ts";
import { decideCancel } from "./manage.ts";

/**
 * root ← a ← b ← d, and root ← c ← d (a diamond), plus other ← e: every job waits for those to
 * its left.
 */
function diamond(): QueueState {
  const s = new QueueState();
  enqueue(s, [{ id: "root", command: "x" }, { id: "other", command: "x" }]);
  enqueue(s, [{ id: "a", command: "x", after: ["root"] }, { id: "c", command: "x", after: ["root"] }]);
  enqueue(s, [{ id: "b", command: "x", after: ["a"] }, { id: "e", command: "x", after: ["other"] }]);
  enqueue(s, [{ id: "d", command: "x", after: ["b", "c"] }]);
  return s;
}

Deno.test("cascade() of a job nothing depends on is empty", () => {
  const s = diamond();
  assert.deepStrictEqual(cascade(s, [["d", "is dead"]]), []);
  assert.deepStrictEqual(cascade(s, [["nope", "was deleted"]]), []);
  assert.deepStrictEqual(cascade(s, []), []);
});

Deno.test("cascade() lists the waiting dependents breadth first, each once, naming the dependency that failed it", () => {
  const s = diamond();
  const before = snapshot(s);
  assert.deepStrictEqual(cascade(s, [["root", "was cancelled"]]), [
    ["a", 'dependency "root" was cancelled'],
    ["c", 'dependency "root" was cancelled'],
    ["b", 'dependency "a" is dead'],
    ["d", 'dependency "c" is dead'],
  ]);
  assert.deepStrictEqual(snapshot(s), before, "cascade() changes nothing");
});

Deno.test("cascade() never lists a root, even one that depends on another root", () => {
  const s = diamond();
  assert.deepStrictEqual(cascade(s, [["root", "was deleted"], ["c", "was deleted"]]), [
    ["a", 'dependency "root" was deleted'],
    ["d", 'dependency "c" was deleted'],
    ["b", 'dependency "a" is dead'],
  ]);
});

Deno.test("cascade() skips dependents that no longer wait, and does not go past them", () => {
  const s = new QueueState();
  enqueue(s, [{ id: "root", command: "x" }, { id: "gate", command: "x" }]);
  enqueue(s, [
    { id: "dead", command: "x", after: ["root"] },
    { id: "after-dead", command: "x", after: ["dead"] },
    { id: "running", command: "x", after: ["gate"] },
  ]);
  commit(s, decideCancel(s, ["dead"], new Date(0)));
  finish(s, claim(s, "w1", 1)[0], { kind: "exited", code: 0 }); // root completes
  assert.deepStrictEqual(states(s), {
    root: "completed",
    gate: "pending",
    dead: "dead",
    "after-dead": "dead",
    running: "pending",
  });
  assert.deepStrictEqual(cascade(s, [["root", "was deleted"]]), []);
  // a dependent claimed meanwhile (its dependency completed, then was named a root) is not buried
  finish(s, claim(s, "w1", 1)[0], { kind: "exited", code: 0 }); // gate completes
  claim(s, "w1", 1);
  assert.strictEqual(s.jobs.get("running")!.state, "processing");
  assert.deepStrictEqual(cascade(s, [["gate", "was deleted"]]), []);
});
