/**
 * decideClaim() over pending segments: the claim order across segments, and the due lists a claim
 * leaves unread because their recorded top priority cannot beat the best job found.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { NOW, pendingJob, withPendingHome } from "../_pending_fixtures.ts";
import type { PendingJob, PendingReader } from "../pending.ts";
import { writePendingSegment } from "../pending_write.ts";
import type { HomePaths } from "../paths.ts";
import { QueueState } from "../state.ts";
import { claimRequest } from "../_testing.ts";
import { decideClaim } from "./claim.ts";

/** A state whose jobs all wait in `groups`, one segment each, and how often each segment's lists were walked. */
function stateOf(
  paths: HomePaths,
  reader: PendingReader,
  groups: PendingJob[][],
): { state: QueueState; walked: Map<number, number> } {
  const state = new QueueState();
  groups.forEach((jobs, i) => state.pending.add(writePendingSegment(paths, i + 1, jobs, NOW)));
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
      fc.array(
        fc.array(
          fc.record({ priority: fc.integer({ min: -2, max: 2 }), queue: fc.constantFrom("default", "mail") }),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        { minLength: 1, maxLength: 5 },
      ),
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
