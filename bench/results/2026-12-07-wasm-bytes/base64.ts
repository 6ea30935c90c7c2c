// src/store/crc32.wat compiled, timed in a fresh process: getting its bytes (from base64, as codec.ts did until 00c40d4), compiling,
// instantiating, copying 29,000 bytes (a history's snapshot header) in, and their CRC twice. One
// line of figures, in ms. Run by measure.sh.
const CRC32_WASM = [
  "AGFzbQEAAAABCwJgAABgA39/fwF/AwMCAAEFAwEAAQcQAgZtZW1vcnkCAANjcmMAAQgBAAqOAQJLAQN/A0AgACEBQQghAgNA",
  "QaCG4u1+IAFBAXZzIAFBAXYgAUEBcRshASACQQFrIgINAAsgAEECdCABNgIAIABBAWoiAEGAAkkNAAsLQAEBfyACQX9zIQMC",
  "QANAIAAgAU8NASADIAAtAABzQf8BcUECdCgCACADQQh2cyEDIABBAWohAAwACwsgA0F/cws=",
].join("");
const t0 = performance.now();
const bytes = Uint8Array.from(atob(CRC32_WASM), (c) => c.charCodeAt(0));
const t1 = performance.now();
const m = new WebAssembly.Module(bytes);
const t2 = performance.now();
const { exports } = new WebAssembly.Instance(m);
const t3 = performance.now();
const mem = new Uint8Array((exports.memory as WebAssembly.Memory).buffer);
mem.set(new Uint8Array(29000).fill(65), 1024);
const t4 = performance.now();
const crc = exports.crc as (p: number, end: number, seed: number) => number;
const c1 = crc(1024, 1024 + 29000, 0);
const t5 = performance.now();
const c2 = crc(1024, 1024 + 29000, 0);
const t6 = performance.now();
const ms = (a: number, b: number) => (b - a).toFixed(2);
console.log(
  `bytes ${ms(t0, t1)} module ${ms(t1, t2)} instance ${ms(t2, t3)} set ${ms(t3, t4)} ` +
    `crc1 ${ms(t4, t5)} crc2 ${ms(t5, t6)} same ${c1 === c2}`,
);
