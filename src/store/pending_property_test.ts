import assert from "node:assert/strict";
import fc from "fast-check";
import { NOW, pendingJob, withPendingHome } from "./_pending_fixtures.ts";
import type { PendingJob, PendingReader, PendingSegment } from "./pending.ts";
import { verifySegment } from "./pending_verify.ts";
import { rewriteSegments, writePendingSegment } from "./pending_write.ts";
import { consume, type Consumption, NOTHING_CONSUMED } from "./pending_consumption.ts";

const MINUTE = 60_000;

/** The claim order as a plain model: per queue by name, due then scheduled, empty lists left out. */
function model(jobs: PendingJob[], now: Date): Array<{ queue: string; kind: string; ids: string[] }> {
  const due = (j: PendingJob) => j.run_at === null || Date.parse(j.run_at) <= now.getTime();
  const out: Array<{ queue: string; kind: string; ids: string[] }> = [];
  for (const queue of [...new Set(jobs.map((j) => j.queue))].sort()) {
    const mine = jobs.filter((j) => j.queue === queue);
    const d = mine.filter(due).sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    const s = mine.filter((j) => !due(j)).sort((a, b) =>
      Date.parse(a.run_at!) - Date.parse(b.run_at!) || a.seq - b.seq
    );
    if (d.length) out.push({ queue, kind: "due", ids: d.map((j) => j.id) });
    if (s.length) out.push({ queue, kind: "scheduled", ids: s.map((j) => j.id) });
  }
  return out;
}

/** The segment's lists as the reader walks them, skipping what `cs` consumed. */
function read(reader: PendingReader, seg: PendingSegment, cs: Consumption[] = []) {
  return seg.lists.map((l, list) => ({
    queue: l.queue,
    kind: l.kind,
    ids: [...reader.walk(seg, list, cs[list] ?? NOTHING_CONSUMED)].map(({ pos }) =>
      reader.at(seg, list, pos).job.id
    ),
  }));
}

const jobArb = fc.record({
  queue: fc.constantFrom("default", "mail", "b"),
  priority: fc.integer({ min: -3, max: 3 }),
  runAt: fc.option(fc.integer({ min: -120, max: 120 }), { nil: null }),
  gap: fc.integer({ min: 1, max: 3 }),
});
const idArb = fc.stringMatching(/^[a-z0-9][a-z0-9._:@+-]{0,12}$/);

Deno.test("property: the reader's claim order, lookups and rewrite agree with a plain model", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(idArb, { minLength: 1, maxLength: 120 }).chain((ids) =>
        fc.tuple(
          fc.constant(ids),
          fc.array(jobArb, { minLength: ids.length, maxLength: ids.length }),
          // consumed places: [list (mod the list count), position (mod its count)]
          fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 60 }),
          fc.boolean(),
          fc.integer({ min: 0, max: 180 }),
          fc.array(idArb, { maxLength: 10 }),
        )
      ),
      ([ids, shapes, uses, headFirst, laterMinutes, probes]) => {
        withPendingHome((paths, reader) => {
          let seq = 0;
          const jobs = ids.map((id, i) => {
            const s = shapes[i];
            seq += s.gap;
            return pendingJob(id, seq, {
              queue: s.queue,
              priority: s.priority,
              run_at: s.runAt === null ? null : new Date(NOW.getTime() + s.runAt * MINUTE).toISOString(),
            });
          });
          const seg = writePendingSegment(paths, 1, [...jobs].reverse(), NOW);
          const expected = model(jobs, NOW);
          assert.deepEqual(read(reader, seg), expected);
          assert.deepEqual([...reader.scan(seg)].map((p) => p.job), jobs);
          assert.deepEqual(
            [...reader.scanBackward(seg)].map((p) => p.job.id),
            jobs.map((j) => j.id).reverse(),
          );
          for (const job of jobs) {
            const found = reader.lookup(seg, job.id)!;
            assert.deepEqual(found.job, job);
            assert.equal(expected[found.list].ids[found.pos], job.id);
          }
          for (const probe of probes) {
            assert.equal(reader.lookup(seg, probe)?.job.id, ids.includes(probe) ? probe : undefined);
          }
          // consume: from each list's head when headFirst, else anywhere
          const cs: Consumption[] = seg.lists.map(() => NOTHING_CONSUMED);
          const gone = new Set<string>();
          for (const [l, p] of uses) {
            const list = l % seg.lists.length;
            const pos = headFirst ? cs[list].prefix : p % seg.lists[list].count;
            if (pos >= seg.lists[list].count) continue;
            cs[list] = consume(cs[list], pos);
            gone.add(expected[list].ids[pos]);
          }
          assert.deepEqual(
            read(reader, seg, cs),
            expected.map((l) => ({ ...l, ids: l.ids.filter((id) => !gone.has(id)) })),
          );
          const later = new Date(NOW.getTime() + laterMinutes * MINUTE);
          const kept = jobs.filter((j) => !gone.has(j.id));
          const rewritten = rewriteSegments(reader, [seg], new Map([[1, cs]]), 2, later);
          assert.deepEqual(read(reader, rewritten), model(kept, later));
          assert.deepEqual([...reader.scan(rewritten)].map((p) => p.job), kept);
          verifySegment(reader, rewritten);
        });
      },
    ),
    { numRuns: 60 },
  );
});
