const BYTES = Deno.readFileSync(new URL("./crc32.wasm", import.meta.url));
const t0 = performance.now();
const m = new WebAssembly.Module(BYTES);
const t1 = performance.now();
const i = new WebAssembly.Instance(m);
const t2 = performance.now();
const crc = i.exports.crc as (a: number, b: number, c: number) => number;
crc(1024, 2048, 0);
const t3 = performance.now();
console.log(
  `module ${(t1 - t0).toFixed(2)} instance ${(t2 - t1).toFixed(2)} first-call ${(t3 - t2).toFixed(2)}`,
);
