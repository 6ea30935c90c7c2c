/** The job log's format: the exact lines the worker writes, and the page's reading of them. */
import assert from "node:assert/strict";
import { attemptHeader, closingLine, notStartedLine, splitAttempts, succeeded } from "./joblog.js";

Deno.test("the framing lines are written byte for byte as the worker has always written them", () => {
  const at = new Date("2026-11-23T16:08:31.279Z");
  assert.equal(
    attemptHeader(2, 4, at, "w-1"),
    "=== attempt 2 of 4 · 2026-11-23T16:08:31.279Z · worker w-1 ===",
  );
  assert.equal(closingLine({ kind: "exited", code: 3 }, 0.0249), "=== exit code 3 · 0.02s ===");
  assert.equal(closingLine({ kind: "exited", code: 0 }, 12), "=== exit code 0 · 12.00s ===");
  assert.equal(closingLine({ kind: "timeout" }, 1.005), "=== timeout · 1.00s ===");
  assert.equal(closingLine({ kind: "killed" }, 2.5), "=== killed · 2.50s ===");
  assert.equal(closingLine({ kind: "lost" }, 0), "=== lost · 0.00s ===");
  assert.equal(notStartedLine("cannot enter /nope"), "=== could not start: cannot enter /nope ===");
});

Deno.test("what the writer writes, the reader reads back: attempt, of, start, worker, ending, output", () => {
  const at = new Date("2026-01-02T03:04:05.006Z");
  const log = [
    attemptHeader(1, 3, at, "host-1.2"),
    "out and err",
    "=== a line the job printed ===",
    closingLine({ kind: "exited", code: 1 }, 0.5),
    attemptHeader(2, 3, at, "host-1.2"),
    notStartedLine("cannot write its log file"),
    attemptHeader(3, 3, at, "w"),
    closingLine({ kind: "exited", code: 0 }, 1),
  ].join("\n") + "\n";
  const s = splitAttempts(log, false);
  assert.deepEqual(s.map((x) => [x.attempt, x.of, x.at, x.worker, x.end, x.output]), [
    [
      1,
      3,
      "2026-01-02T03:04:05.006Z",
      "host-1.2",
      "exit code 1 · 0.50s",
      "out and err\n=== a line the job printed ===\n",
    ],
    [2, 3, "2026-01-02T03:04:05.006Z", "host-1.2", "could not start: cannot write its log file", ""],
    [3, 3, "2026-01-02T03:04:05.006Z", "w", "exit code 0 · 1.00s", ""],
  ]);
  assert.deepEqual(s.map((x) => succeeded(x.end)), [false, false, true]);
  assert.equal(succeeded(null), false);
  assert.equal(succeeded("exit code 01 · 1.00s"), false);
});

Deno.test("splitAttempts() gives one section per attempt with its closing line apart", () => {
  const log =
    "=== attempt 1 of 2 · 2026-11-23T16:08:31.279Z · worker w-1 ===\nhi\n=== exit code 3 · 0.02s ===\n" +
    "=== attempt 2 of 2 · 2026-11-23T16:08:32.306Z · worker w-2 ===\n=== not the end ===\nstill running\n";
  const s = splitAttempts(log, false);
  assert.equal(s.length, 2);
  assert.deepEqual(s[0], {
    attempt: 1,
    of: 2,
    at: "2026-11-23T16:08:31.279Z",
    worker: "w-1",
    partial: false,
    end: "exit code 3 · 0.02s",
    output: "hi\n",
  });
  // a running attempt: a "=== x ===" line the job printed is output, not the end
  assert.equal(s[1].end, null);
  assert.equal(s[1].output, "=== not the end ===\nstill running\n");
});

Deno.test("splitAttempts() keeps the text before the first header of a tail as a partial section", () => {
  const s = splitAttempts("rt of a line\n=== timeout · 1.00s ===\n", true);
  assert.equal(s.length, 1);
  assert.equal(s[0].partial, true);
  assert.equal(s[0].attempt, null);
  assert.equal(s[0].output, "rt of a line\n");
  assert.equal(s[0].end, "timeout · 1.00s");
  assert.deepEqual(splitAttempts("", false), []);
});
