/**
 * decideClaim() over pending segments: the claim order across segments, and the due lists a claim
 * leaves unread because their recorded top priority cannot beat the best job found.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { NOW, pendingJob, withOrderHeader, withPendingHome } from "../_pending_fixtures.ts";
import type { PendingJob, PendingReader, PendingSegment } from "../pending.ts";
import { verifySegment } from "../pending_verify.ts";
import { writePendingSegment } from "../pending_write.ts";
import type { HomePaths } from "../paths.ts";
import { QueueState } from "../state.ts";
import { claimRequest, commit } from "../_testing.ts";
import { decideClaim } from "./claim.ts";

/** A state whose jobs all wait in `groups`, one segment each, and how often each segment's lists were walked. */
function stateOf(
  paths: HomePaths,
  reader: PendingReader,
  groups: PendingJob[][],
  old: (n: number) => boolean = () => false,
): { state: QueueState; walked: Map<number, number> } {
  const state = new QueueState();
  groups.forEach((jobs, i) => {
    const seg = writePendingSegment(paths, i + 1, jobs, NOW);
    state.pending.add(old(seg.n) ? withoutTopPriority(paths, seg) : seg);
  });
  const walked = new Map<number, number>();
  state.pending.reader = new Proxy(reader, {
    get(target, prop) {
      if (prop === "walk") {
        return (...args: Parameters<PendingReader["walk"]>) => {
          walked.set(args[0].n, (walked.get(args[0].n) ?? 0) + 1);
          return target.walk(...args);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { state, walked };
}

/** Counts the segments' jobs as pending, as a loaded snapshot does, so that claims can be applied. */
function counted(state: QueueState, groups: PendingJob[][]): QueueState {
  for (const job of groups.flat()) {
    state.counts.pending++;
    const c = state.byQueue.get(job.queue) ?? { pending: 0, processing: 0, completed: 0, failed: 0, dead: 0 };
    c.pending++;
    state.byQueue.set(job.queue, c);
  }
  return state;
}

/**
 * Segment `n` as a version before top priorities wrote it: no `top_priority` in its record or its
 * order file's header (the header is shorter by as much; the entries follow it unchanged).
 */
function withoutTopPriority(paths: HomePaths, seg: PendingSegment): PendingSegment {
  const lists = seg.lists.map(({ top_priority: _, ...l }) => l);
  const bytes = withOrderHeader(Deno.readFileSync(paths.pendingOrder(seg.n)), seg, lists);
  Deno.writeFileSync(paths.pendingOrder(seg.n), bytes);
  return { ...seg, lists, order_bytes: bytes.length };
}

/** Up to `segments` segments of 1 to 6 jobs, each job's priority and queue. */
const shapesArb = (segments: number) =>
  fc.array(
    fc.array(
      fc.record({ priority: fc.integer({ min: -2, max: 2 }), queue: fc.constantFrom("default", "mail") }),
      { minLength: 1, maxLength: 6 },
    ),
    { minLength: 1, maxLength: segments },
  );

const claimIds = (state: QueueState, slots: number) =>
  decideClaim(state, claimRequest("w1", slots), NOW).result.map((j) => j.id);

Deno.test("a claim over segments of one priority reads only the lists that can hold its picks", () => {
  withPendingHome((paths, reader) => {
    const groups = [0, 1, 2, 3, 4].map((s) => [1, 2, 3].map((k) => pendingJob(`j${3 * s + k}`, 3 * s + k)));
    const one = stateOf(paths, reader, groups);
    assert.deepEqual(claimIds(one.state, 1), ["j1"]);
    assert.deepEqual(
      [...one.walked],
      [[1, 1]],
      "segments 2 to 5 hold nothing before j1: their order files stay unread",
    );
    const four = stateOf(paths, reader, groups);
    assert.deepEqual(claimIds(four.state, 4), ["j1", "j2", "j3", "j4"]);
    assert.deepEqual([...four.walked], [[1, 1], [2, 1]]);
  });
});

Deno.test("a later segment's higher priority is read and claimed first", () => {
  withPendingHome((paths, reader) => {
    const { state, walked } = stateOf(paths, reader, [
      [pendingJob("a1", 1), pendingJob("a2", 2)],
      [pendingJob("b3", 3), pendingJob("b4", 4, { priority: 2 })],
      [pendingJob("c5", 5, { priority: 1 })],
    ]);
    assert.deepEqual(claimIds(state, 3), ["b4", "c5", "a1"]);
    assert.deepEqual([...walked.keys()].sort(), [1, 2, 3]);
  });
});

Deno.test("property: a claim over segments takes the best due jobs in claim order, whatever it leaves unread", () => {
  fc.assert(
    fc.property(
      shapesArb(5),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 8 }),
      (shapes, seed, slots) => {
        // seqs shuffled across segments (a rewrite can merge any), each segment in seq order
        const total = shapes.flat().length;
        const seqs = Array.from({ length: total }, (_, i) => i + 1).sort((a, b) =>
          ((a * seed * 7919) % 101) - ((b * seed * 7919) % 101) || a - b
        );
        let k = 0;
        const groups = shapes.map((shape) =>
          shape.map((s) => ({ ...s, seq: seqs[k++] })).sort((a, b) => a.seq - b.seq).map((s) =>
            pendingJob(`s${s.seq}`, s.seq, { priority: s.priority, queue: s.queue })
          )
        );
        const best = groups.flat().sort((a, b) => b.priority - a.priority || a.seq - b.seq).slice(0, slots);
        withPendingHome((paths, reader) => {
          const { state } = stateOf(paths, reader, groups);
          assert.deepEqual(claimIds(state, slots), best.map((j) => j.id));
        });
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("segments written before top priorities are read as before, beside new ones", () => {
  withPendingHome((paths, reader) => {
    const groups = [
      [pendingJob("a1", 1), pendingJob("a2", 2)],
      [pendingJob("b3", 3), pendingJob("b4", 4, { priority: 2 })],
      [pendingJob("c5", 5)],
    ];
    const { state, walked } = stateOf(paths, reader, groups, (n) => n !== 1);
    for (const seg of state.pending.segments) verifySegment(reader, seg);
    assert.deepEqual(state.pending.segments.map((s) => s.lists[0].top_priority), [0, undefined, undefined]);
    assert.deepEqual(claimIds(state, 2), ["b4", "a1"]);
    assert.deepEqual([...walked.keys()].sort(), [1, 2, 3], "a list without its top priority is always read");
  });
});

Deno.test("property: successive claims over segments, each applied, take every job once in claim order", () => {
  fc.assert(
    fc.property(
      shapesArb(4),
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 30 }),
      fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      (shapes, slotRuns, olds) => {
        let seq = 0;
        const groups = shapes.map((shape) =>
          shape.map((s) => pendingJob(`s${++seq}`, seq, { priority: s.priority, queue: s.queue }))
        );
        const all = groups.flat().sort((a, b) => b.priority - a.priority || a.seq - b.seq).map((j) => j.id);
        withPendingHome((paths, reader) => {
          const { state } = stateOf(paths, reader, groups, (n) => olds[n - 1]);
          counted(state, groups);
          const taken: string[] = [];
          for (let i = 0; taken.length < all.length; i++) {
            const d = decideClaim(state, claimRequest("w1", slotRuns[i % slotRuns.length]), NOW);
            assert.ok(d.result.length > 0, "a job still waits: the claim takes one");
            taken.push(...commit(state, d, NOW).map((j) => j.id));
          }
          assert.deepEqual(taken, all);
          assert.deepEqual(decideClaim(state, claimRequest("w1", 4), NOW).result, []);
        });
      },
    ),
    { numRuns: 100 },
  );
});
