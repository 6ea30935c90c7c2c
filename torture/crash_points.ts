/**
 * Step "crash": every point of the store's crash seam, crashed into by a real CLI process
 * (enqueue, compact, a draining worker) in several store shapes (crash_shapes.ts), each case
 * checked by crash_case.ts. The full run does every point × shape × operation; --quick does
 * each point once, in a shape and operation that meets it. A point that no case meets is a
 * violation too: the seam would be broken.
 */
import { CRASH_POINTS } from "../src/store/log.ts";
import { type CaseResult, type Op, OPS, runCase } from "./crash_case.ts";
import { buildTemplate, type Shape, SHAPES, type Template } from "./crash_shapes.ts";
import { removeScratch } from "./lib/home.ts";
import { belowFloors } from "./lib/floors.ts";
import type { Figure, Step, StepResult } from "./step.ts";

const PARALLEL = 2;

interface Case {
  point: string;
  shape: Shape;
  op: Op;
}

function cases(quick: boolean): Case[] {
  if (!quick) {
    return CRASH_POINTS.flatMap((point) =>
      SHAPES.flatMap((shape) => OPS.map((op) => ({ point, shape, op })))
    );
  }
  // few shapes, so that few are built; archive files are written only when completed jobs are
  // compacted, which the tombstones shape holds, and pending files only in the pending shape;
  // retention's points (pruned, outputs-removed) need finished jobs and their workers' output files
  const retention = (point: string) => point === "pruned" || point === "outputs-removed";
  return CRASH_POINTS.map((point, i): Case => ({
    point,
    shape: point.startsWith("pending-")
      ? "pending"
      : point.startsWith("archive-") || retention(point) || i % 2 === 1
      ? "tombstones"
      : "live",
    op: retention(point) ? "retain" : point.startsWith("append-") ? OPS[i % 2 === 0 ? 0 : 2] : "compact",
  }));
}

export const crashStep: Step = async (options): Promise<StepResult> => {
  const t0 = performance.now();
  const todo = cases(options.quick);
  const shapes = [...new Set(todo.map((c) => c.shape))];
  options.progress(`crash: building ${shapes.length} store shapes`);
  const templates = new Map<Shape, Template>();
  try {
    for (const shape of shapes) templates.set(shape, await buildTemplate(shape));
    const violations: string[] = [];
    const reachedBy = new Map<string, number>();
    let reached = 0;
    let next = 0;
    let done = 0;
    const lane = async () => {
      while (next < todo.length) {
        const c = todo[next++];
        let result: CaseResult;
        try {
          result = await runCase(templates.get(c.shape)!, c.point, c.op);
        } catch (e) {
          result = {
            reached: false,
            violations: [`${c.point} × ${c.shape} × ${c.op}: the case failed: ${(e as Error).message}`],
          };
        }
        violations.push(...result.violations);
        for (const v of result.violations) options.progress(`crash: violation: ${v}`);
        if (result.reached) {
          reached++;
          reachedBy.set(c.point, (reachedBy.get(c.point) ?? 0) + 1);
        }
        if (++done % 20 === 0 || done === todo.length) {
          options.progress(
            `crash: ${done}/${todo.length} cases, ${reached} crashed, ${violations.length} violation(s)`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, lane));
    const never = CRASH_POINTS.filter((p) => !reachedBy.has(p));
    for (const p of never) violations.push(`crash point ${p} was never reached`);
    const figures: Figure[] = [
      { label: "crash points", value: CRASH_POINTS.length },
      { label: "store shapes", value: shapes.length },
      { label: "cases (point × shape × operation)", value: todo.length },
      { label: "cases that crashed at their point", value: reached },
      { label: "points reached", value: `${CRASH_POINTS.length - never.length}/${CRASH_POINTS.length}` },
    ];
    // floor: in the quick run (one case per point, chosen to reach it) every case crashed at its point;
    // the full run crosses every point with every shape and operation, and many of those pairs never
    // pass the point (a compaction point in an enqueue, an archive point in a store with no archive):
    // there the floor is one crash per point (the run of 2026-11-23 crashed 111 of its 204 cases)
    violations.push(
      ...belowFloors(figures, {
        "cases that crashed at their point": options.quick ? todo.length : CRASH_POINTS.length,
      }),
    );
    figures.push({ label: "violations", value: violations.length });
    return { name: "crash", figures, violations, seconds: (performance.now() - t0) / 1000 };
  } finally {
    for (const t of templates.values()) removeScratch(t.scratch);
  }
};
