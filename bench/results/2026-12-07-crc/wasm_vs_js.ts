import { crc32 } from "../../../src/store/codec.ts";
const f = Deno.readFileSync(Deno.args[0]);
const nl = f.indexOf(10);
const BYTES = Deno.readFileSync(new URL("./crc32.wasm", import.meta.url));
const t0 = performance.now();
const inst = new WebAssembly.Instance(new WebAssembly.Module(BYTES));
const mem = inst.exports.memory as WebAssembly.Memory;
const crc = inst.exports.crc as (p: number, e: number, s: number) => number;
const t1 = performance.now();
const need = 1024 + nl;
if (mem.buffer.byteLength < need) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
new Uint8Array(mem.buffer).set(f.subarray(0, nl), 1024);
const w = crc(1024, 1024 + nl - 20, 0) >>> 0;
const t2 = performance.now();
const j = crc32(f, 0, nl - 20);
const t3 = performance.now();
console.log(
  `inst ${(t1 - t0).toFixed(2)} wasm-crc ${(t2 - t1).toFixed(2)} js-crc ${(t3 - t2).toFixed(2)}`,
  w === j,
);
