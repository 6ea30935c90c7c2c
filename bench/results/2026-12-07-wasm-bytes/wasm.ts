// src/store/crc32.wat compiled, timed in a fresh process: getting its bytes (from base64, as codec.ts
// did until 00c40d4, or from a literal, as it does since), compiling, instantiating, copying 29,000
// bytes (a history's snapshot header) in, and their CRC twice. One line of figures, in ms. Each way
// holds the bytes as written in its source, so that nothing decodes them before the clock starts.
//
//   deno run -A wasm.ts base64|literal        (measure.sh runs both, alternated)
const CRC32_WASM = [
  "AGFzbQEAAAABCwJgAABgA39/fwF/AwMCAAEFAwEAAQcQAgZtZW1vcnkCAANjcmMAAQgBAAqOAQJLAQN/A0AgACEBQQghAgNA",
  "QaCG4u1+IAFBAXZzIAFBAXYgAUEBcRshASACQQFrIgINAAsgAEECdCABNgIAIABBAWoiAEGAAkkNAAsLQAEBfyACQX9zIQMC",
  "QANAIAAgAU8NASADIAAtAABzQf8BcUECdCgCACADQQh2cyEDIABBAWohAAwACwsgA0F/cws=",
].join("");
// deno-fmt-ignore: twenty a row
const BYTES = [
  0, 97, 115, 109, 1, 0, 0, 0, 1, 11, 2, 96, 0, 0, 96, 3, 127, 127, 127, 1,
  127, 3, 3, 2, 0, 1, 5, 3, 1, 0, 1, 7, 16, 2, 6, 109, 101, 109, 111, 114,
  121, 2, 0, 3, 99, 114, 99, 0, 1, 8, 1, 0, 10, 142, 1, 2, 75, 1, 3, 127,
  3, 64, 32, 0, 33, 1, 65, 8, 33, 2, 3, 64, 65, 160, 134, 226, 237, 126, 32, 1,
  65, 1, 118, 115, 32, 1, 65, 1, 118, 32, 1, 65, 1, 113, 27, 33, 1, 32, 2, 65,
  1, 107, 34, 2, 13, 0, 11, 32, 0, 65, 2, 116, 32, 1, 54, 2, 0, 32, 0, 65,
  1, 106, 34, 0, 65, 128, 2, 73, 13, 0, 11, 11, 64, 1, 1, 127, 32, 2, 65, 127,
  115, 33, 3, 2, 64, 3, 64, 32, 0, 32, 1, 79, 13, 1, 32, 3, 32, 0, 45, 0,
  0, 115, 65, 255, 1, 113, 65, 2, 116, 40, 2, 0, 32, 3, 65, 8, 118, 115, 33, 3,
  32, 0, 65, 1, 106, 33, 0, 12, 0, 11, 11, 32, 3, 65, 127, 115, 11,
];
const base64 = Deno.args[0] === "base64";
const t0 = performance.now();
const bytes = base64 ? Uint8Array.from(atob(CRC32_WASM), (c) => c.charCodeAt(0)) : new Uint8Array(BYTES);
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
