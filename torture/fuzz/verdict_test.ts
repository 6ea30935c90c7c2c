import assert from "node:assert/strict";
import type { Damaged } from "./damage.ts";
import type { History } from "./history.ts";
import {
  judgeAfterRepair,
  judgeDoctor,
  judgeRead,
  judgeRepair,
  mustFind,
  namesFile,
  openedAs,
} from "./verdict.ts";

const list = (...ids: string[]) => JSON.stringify(ids.map((id) => ({ id })));
const history: History = {
  home: "/nowhere",
  ack: { status: '{"pending":3}', list: list("a", "b", "last") },
  beforeLast: { status: '{"pending":2}', list: list("a", "b") },
  ids: ["a", "b", "last"],
};
const real: Damaged = { bytes: new Uint8Array(), detail: "byte 9 ^= 0x10", tail: "none" };
const torn: Damaged = { ...real, detail: "torn append", tail: "torn" };
const lastCut: Damaged = { ...real, detail: "cut at 90 of 100", tail: "last-cut" };
const cutAt: Damaged = { ...real, detail: "cut at line 1", tail: "cut-at", cutLine: 1 };
const refusal = (file: string, line = 3) => ({
  code: 1,
  stdout: "",
  stderr: `error: Store file ${file} is corrupt at line ${line}: checksum mismatch\n`,
});
const ok = (stdout = "") => ({ code: 0, stdout, stderr: "" });

Deno.test("namesFile() wants exit 1 and one error line naming the file and a line or byte", () => {
  assert.equal(namesFile(refusal("wal-00000003.jsonl"), "wal-00000003.jsonl"), true);
  assert.equal(namesFile(refusal("wal-00000003.jsonl"), "snapshot-00000003.snap"), false);
  assert.equal(namesFile({ ...refusal("x.snap"), code: 2 }, "x.snap"), false);
  assert.equal(
    namesFile({ ...refusal("x.snap"), stderr: refusal("x.snap").stderr + "  at f\n" }, "x.snap"),
    false,
  );
  assert.equal(
    namesFile({ code: 1, stdout: "", stderr: "error: Store file x.snap is corrupt\n" }, "x.snap"),
    false,
  );
});

Deno.test("openedAs() tells the acknowledged state, the one before the last line, a prefix and anything else", () => {
  assert.equal(openedAs(history.ack, history, null), "exact");
  assert.equal(openedAs(history.beforeLast, history, null), "before-last");
  const prefix = { status: '{"pending":1}', list: list("a") };
  assert.equal(openedAs(prefix, history, prefix), "prefix");
  assert.equal(openedAs(prefix, history, null), "different");
  // the same list under other counts is another state
  assert.equal(openedAs({ ...history.ack, status: '{"pending":2}' }, history, null), "different");
});

Deno.test("judgeRead() accepts a refusal naming the file, and the states each crash tail may open as", () => {
  assert.deepEqual(judgeRead(refusal("x.snap"), "x.snap", real, null), {
    outcome: "refused",
    violations: [],
  });
  assert.deepEqual(judgeRead(history.ack, "wal-1.jsonl", torn, "exact").violations, []);
  assert.deepEqual(judgeRead(history.beforeLast, "wal-1.jsonl", lastCut, "before-last").violations, []);
  assert.deepEqual(judgeRead(history.ack, "wal-1.jsonl", lastCut, "exact").violations, []);
  assert.deepEqual(judgeRead(history.ack, "wal-1.jsonl", cutAt, "prefix").violations, []);
  // an archive index is derived data: status and list open exactly, doctor must find it
  assert.deepEqual(judgeRead(history.ack, "archive-00000001.index", real, "exact").violations, []);
});

Deno.test("judgeRead() finds a store that opened silently with real damage, or with a state its tail cannot give", () => {
  const v1 = judgeRead(history.ack, "snapshot-00000003.snap", real, "exact");
  assert.equal(v1.outcome, "opened");
  assert.deepEqual(v1.violations, ["opened silently (exact state) despite damage that no crash leaves"]);
  assert.match(
    judgeRead(history.beforeLast, "wal-1.jsonl", torn, "before-last").violations[0],
    /opened silently \(before-last/,
  );
  assert.match(
    judgeRead(history.ack, "wal-1.jsonl", lastCut, "prefix").violations[0],
    /opened silently \(prefix/,
  );
  assert.match(
    judgeRead(history.ack, "wal-1.jsonl", cutAt, "different").violations[0],
    /opened silently \(different/,
  );
  // a derived index opening in any other state than the exact one is not excused
  assert.match(
    judgeRead(history.ack, "archive-00000001.index", real, "before-last").violations[0],
    /silently/,
  );
});

Deno.test("judgeRead() finds a refusal that names no file, and one of a tail a crash can leave", () => {
  const vague = { code: 1, stdout: "", stderr: "error: something broke\n" };
  assert.match(
    judgeRead(vague, "x.snap", real, null).violations[0],
    /failed without naming x\.snap and a line/,
  );
  const crashed = { code: 70, stdout: "", stderr: "Uncaught TypeError\n    at f (x.ts:1:1)\n" };
  assert.match(judgeRead(crashed, "x.snap", real, null).violations[0], /\(exit 70\)/);
  const v = judgeRead(refusal("wal-1.jsonl"), "wal-1.jsonl", torn, null).violations;
  assert.deepEqual(v.length, 1);
  assert.match(v[0], /refused a tail a crash can leave/);
});

Deno.test("mustFind() asks doctor to report refused damage and damaged indexes, not crash tails", () => {
  const refused = { outcome: "refused" as const, violations: [] };
  const opened = { outcome: "opened" as const, opened: "exact" as const, violations: [] };
  assert.equal(mustFind(refused, "x.snap", real), true);
  assert.equal(mustFind(opened, "archive-00000002.index", real), true);
  assert.equal(mustFind(opened, "wal-1.jsonl", torn), false);
});

Deno.test("judgeDoctor() finds a doctor silent on real damage, and one that complains of a crash tail", () => {
  assert.deepEqual(
    judgeDoctor({ code: 1, stdout: "x.snap: line 3 ...", stderr: "" }, "x.snap", true, false),
    [],
  );
  assert.match(
    judgeDoctor(ok("store ok"), "x.snap", true, false)[0],
    /did not report the damage to x\.snap \(exit 0\)/,
  );
  assert.match(
    judgeDoctor({ code: 1, stdout: "wal-1.jsonl: bad", stderr: "" }, "x.snap", true, false)[0],
    /did not report/,
  );
  assert.match(
    judgeDoctor({ code: 1, stdout: "wal-1.jsonl: bad", stderr: "" }, "wal-1.jsonl", false, true)[0],
    /found fault with a store a crash can leave/,
  );
  assert.deepEqual(judgeDoctor(ok("store ok"), "wal-1.jsonl", false, true), []);
  // after a violation already found, a complaint about the same store is not a second one
  assert.deepEqual(judgeDoctor({ code: 1, stdout: "bad", stderr: "" }, "wal-1.jsonl", false, false), []);
});

Deno.test("judgeRepair() finds a failed repair, a store that still does not open, and jobs lost without a word", () => {
  assert.match(
    judgeRepair({ code: 1, stdout: "", stderr: "boom" }, null, history, true)[0],
    /doctor --repair failed \(exit 1\): boom/,
  );
  assert.match(judgeRepair(ok(), refusal("x.snap"), history, true)[0], /does not open after doctor --repair/);
  const lostB = { status: '{"pending":2}', list: list("a", "last") };
  assert.match(
    judgeRepair(ok("repaired: quarantined 1 line"), lostB, history, true)[0],
    /lost job\(s\) without naming them: b/,
  );
  assert.deepEqual(judgeRepair(ok("repaired: lost b"), lostB, history, true), []);
  assert.deepEqual(judgeRepair(ok("repaired: 2 record(s) cannot be told"), lostB, history, true), []);
  assert.deepEqual(judgeRepair(ok(), history.ack, history, true), []);
});

Deno.test("judgeAfterRepair() finds a command that fails once the store was repaired", () => {
  assert.deepEqual(judgeAfterRepair("compact", ok()), []);
  assert.deepEqual(judgeAfterRepair("enqueue", { code: 1, stdout: "", stderr: "error: x" }), [
    "enqueue fails after doctor --repair (exit 1): error: x",
  ]);
});
