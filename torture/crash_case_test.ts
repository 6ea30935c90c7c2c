import assert from "node:assert/strict";
import { compareAfterCrash, type Listed, type Op } from "./crash_case.ts";

const before = new Map([["a", "pending"], ["b", "pending"], ["c", "completed"]]);

function problems(after: Listed, op: Op): string[] {
  const found: string[] = [];
  compareAfterCrash(after, before, op, (what) => found.push(what));
  return found;
}

Deno.test("compareAfterCrash() accepts the shape's jobs unchanged, and the crashed enqueue's job", () => {
  const same = [...before].map(([id, state]) => ({ id, state }));
  assert.deepEqual(problems(same, "compact"), []);
  assert.deepEqual(problems([...same, { id: "crash-new", state: "pending" }], "enqueue"), []);
});

Deno.test("compareAfterCrash() finds a lost job, a changed state, a duplicate and a stranger", () => {
  const found = problems([
    { id: "a", state: "completed" },
    { id: "c", state: "completed" },
    { id: "c", state: "completed" },
    { id: "crash-new", state: "pending" },
  ], "compact").join("\n");
  assert.match(found, /a job is listed twice/);
  assert.match(found, /job a went from pending to completed/);
  assert.match(found, /job b \(pending\) is missing/);
  assert.match(found, /job crash-new appeared from nowhere/);
});

Deno.test("compareAfterCrash() lets a worker complete jobs and hold one, but not two", () => {
  assert.deepEqual(
    problems([{ id: "a", state: "completed" }, { id: "b", state: "processing" }, {
      id: "c",
      state: "completed",
    }], "worker"),
    [],
  );
  const found = problems([{ id: "a", state: "processing" }, { id: "b", state: "processing" }, {
    id: "c",
    state: "completed",
  }], "worker");
  assert.deepEqual(found, ["2 jobs are processing under a one-slot worker"]);
  assert.match(
    problems(
      [{ id: "a", state: "pending" }, { id: "b", state: "pending" }, { id: "c", state: "pending" }],
      "worker",
    )[0],
    /job c went from completed to pending/,
  );
});
