// The evaluation of the computed tables in a fresh process (both modules are loaded and compiled
// before either runs): deno run <CLI flags> bench/results/2026-12-07-enqueue-build/table_computed.ts
import "./table_mark.ts";
import { TABLE } from "./table_computed_module.ts";
const t0 = (globalThis as { tableT0?: number }).tableT0!;
console.log(`computed ${(performance.now() - t0).toFixed(3)} ms (T[2047] = ${TABLE[2047]})`);
