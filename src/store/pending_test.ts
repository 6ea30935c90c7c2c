import assert from "node:assert/strict";
import { NOW, pendingJob, withPendingHome } from "./_pending_fixtures.ts";
import type { PendingJob, PendingReader, PendingSegment } from "./pending.ts";
import { verifySegment } from "./pending_verify.ts";
import { rewriteSegments, writePendingSegment } from "./pending_write.ts";
import { consume, type Consumption, NOTHING_CONSUMED } from "./pending_consumption.ts";
import { ENTRY_WIDTH } from "./pending_format.ts";

const HOUR = 3600_000;
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

/** Jobs of two queues, several priorities, due (null or past run_at) and scheduled (future run_at). */
function mixed(): PendingJob[] {
  return [
    pendingJob("m01", 1),
    pendingJob("m02", 2, { priority: 5 }),
    pendingJob("m03", 3, { queue: "mail", run_at: at(2 * HOUR) }),
    pendingJob("m04", 4, { priority: 5, run_at: at(-HOUR) }),
    pendingJob("m05", 5, { queue: "mail", priority: -3 }),
    pendingJob("m06", 6, { run_at: at(HOUR), priority: 9 }),
    pendingJob("m07", 7, { queue: "mail", run_at: at(HOUR) }),
    pendingJob("m08", 8, { priority: 5 }),
    pendingJob("m09", 9, { queue: "mail", run_at: at(HOUR), priority: 7 }),
    pendingJob("m10", 10, { run_at: at(0) }),
    pendingJob("m11", 11, { queue: "mail", priority: 2 }),
    pendingJob("m12", 12, { priority: -1 }),
  ];
}

/** The ids of a list, in claim order. */
function listIds(reader: PendingReader, seg: PendingSegment, list: number, c?: Consumption): string[] {
  return [...reader.walk(seg, list, c)].map(({ entry }) => reader.job(seg, entry.offset, entry.length).id);
}

Deno.test("a segment of several queues reads back every job as written, and its record describes its files", () => {
  withPendingHome((paths, reader) => {
    const jobs = mixed();
    const seg = writePendingSegment(paths, 7, jobs, NOW);
    assert.equal(seg.n, 7);
    assert.equal(seg.jobs, 12);
    assert.equal(seg.bytes, Deno.statSync(paths.pendingJobs(7)).size);
    assert.equal(seg.index_bytes, Deno.statSync(paths.pendingIndex(7)).size);
    assert.equal(seg.order_bytes, Deno.statSync(paths.pendingOrder(7)).size);
    assert.deepEqual([seg.min_seq, seg.max_seq, seg.min_id, seg.max_id], [1, 12, "m01", "m12"]);
    assert.equal(seg.now, NOW.toISOString());
    assert.deepEqual(seg.lists, [
      { queue: "default", kind: "due", first: 0, count: 6, top_priority: 5 },
      {
        queue: "default",
        kind: "scheduled",
        first: 6,
        count: 1,
        first_run_at: at(HOUR),
        last_run_at: at(HOUR),
      },
      { queue: "mail", kind: "due", first: 7, count: 2, top_priority: 2 },
      {
        queue: "mail",
        kind: "scheduled",
        first: 9,
        count: 3,
        first_run_at: at(HOUR),
        last_run_at: at(2 * HOUR),
      },
    ]);
    // the jobs come back whole, their place taken off, in seq order
    assert.deepEqual([...reader.scan(seg)].map((p) => p.job), jobs);
    verifySegment(reader, seg);
  });
});

Deno.test("due lists run by priority then seq; scheduled lists by run_at then seq", () => {
  withPendingHome((paths, reader) => {
    const seg = writePendingSegment(paths, 1, mixed(), NOW);
    // a run_at exactly at the write time is due
    assert.deepEqual(listIds(reader, seg, 0), ["m02", "m04", "m08", "m01", "m10", "m12"]);
    assert.deepEqual(listIds(reader, seg, 1), ["m06"]);
    assert.deepEqual(listIds(reader, seg, 2), ["m11", "m05"]);
    assert.deepEqual(listIds(reader, seg, 3), ["m07", "m09", "m03"]);
    const head = reader.entry(seg, 3, 0);
    assert.deepEqual([head.seq, head.priority, head.run_at], [7, 0, at(HOUR)]);
    assert.deepEqual(reader.entry(seg, 0, 0).run_at, null);
    assert.equal(reader.at(seg, 0, 1).job.id, "m04");
    assert.throws(() => reader.entry(seg, 0, 6), RangeError);
    assert.throws(() => reader.entry(seg, 4, 0), RangeError);
  });
});

Deno.test("lookup() finds every id through a large index with its place, and no id it does not hold", () => {
  withPendingHome((paths, reader) => {
    // enough ids that lookups bisect (the index is far larger than one scanned window), not in seq order
    const jobs = Array.from(
      { length: 3000 },
      (_, i) => pendingJob(`job-${(i * 7919) % 3000}-x`, i + 1, { priority: i % 7, queue: `q${i % 3}` }),
    );
    const seg = writePendingSegment(paths, 1, jobs, NOW);
    assert.ok(seg.index_bytes > 16 * 4096);
    for (const job of jobs) {
      const found = reader.lookup(seg, job.id);
      assert.deepEqual(found?.job, job);
      // the place lookup gives is the place its list has it at
      const e = reader.entry(seg, found!.list, found!.pos);
      assert.equal(e.seq, job.seq);
    }
    for (const missing of ["job-", "job-3000-x", "a", "zzz", "job-1-", "job-1-xx", ""]) {
      assert.equal(reader.lookup(seg, missing), null, missing);
    }
  });
});

Deno.test("walk() starts at a position, skips consumed positions, and reads no further than it is taken", () => {
  withPendingHome((paths, reader) => {
    const jobs = Array.from({ length: 5000 }, (_, i) => pendingJob(`w${String(i).padStart(5, "0")}`, i + 1));
    const seg = writePendingSegment(paths, 1, jobs, NOW);
    let c: Consumption = NOTHING_CONSUMED;
    for (const pos of [0, 1, 2, 4, 100, 4999]) c = consume(c, pos);
    assert.deepEqual(c, { prefix: 3, exceptions: [4, 100, 4999] });
    const walked = [...reader.walk(seg, 0, c)];
    assert.equal(walked.length, 5000 - 6);
    assert.deepEqual(walked.slice(0, 3).map((w) => w.pos), [3, 5, 6]);
    assert.ok(walked.every((w) => w.entry.seq === w.pos + 1));
    assert.ok(!walked.some((w) => w.pos === 100 || w.pos === 4999));
    assert.deepEqual(
      [...reader.walk(seg, 0, c, 4990)].map((w) => w.pos),
      [4990, 4991, 4992, 4993, 4994, 4995, 4996, 4997, 4998],
    );
    // damage far down the list: a walk that takes its head never reads that far, one that goes on does
    reader.close();
    const bytes = Deno.readFileSync(paths.pendingOrder(1));
    bytes[seg.order_bytes - (5000 - 3000) * ENTRY_WIDTH + 3] ^= 1;
    Deno.writeFileSync(paths.pendingOrder(1), bytes);
    const it = reader.walk(seg, 0, c, 10);
    assert.deepEqual([it.next().value?.pos, it.next().value?.pos], [10, 11]);
    it.return(undefined);
    assert.throws(
      () => [...reader.walk(seg, 0, c, 10)],
      /pending-00000001\.order is corrupt at byte \d+: order entry 3000 fails its checksum/,
    );
  });
});

Deno.test("scan() and scanBackward() give the jobs in seq order both ways, from any seq", () => {
  withPendingHome((paths, reader) => {
    // seqs with gaps, as jobs claimed before compaction leave them
    const jobs = Array.from({ length: 2000 }, (_, i) => pendingJob(`s${i}`, 3 * i + 5, { priority: i % 4 }));
    const seg = writePendingSegment(paths, 1, jobs, NOW);
    const seqs = jobs.map((j) => j.seq);
    assert.deepEqual([...reader.scan(seg)].map((p) => p.job.seq), seqs);
    assert.deepEqual([...reader.scanBackward(seg)].map((p) => p.job.seq), [...seqs].reverse());
    for (const past of [0, 4, 5, 6, 7, 8, 3000, 3001, 6000, 6001, 6002, 9000]) {
      assert.deepEqual(
        [...reader.scan(seg, past)].map((p) => p.job.seq),
        seqs.filter((s) => s > past),
        `past ${past}`,
      );
      assert.deepEqual(
        [...reader.scanBackward(seg, past)].map((p) => p.job.seq),
        seqs.filter((s) => s < past).reverse(),
        `before ${past}`,
      );
    }
    // each job comes with its place, so a caller can tell a consumed one
    for (const p of reader.scan(seg, 5990)) assert.equal(reader.at(seg, p.list, p.pos).job.id, p.job.id);
  });
});

Deno.test("rewriteSegments() keeps exactly the unconsumed jobs, in claim order, and moves jobs now due into the due lists", () => {
  withPendingHome((paths, reader) => {
    const a = writePendingSegment(paths, 1, mixed(), NOW);
    const b = writePendingSegment(paths, 2, [
      pendingJob("n01", 20, { priority: 5 }),
      pendingJob("n02", 21, { queue: "mail", run_at: at(3 * HOUR) }),
      pendingJob("n03", 22, { queue: "zip" }),
    ], NOW);
    // consume m02, m04 (head of default's due list), m10 (out of order), m09 (scheduled), n01
    const ca = [
      consume(consume(NOTHING_CONSUMED, 0), 1),
      NOTHING_CONSUMED,
      NOTHING_CONSUMED,
      NOTHING_CONSUMED,
    ];
    ca[0] = consume(ca[0], 4);
    ca[3] = consume(ca[3], 1);
    const consumption = new Map([[1, ca], [2, [
      consume(NOTHING_CONSUMED, 0),
      NOTHING_CONSUMED,
      NOTHING_CONSUMED,
    ]]]);
    const later = new Date(NOW.getTime() + 1.5 * HOUR);
    const steps: string[] = [];
    const seg = rewriteSegments(reader, [a, b], consumption, 3, later, (s) => steps.push(s));
    assert.equal(seg.jobs, 15 - 5);
    assert.equal(steps.length, 12);
    verifySegment(reader, seg);
    assert.deepEqual(seg.lists.map((l) => [l.queue, l.kind, l.count]), [
      ["default", "due", 4],
      ["mail", "due", 3],
      ["mail", "scheduled", 2],
      ["zip", "due", 1],
    ]);
    // m06 (priority 9, due at +1h) and m07 (due at +1h) came due by the rewrite's time
    assert.deepEqual(listIds(reader, seg, 0), ["m06", "m08", "m01", "m12"]);
    assert.deepEqual(listIds(reader, seg, 1), ["m11", "m07", "m05"]);
    assert.deepEqual(listIds(reader, seg, 2), ["m03", "n02"]);
    assert.deepEqual(listIds(reader, seg, 3), ["n03"]);
    // the jobs themselves are unchanged
    for (const p of reader.scan(seg)) {
      assert.deepEqual(p.job, reader.lookup(a, p.job.id)?.job ?? reader.lookup(b, p.job.id)?.job);
    }
  });
});

Deno.test("writePendingSegment() takes jobs in any order and refuses duplicate ids and impossible fields, leaving no file", () => {
  withPendingHome((paths, reader) => {
    const shuffled = [...mixed()].reverse();
    const seg = writePendingSegment(paths, 1, shuffled, NOW);
    assert.deepEqual([...reader.scan(seg)].map((p) => p.job.seq), mixed().map((j) => j.seq));
    const bad: Array<[PendingJob[], RegExp]> = [
      [[pendingJob("x", 1), pendingJob("x", 2)], /job "x" appears twice/],
      [[pendingJob("x", 1), pendingJob("y", 1)], /two jobs have seq 1/],
      [[pendingJob("x", 1, { run_at: "soon" })], /job "x" has run_at "soon", not a time/],
      [[pendingJob("x", 1, { priority: 1e12 })], /priority 1000000000000/],
      [[pendingJob("x", 1.5)], /seq 1\.5/],
    ];
    for (const [jobs, why] of bad) {
      assert.throws(() => writePendingSegment(paths, 2, jobs, NOW), why);
      assert.equal([...Deno.readDirSync(paths.home)].filter((e) => e.name.includes("00000002")).length, 0);
    }
  });
});

Deno.test("an empty segment has no lists and verifies", () => {
  withPendingHome((paths, reader) => {
    const seg = writePendingSegment(paths, 1, [], NOW);
    assert.deepEqual([seg.jobs, seg.bytes, seg.index_bytes, seg.lists], [0, 0, 0, []]);
    verifySegment(reader, seg);
    assert.equal(reader.lookup(seg, "a"), null);
    assert.deepEqual([...reader.scan(seg)], []);
    assert.deepEqual([...reader.scanBackward(seg)], []);
  });
});

Deno.test("writing a segment reports every crash point in order: jobs, index, order, each written, synced, renamed, dir-synced", () => {
  withPendingHome((paths, reader) => {
    const steps: string[] = [];
    const seen: Array<[string, string[]]> = [];
    writePendingSegment(paths, 4, mixed(), NOW, (s) => {
      steps.push(s);
      seen.push([s, [...Deno.readDirSync(paths.home)].map((e) => e.name).sort()]);
    });
    const expected = ["jobs", "index", "order"].flatMap((file) =>
      ["written", "synced", "renamed", "dir-synced"].map((step) => `pending-${file}-${step}`)
    );
    assert.deepEqual(steps, expected);
    // until its rename, a file exists only under its temp name
    const at = (s: string) => seen.find(([name]) => name === s)![1];
    assert.ok(!at("pending-jobs-synced").includes("pending-00000004.jobs"));
    assert.ok(at("pending-jobs-renamed").includes("pending-00000004.jobs"));
    assert.ok(!at("pending-order-synced").includes("pending-00000004.order"));
    assert.ok(
      at("pending-order-synced").some((n) => n.startsWith("pending-00000004.order.") && n.endsWith(".tmp")),
    );
    const seg = writePendingSegment(paths, 5, mixed(), NOW);
    const steps2: string[] = [];
    rewriteSegments(reader, [seg], new Map(), 6, NOW, (s) => steps2.push(s));
    assert.deepEqual(steps2, expected);
  });
});

Deno.test("the order file puts entry k of the file at a fixed byte offset", () => {
  withPendingHome((paths) => {
    const seg = writePendingSegment(paths, 1, mixed(), NOW);
    const bytes = Deno.readFileSync(paths.pendingOrder(1));
    const start = seg.order_bytes - seg.jobs * ENTRY_WIDTH;
    assert.equal(bytes[start - 1], 0x0a);
    const text = new TextDecoder().decode(bytes.subarray(start));
    const lines = text.split("\n").slice(0, -1);
    assert.equal(lines.length, seg.jobs);
    assert.ok(lines.every((l) => l.length + 1 === ENTRY_WIDTH));
    assert.match(lines[0], /^0000000000000002 \+0000000005 -{24} \d{12} \d{9} [0-9a-f]{8}$/);
  });
});

Deno.test("rewriteSegments() copies job lines byte for byte but for their place, whatever the order of their members", () => {
  withPendingHome((paths, reader) => {
    // a job whose members do not begin with its id, and one with text that needs escapes
    const { id, queue, ...rest } = pendingJob("odd", 2, { priority: 1 });
    const odd = { queue, ...rest, id } as PendingJob;
    const escaped = { ...pendingJob("esc", 3), command: `printf '"o":[1,2]\\n' "é ✓ \u0001"` };
    const jobs = [pendingJob("first", 1), odd, escaped];
    const seg = writePendingSegment(paths, 1, jobs, NOW);
    const again = rewriteSegments(reader, [seg], new Map([[1, [consume(NOTHING_CONSUMED, 0)]]]), 2, NOW);
    assert.deepEqual([...reader.scan(again)].map((p) => p.job), jobs.filter((j) => j.id !== "odd"));
    const all = rewriteSegments(reader, [seg], new Map(), 3, NOW);
    assert.deepEqual([...reader.scan(all)].map((p) => p.job), jobs);
    assert.equal(reader.lookup(all, "odd")?.job.queue, "default");
    verifySegment(reader, all);
  });
});

Deno.test("rewriteSegments() refuses a consumption that does not fit its segment, writing nothing", () => {
  withPendingHome((paths, reader) => {
    const seg = writePendingSegment(paths, 1, mixed(), NOW);
    assert.throws(
      () => rewriteSegments(reader, [seg], new Map([[1, [{ prefix: 7, exceptions: [] }]]]), 2, NOW),
      /Cannot rewrite pending segment 1: pending segment 1 has 4 lists/,
    );
    const wrong = seg.lists.map(() => NOTHING_CONSUMED);
    wrong[1] = { prefix: 0, exceptions: [5] };
    assert.throws(
      () => rewriteSegments(reader, [seg], new Map([[1, wrong]]), 2, NOW),
      /list 1 .* exception 5/,
    );
    assert.equal([...Deno.readDirSync(paths.home)].filter((e) => e.name.includes("00000002")).length, 0);
  });
});

Deno.test("findIds() names the ids a segment holds with their places, by bisection or by one pass", () => {
  withPendingHome((paths, reader) => {
    const jobs = Array.from(
      { length: 3000 },
      (_, i) => pendingJob(`f${(i * 7919) % 3000}`, i + 1, { queue: `q${i % 2}` }),
    );
    const seg = writePendingSegment(paths, 1, jobs, NOW);
    const few = ["f1", "f2999", "nope", "f1"];
    const found = reader.findIds(seg, few);
    assert.deepEqual(found.map((e) => e.id), ["f1", "f2999"]);
    for (const e of found) assert.equal(reader.at(seg, e.list, e.pos).job.id, e.id);
    // enough ids that one pass over the index is cheaper than bisecting for each
    const many = Array.from({ length: 2000 }, (_, i) => (i % 2 ? `f${i}` : `g${i}`));
    const all = reader.findIds(seg, many);
    assert.deepEqual(all.map((e) => e.id), many.filter((id) => id.startsWith("f")).sort());
    for (const e of all) {
      assert.deepEqual(reader.lookup(seg, e.id), {
        job: reader.at(seg, e.list, e.pos).job,
        list: e.list,
        pos: e.pos,
      });
    }
  });
});

Deno.test("jobs() and jobsDesc() merge segments in seq order both ways, leaving out consumed jobs", () => {
  withPendingHome((paths, reader) => {
    // overlapping seq ranges, as a merge of rewritten segments leaves them
    const a = writePendingSegment(
      paths,
      1,
      [1, 4, 5, 9, 12].map((s) => pendingJob(`a${s}`, s, { priority: s % 2 })),
      NOW,
    );
    const b = writePendingSegment(paths, 2, [2, 3, 10, 11].map((s) => pendingJob(`b${s}`, s)), NOW);
    const c = writePendingSegment(
      paths,
      3,
      [20, 21].map((s) => pendingJob(`c${s}`, s, { queue: "mail" })),
      NOW,
    );
    // consume a9 and b2: the heads of their segments' due lists are a5 (priority 1) and b2
    const head = (seg: PendingSegment, id: string) => reader.lookup(seg, id)!;
    const a9 = head(a, "a9");
    const b2 = head(b, "b2");
    const consumption = new Map([
      [1, a.lists.map((_, l) => (l === a9.list ? consume(NOTHING_CONSUMED, a9.pos) : NOTHING_CONSUMED))],
      [2, b.lists.map((_, l) => (l === b2.list ? consume(NOTHING_CONSUMED, b2.pos) : NOTHING_CONSUMED))],
    ]);
    const seqs = [1, 3, 4, 5, 10, 11, 12, 20, 21];
    const segs = [c, a, b];
    assert.deepEqual([...reader.jobs(segs, consumption)].map((j) => j.seq), seqs);
    assert.deepEqual([...reader.jobsDesc(segs, consumption)].map((j) => j.seq), [...seqs].reverse());
    assert.deepEqual([...reader.jobs(segs, consumption, 4)].map((j) => j.seq), seqs.filter((s) => s > 4));
    assert.deepEqual([...reader.jobsDesc(segs, consumption, 11)].map((j) => j.seq), [10, 5, 4, 3, 1]);
    assert.deepEqual([...reader.jobs(segs, new Map())].length, 11);
  });
});
