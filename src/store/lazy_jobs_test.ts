import assert from "node:assert/strict";
import fc from "fast-check";
import { isLive, isWaiting, type Job, JOB_STATES } from "../job.ts";
import { jobIn as job } from "./_testing.ts";
import { JobMap, type KeyedLine, type SnapshotLines } from "./lazy_jobs.ts";

/**
 * A map holding `lines` unparsed as a snapshot's lines would be (states given by the header when
 * `withStates`), and the ids its parser was asked for, in order.
 */
function unparsed(lines: Job[], withStates = true): { map: JobMap; parsed: string[] } {
  const parsed: string[] = [];
  const byId = new Map(lines.map((j) => [j.id, j]));
  const map = new JobMap();
  map.setUnparsed(linesOf(lines, withStates), (id) => {
    parsed.push(id);
    return byId.get(id)!;
  }, lines.length + 1);
  return { map, parsed };
}

/** The header's view of `jobs` as snapshot lines (states when `withStates`, claim keys by line). */
function linesOf(jobs: Job[], withStates = true, keys: Map<number, KeyedLine> | null = null): SnapshotLines {
  return {
    ids: jobs.map((j) => j.id),
    starts: new Float64Array(jobs.length + 1),
    states: withStates ? jobs.map((j) => j.state) : null,
    keys,
    firstLine: 2,
    split: jobs.length,
    ended: null,
    repeated: (line) => {
      throw new Error(`line ${line} repeats an id`);
    },
  };
}

/**
 * `jobs` as a version 6 snapshot's lines: those that may still run named by the header, the ended
 * ones after them read from their directory when first needed; `reads` counts those reads. With
 * `seqs` the header gives the first and last ended line's seq.
 */
function version6(jobs: Job[], seqs = false): { map: JobMap; parsed: string[]; reads: () => number } {
  const live = jobs.filter((j) => isLive(j.state));
  const ended = jobs.filter((j) => !isLive(j.state));
  const lines = { ...linesOf(live), firstLine: 3 };
  lines.starts = new Float64Array(jobs.length + 1);
  let reads = 0;
  lines.ended = {
    count: ended.length,
    seqs: seqs ? { min: ended[0].seq, max: ended[ended.length - 1].seq } : null,
    mayHold: (id) => ended.some((j) => j.id === id),
    read: () => {
      reads++;
      return { ids: ended.map((j) => j.id), lengths: ended.map(() => 1), states: ended.map((j) => j.state) };
    },
  };
  const parsed: string[] = [];
  const map = new JobMap();
  map.setUnparsed(lines, (id) => {
    parsed.push(id);
    return jobs.find((j) => j.id === id)!;
  }, jobs.length + 1);
  return { map, parsed, reads: () => reads };
}

const LINES = [
  job("d1", 1, "dead"),
  job("p1", 2, "pending"),
  job("c1", 3, "completed"),
  job("r1", 4, "processing"),
  job("d2", 5, "dead"),
  job("f1", 6, "failed"),
];

Deno.test("unended() yields the pending, processing and failed jobs, parsing none of the ended ones", () => {
  const { map, parsed } = unparsed(LINES);
  assert.deepStrictEqual([...map.unended()].map((j) => j.id).sort(), ["f1", "p1", "r1"]);
  assert.deepStrictEqual(parsed.sort(), ["f1", "p1", "r1"]);
  assert.deepStrictEqual(map.unparsedIds(), ["d1", "c1", "d2"]);
  // an ended job is still there, parsed when asked for
  assert.strictEqual(map.get("d2")?.state, "dead");
  assert.deepStrictEqual(parsed.slice(3), ["d2"]);
  assert.strictEqual(map.size, LINES.length);
});

Deno.test("unended() parses every line whose state its header did not give (a version 3 snapshot)", () => {
  const { map, parsed } = unparsed(LINES, false);
  assert.deepStrictEqual([...map.unended()].map((j) => j.id).sort(), ["f1", "p1", "r1"]);
  assert.deepStrictEqual(parsed.sort(), LINES.map((j) => j.id).sort());
  assert.strictEqual(map.lazy, false);
});

Deno.test("unended() reads a job as it is now: changed since the snapshot, added after it, or gone", () => {
  const { map } = unparsed(LINES);
  map.set("d1", job("d1", 1, "pending")); // a dead job retried
  map.set("p1", job("p1", 2, "dead")); // a pending job buried
  map.delete("f1");
  map.set("n1", job("n1", 7, "pending"));
  assert.deepStrictEqual([...map.unended()].map((j) => j.id).sort(), ["d1", "n1", "r1"]);
});

Deno.test("unended() yields each job once when the caller parses others between two of them", () => {
  const { map } = unparsed(LINES);
  const seen: string[] = [];
  for (const j of map.unended()) {
    seen.push(j.id);
    // a caller looking at other jobs (a dependency, say) parses them
    map.get("f1");
    map.get("d1");
  }
  assert.deepStrictEqual(seen.sort(), ["f1", "p1", "r1"]);
});

Deno.test("unendedStates() names the jobs that may still run from their header states, parsing none", () => {
  const { map, parsed } = unparsed(LINES);
  assert.deepStrictEqual(
    [...map.unendedStates()].sort(),
    [["f1", "failed"], ["p1", "pending"], ["r1", "processing"]],
  );
  assert.deepStrictEqual(parsed, []);
});

Deno.test("waitingKeys() gives the keys of unparsed waiting lines (version 5), parsing none", () => {
  // as a version 5 header gives them: a key for each waiting line (p1, f1), none for the rest
  const key = (line: number, id: string, seq: number) => ({
    id,
    line,
    queue: "default",
    priority: 0,
    seq,
    run_at: null,
    at: -Infinity,
  });
  const keys = new Map([[1, key(1, "p1", 2)], [5, key(5, "f1", 6)]]);
  const m = new JobMap();
  const asked: string[] = [];
  m.setUnparsed(linesOf(LINES, true, keys), (id) => {
    asked.push(id);
    return LINES.find((j) => j.id === id)!;
  }, LINES.length + 1);
  const got = () =>
    [...m.waitingKeys()].map((k) => "state" in k ? `job ${k.id}` : `key ${k.id} ${k.seq}`).sort();
  assert.deepStrictEqual(got(), ["key f1 6", "key p1 2"]);
  assert.deepStrictEqual(asked, []);
  // a parsed line is given as its job, a line whose job stopped waiting not at all
  m.get("p1");
  m.set("f1", job("f1", 6, "processing"));
  assert.deepStrictEqual(got(), ["job p1"]);
});

Deno.test("waitingKeys() parses the lines whose state may be waiting when the header has no keys (version 4)", () => {
  const { map, parsed } = unparsed(LINES);
  assert.deepStrictEqual([...map.waitingKeys()].map((k) => k.id).sort(), ["f1", "p1"]);
  assert.deepStrictEqual(parsed.sort(), ["f1", "p1"]);
});

Deno.test("lookups by id find unparsed lines before and after the ids are indexed, and see replaced or deleted ones", () => {
  const { map, parsed } = unparsed(LINES);
  map.delete("c1");
  map.set("d2", job("d2", 5, "pending")); // replaced: its line is never parsed
  // more lookups than are answered by a scan: the rest use the index
  for (let round = 0; round < 3; round++) {
    for (const j of LINES) {
      const want = j.id === "c1" ? undefined : j.id === "d2" ? "pending" : j.state;
      assert.strictEqual(map.get(j.id)?.state, want, `${j.id}, round ${round}`);
      assert.strictEqual(map.has(j.id), want !== undefined);
    }
  }
  assert.deepStrictEqual(parsed, ["d1", "p1", "r1", "f1"]);
  assert.strictEqual(map.size, LINES.length - 1);
  assert.strictEqual(map.lazy, false);
  assert.deepStrictEqual([...map.inOrder()].map((j) => j.id), ["d1", "p1", "r1", "d2", "f1"]);
});

Deno.test("an id that two lines name is corruption, found when the ids are indexed", () => {
  const twice = [...LINES, job("p1", 7, "pending")];
  const map = new JobMap();
  map.setUnparsed(linesOf(twice), (id) => twice.find((j) => j.id === id)!, twice.length + 1);
  assert.throws(() => {
    for (let i = 0; i < 20; i++) map.get(`missing-${i}`);
  }, /line 8 repeats an id/);
});

Deno.test("inOrder() and inOrderDesc() merge the unparsed lines with jobs added later, parsing as they go", () => {
  const { map, parsed } = unparsed(LINES);
  map.set("n1", job("n1", 7, "pending"));
  const desc = map.inOrderDesc();
  assert.strictEqual(desc.next().value?.id, "n1");
  assert.strictEqual(desc.next().value?.id, "f1");
  assert.deepStrictEqual(parsed, ["f1"]);
  assert.deepStrictEqual([...map.inOrder()].map((j) => j.id), ["d1", "p1", "c1", "r1", "d2", "f1", "n1"]);
});

Deno.test("version 6: what may still run is found without reading the ended lines' directory", () => {
  const { map, parsed, reads } = version6(LINES);
  assert.strictEqual(map.size, LINES.length);
  assert.deepStrictEqual([...map.unended()].map((j) => j.id).sort(), ["f1", "p1", "r1"]);
  assert.deepStrictEqual([...map.unendedStates()].map(([id]) => id).sort(), ["f1", "p1", "r1"]);
  assert.deepStrictEqual([...map.waitingKeys()].map((j) => j.id).sort(), ["f1", "p1"]);
  // an id no ended line holds (its filter says so): no read
  assert.strictEqual(map.has("new-1"), false);
  assert.strictEqual(map.get("new-2"), undefined);
  map.set("new-1", job("new-1", 7, "pending"));
  assert.strictEqual(reads(), 0);
  assert.deepStrictEqual(parsed.sort(), ["f1", "p1", "r1"]);
});

Deno.test("version 6: an ended job is read when asked for, its directory once", () => {
  const { map, parsed, reads } = version6(LINES);
  assert.strictEqual(map.get("d2")?.state, "dead");
  assert.strictEqual(reads(), 1);
  assert.strictEqual(map.has("c1"), true);
  map.delete("d1");
  assert.strictEqual(map.has("d1"), false);
  map.set("c1", job("c1", 3, "pending")); // replaced: its line is never parsed
  assert.strictEqual(reads(), 1);
  assert.deepStrictEqual(parsed, ["d2"]);
  assert.strictEqual(map.size, LINES.length - 1);
  assert.deepStrictEqual(map.unparsedIds(), ["p1", "r1", "f1"]);
});

Deno.test("version 6: inOrder() and inOrderDesc() merge both runs of lines and the jobs added later by seq", () => {
  const { map, reads } = version6(LINES);
  map.set("n1", job("n1", 7, "pending"));
  assert.deepStrictEqual([...map.inOrder()].map((j) => j.id), ["d1", "p1", "c1", "r1", "d2", "f1", "n1"]);
  assert.deepStrictEqual([...map.inOrderDesc()].map((j) => j.id), ["n1", "f1", "d2", "r1", "c1", "p1", "d1"]);
  assert.strictEqual(reads(), 1);
});

Deno.test("version 6 with the ended seqs: a listing reads the ended lines' directory only once it reaches them", () => {
  const { map, parsed, reads } = version6(LINES, true);
  map.set("n1", job("n1", 7, "pending"));
  map.set("n2", job("n2", 8, "pending"));
  // newest first: n2, n1, f1 are newer than d2, the last ended line
  assert.deepStrictEqual([...take(map.inOrderDesc(), 3)].map((j) => j.id), ["n2", "n1", "f1"]);
  assert.strictEqual(reads(), 0);
  assert.deepStrictEqual(parsed, ["f1"]);
  // oldest first: d1, the first ended line, is the first job
  assert.deepStrictEqual([...take(map.inOrder(), 1)].map((j) => j.id), ["d1"]);
  assert.strictEqual(reads(), 1);
  assert.deepStrictEqual([...map.inOrderDesc()].map((j) => j.id), [
    "n2",
    "n1",
    "f1",
    "d2",
    "r1",
    "c1",
    "p1",
    "d1",
  ]);
  assert.deepStrictEqual([...map.inOrder()].map((j) => j.id), [
    "d1",
    "p1",
    "c1",
    "r1",
    "d2",
    "f1",
    "n1",
    "n2",
  ]);
  assert.strictEqual(reads(), 1);
});

Deno.test("version 6: an id an ended line repeats is found when the ids are indexed after the read", () => {
  const twice = [...LINES.slice(0, 5), job("p1", 6, "dead")];
  const { map } = version6(twice);
  map.get("d1"); // reads the ended lines
  assert.throws(() => {
    for (let i = 0; i < 20; i++) map.get(`missing-${i}`);
  }, /line 8 repeats an id/);
});

/**
 * `jobs` as a version 6 snapshot's lines (or, not `v6`, a version 5 one's), every waiting line keyed;
 * the ended lines' filter says maybe to every id when `filterAll` (false positives), and the map
 * lets go of the file once it has read everything (`closed`, after which nothing may be read).
 */
function snapshotMap(
  jobs: Job[],
  v6: boolean,
  filterAll: boolean,
  seqs: boolean,
): { map: JobMap; closed: () => boolean } {
  const live = v6 ? jobs.filter((j) => isLive(j.state)) : jobs;
  const ended = v6 ? jobs.filter((j) => !isLive(j.state)) : [];
  const keys = new Map<number, KeyedLine>();
  live.forEach((j, line) => {
    if (!isWaiting(j.state)) return;
    keys.set(line, {
      id: j.id,
      line,
      queue: j.queue,
      priority: j.priority,
      seq: j.seq,
      run_at: j.run_at,
      at: -Infinity,
    });
  });
  let closed = false;
  const lines = { ...linesOf(live, true, keys), firstLine: v6 ? 3 : 2 };
  lines.starts = new Float64Array(jobs.length + 1);
  lines.ended = ended.length === 0 ? null : {
    count: ended.length,
    seqs: seqs ? { min: ended[0].seq, max: ended[ended.length - 1].seq } : null,
    mayHold: (id) => filterAll || ended.some((j) => j.id === id),
    read: () => {
      assert.ok(!closed, "the ended lines' directory is read after the file was let go");
      return { ids: ended.map((j) => j.id), lengths: ended.map(() => 1), states: ended.map((j) => j.state) };
    },
  };
  const map = new JobMap();
  map.setUnparsed(
    lines,
    (id) => {
      assert.ok(!closed, `job ${id} is parsed after the file was let go`);
      return jobs.find((j) => j.id === id)!;
    },
    jobs.length + 6,
    () => closed = true,
  );
  return { map, closed: () => closed };
}

const OPS = [
  "get",
  "has",
  "set",
  "adopt",
  "delete",
  "asc",
  "desc",
  "descN",
  "unended",
  "states",
  "waiting",
  "prefix",
  "size",
  "all",
];

Deno.test("property: a map of snapshot lines answers as a plain map of its jobs in seq order, whatever it was asked before", () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(...JOB_STATES), { maxLength: 10, size: "max" }),
      fc.array(
        fc.record({ op: fc.constantFrom(...OPS), n: fc.nat(14), state: fc.constantFrom(...JOB_STATES) }),
        { maxLength: 40, size: "max" },
      ),
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
      (states, ops, v6, filterAll, seqs) => {
        const jobs = states.map((state, i) => job(`j${i}`, i + 1, state));
        const { map, closed } = snapshotMap(jobs, v6, filterAll, seqs);
        const model = new Map(jobs.map((j) => [j.id, j]));
        // enqueued since: seq from the snapshot's next order on; taken out of a pending segment: below it
        let enqueued = jobs.length + 6;
        let adopted = jobs.length + 1;
        const inOrder = () => [...model.values()].sort((a, b) => a.seq - b.seq).map((j) => j.id);
        const where = (keep: (j: Job) => boolean) => [...model.values()].filter(keep).map((j) => j.id).sort();
        for (const { op, n, state } of ops) {
          const id = `j${n}`;
          const had = model.get(id);
          if (op === "get") assert.deepStrictEqual(map.get(id), had);
          if (op === "has") assert.strictEqual(map.has(id), had !== undefined);
          if (op === "set") {
            const changed = had ? { ...had, state } : job(id, enqueued++, state); // changed, or enqueued anew
            model.set(id, changed);
            map.set(id, changed);
          }
          if (op === "adopt" && !had && !jobs.some((j) => j.id === id) && adopted < jobs.length + 6) {
            const taken = job(id, adopted++, "pending");
            model.set(id, taken);
            map.set(id, taken);
          }
          if (op === "delete") assert.strictEqual(map.delete(id), model.delete(id));
          if (op === "asc") {
            const first = [...take(map.inOrder(), n)].map((j) => j.id);
            assert.deepStrictEqual(first, inOrder().slice(0, n));
          }
          if (op === "desc") {
            assert.deepStrictEqual([...map.inOrderDesc()].map((j) => j.id), inOrder().reverse());
          }
          if (op === "descN") {
            const first = [...take(map.inOrderDesc(), n)].map((j) => j.id);
            assert.deepStrictEqual(first, inOrder().reverse().slice(0, n));
          }
          if (op === "unended") {
            assert.deepStrictEqual([...map.unended()].map((j) => j.id).sort(), where((j) => isLive(j.state)));
          }
          if (op === "states") {
            assert.deepStrictEqual(
              [...map.unendedStates()].map(([id]) => id).sort(),
              where((j) => isLive(j.state)),
            );
          }
          if (op === "waiting") {
            assert.deepStrictEqual(
              [...map.waitingKeys()].map((j) => j.id).sort(),
              where((j) => isWaiting(j.state)),
            );
          }
          if (op === "prefix") {
            assert.deepStrictEqual([...map.keysWithPrefix("j1")].sort(), where((j) => j.id.startsWith("j1")));
          }
          if (op === "size") assert.strictEqual(map.size, model.size);
          if (op === "all") map.parseAll();
          assert.strictEqual(
            closed(),
            !map.lazy,
            "the file is let go exactly when every line is parsed or gone",
          );
        }
        assert.deepStrictEqual([...map.inOrder()].map((j) => j.id), inOrder());
        assert.strictEqual(map.size, model.size);
        assert.ok(closed(), "everything read: the file is let go");
      },
    ),
    { numRuns: 500 },
  );
});

function* take<T>(it: Iterator<T>, n: number): Generator<T> {
  for (let k = 0; k < n; k++) {
    const r = it.next();
    if (r.done) return;
    yield r.value;
  }
}
