import { crc32 } from "../../../src/store/codec.ts";
const f = new Uint8Array(15_000_000);
for (let i = 0; i < f.length; i++) f[i] = (i * 7919) & 0xff;
const BYTES = Deno.readFileSync(new URL("./crc32.wasm", import.meta.url));
const inst = new WebAssembly.Instance(new WebAssembly.Module(BYTES));
const mem = new Uint8Array((inst.exports.memory as WebAssembly.Memory).buffer);
const crc = inst.exports.crc as (p: number, e: number, s: number) => number;
function w(bytes: Uint8Array) {
  let c = 0;
  for (let at = 0; at < bytes.length; at += 64512) {
    const n = Math.min(64512, bytes.length - at);
    mem.set(bytes.subarray(at, at + n), 1024);
    c = crc(1024, 1024 + n, c) >>> 0;
  }
  return c;
}
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  const a = w(f);
  const t1 = performance.now();
  const b = crc32(f);
  const t2 = performance.now();
  console.log(`wasm ${(t1 - t0).toFixed(1)} js ${(t2 - t1).toFixed(1)}`, a === b);
}
