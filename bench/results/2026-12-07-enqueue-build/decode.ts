// Checks (checkLine) or decodes (decodeLine) every line of a log, one call a line, in a fresh
// process: what a command replaying that log pays. Copied into a checkout at this same path:
//   deno run <CLI flags> bench/results/2026-12-07-enqueue-build/decode.ts FILE [check|decode]
import { checkLine, decodeLine } from "../../../src/store/codec.ts";
const buf = Deno.readFileSync(Deno.args[0]);
const lines: [number, number][] = [];
let s = 0;
for (let i = 0; i < buf.length; i++) if (buf[i] === 10) (lines.push([s, i]), s = i + 1);
const mode = Deno.args[1] ?? "decode";
const t0 = performance.now();
for (const [a, b] of lines) mode === "check" ? checkLine(buf, a, b) : decodeLine(buf, a, b);
console.log(`${mode} ${lines.length} lines ${(performance.now() - t0).toFixed(2)} ms`);
