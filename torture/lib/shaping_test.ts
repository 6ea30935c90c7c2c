import assert from "node:assert/strict";
import { parseLedger } from "./ledger.ts";
import {
  checkDependencies,
  checkQueueLimits,
  checkUniqueKeys,
  peakOverlap,
  type ShapedJob,
  timedRuns,
} from "./shaping.ts";

/** A ledger from "S id attempt ns" / "E id attempt ns" shorthands (worker 1, exit 0). */
function ledger(lines: string[]) {
  const text = lines.map((l) => {
    const [mark, id, attempt, ns] = l.split(" ");
    return mark === "S" ? `S ${id} ${attempt} 1 ${ns}` : `E ${id} ${attempt} 1 ${ns} 0`;
  }).join("\n") + "\n";
  const { events, bad } = parseLedger(text);
  assert.deepEqual(bad, []);
  return events;
}

function job(id: string, fields: Partial<ShapedJob> = {}): ShapedJob {
  return {
    id,
    state: "completed",
    queue: "default",
    created_at: "2030-01-01T00:00:00.000Z",
    finished_at: "2030-01-01T00:00:01.000Z",
    last_error: null,
    ...fields,
  };
}

Deno.test("peakOverlap() counts intervals open at once; one ending as another starts does not overlap it", () => {
  assert.equal(peakOverlap([]), 0);
  assert.equal(peakOverlap([{ start: 0, end: 10 }, { start: 10, end: 20 }]), 1);
  assert.equal(peakOverlap([{ start: 0, end: 10 }, { start: 5, end: 20 }, { start: 6, end: 7 }]), 3);
});

Deno.test("timedRuns() ends a run cut short at its attempt's recorded finish, and reports a run whose end is unknown", () => {
  const events = ledger([
    "S a 1 1000000",
    "S b 1 2000000",
    "E b 1 3000000",
    "S a 2 9000000000",
    "E a 2 9100000000",
  ]);
  const jobs = new Map([
    [
      "a",
      job("a", {
        runs: [{ attempt: 1, finished_at: "1970-01-01T00:00:05.000Z" }, { attempt: 2, finished_at: null }],
      }),
    ],
    ["b", job("b")],
  ]);
  const { runs, unknown } = timedRuns(events, jobs);
  assert.deepEqual(unknown, []);
  assert.deepEqual(
    runs.map((r) => [r.id, r.attempt, r.start, r.end, r.cut]).sort(),
    [["a", 1, 1000000, 5000000000, true], ["a", 2, 9000000000, 9100000000, false], [
      "b",
      1,
      2000000,
      3000000,
      false,
    ]],
  );
  assert.deepEqual(timedRuns(ledger(["S c 3 5"]), new Map([["c", job("c")]])).unknown, ["c attempt 3"]);
});

Deno.test("checkQueueLimits() passes runs within each limit and names the runs of a queue that ran past it", () => {
  const runs = [
    { id: "a", attempt: 1, start: 0, end: 10, cut: false },
    { id: "b", attempt: 1, start: 10, end: 20, cut: false },
    { id: "c", attempt: 1, start: 5, end: 15, cut: true },
    { id: "x", attempt: 1, start: 0, end: 20, cut: false },
  ];
  const queueOf = (id: string) => (id === "x" ? "free" : "q");
  const ok = checkQueueLimits(runs, queueOf, new Map([["q", 2]]));
  assert.deepEqual(ok.violations, []);
  assert.equal(ok.peaks.get("q"), 2);
  const bad = checkQueueLimits(runs, queueOf, new Map([["q", 1]]));
  assert.equal(bad.violations.length, 1);
  assert.match(bad.violations[0], /queue q \(concurrency 1\) ran 2 jobs at once: a#1, c#1 \(cut\)/);
});

Deno.test("checkDependencies() accepts runs after every dependency's last end, and names a run before it or despite a dead one", () => {
  const jobs = [
    job("a"),
    job("b", { after: ["a"] }),
    job("bad", { state: "dead", last_error: "exit code 1" }),
    job("c", { after: ["a", "bad"], state: "dead", last_error: 'dependency "bad" is dead' }),
  ];
  const good = checkDependencies(
    ledger(["S a 1 0", "E a 1 0", "S a 2 0", "E a 2 0", "S b 1 0", "E b 1 0"]),
    jobs,
  );
  assert.deepEqual(good.violations, []);
  assert.deepEqual([good.edges, good.cascaded], [1, 1]);

  // b started between a's first and its last (the completing) run
  const early = checkDependencies(
    ledger(["S a 1 0", "E a 1 0", "S b 1 0", "S a 2 0", "E a 2 0", "E b 1 0"]),
    jobs,
  );
  assert.deepEqual(early.violations, ["b started (ledger line 3) before its dependency a ended (line 5)"]);

  const ranDespite = checkDependencies(ledger(["S a 1 0", "E a 1 0", "S c 1 0", "E c 1 0"]), jobs);
  assert.match(ranDespite.violations[0], /^c ran \(ledger line 3\) though its dependency bad is dead$/);

  const stuck = checkDependencies([], [
    job("bad", { state: "dead" }),
    job("d", { after: ["bad"], state: "pending" }),
  ]);
  assert.match(stuck.violations[0], /^d is pending \(null\) though its dependency bad did not complete$/);
});

Deno.test("checkUniqueKeys() accepts one live holder at a time, and names overlapping holders, runs and miscounted enqueues", () => {
  const t = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s)).toISOString();
  const jobs = [
    job("k1", { unique: "k", created_at: t(0), finished_at: t(2) }),
    job("k2", { unique: "k", created_at: t(2), finished_at: t(4) }),
  ];
  const enqueues = [
    { key: "k", id: "k1", absorbed: false },
    { key: "k", id: "k1", absorbed: true },
    { key: "k", id: "k2", absorbed: false },
  ];
  const events = ledger(["S k1 1 0", "E k1 1 0", "S k2 1 0", "E k2 1 0"]);
  const ok = checkUniqueKeys(events, jobs, enqueues);
  assert.deepEqual(ok.violations, []);
  assert.deepEqual([ok.keys, ok.retaken], [1, 1]);

  const overlapping = [jobs[0], { ...jobs[1], created_at: t(1) }];
  assert.match(
    checkUniqueKeys(events, overlapping, enqueues).violations[0],
    /key k was held by k1 .* and k2 .* at once/,
  );
  assert.match(
    checkUniqueKeys(ledger(["S k1 1 0", "S k2 1 0", "E k1 1 0", "E k2 1 0"]), jobs, enqueues).violations[0],
    /key k: k2 started \(line 2\) while k1 ran/,
  );
  assert.match(
    checkUniqueKeys(events, jobs, [...enqueues, { key: "k", id: "k2", absorbed: false }]).violations[0],
    /key k: 3 enqueue\(s\) made a job, but 2 job\(s\) hold it/,
  );
});
