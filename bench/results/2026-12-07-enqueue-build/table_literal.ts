// The evaluation of src/store/crc32_table.ts in a fresh process (both modules are loaded and
// compiled before either runs): deno run <CLI flags> bench/results/2026-12-07-enqueue-build/table_literal.ts
import "./table_mark.ts";
import { CRC32_TABLE } from "../../../src/store/crc32_table.ts";
const t0 = (globalThis as { tableT0?: number }).tableT0!;
console.log(`literal ${(performance.now() - t0).toFixed(3)} ms (T[2047] = ${CRC32_TABLE[2047]})`);
