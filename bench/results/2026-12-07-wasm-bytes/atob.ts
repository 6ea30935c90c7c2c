// Why bench/claim.ts saw little of the change: it loads Node's layer (`node:process`, for its CPU
// time) before its clock starts, and with that layer loaded `atob` is ready. Times, in a fresh
// process, the first decode of 72 bytes of base64 as codec.ts did it, with `node` after loading
// `node:process` first, else without. One line, in ms.
//
//   deno run -A atob.ts [node]        (atob.sh runs both, alternated)
if (Deno.args[0] === "node") (await import("node:process")).cpuUsage();
const B64 =
  "AGFzbQEAAAABCwJgAABgA39/fwF/AwMCAAEFAwEAAQcQAgZtZW1vcnkCAANjcmMAAQgBAAqOAQJLAQN/A0AgACEBQQghAgNA";
const t0 = performance.now();
const bytes = Uint8Array.from(atob(B64), (c) => c.charCodeAt(0));
const ms = (performance.now() - t0).toFixed(2);
console.log(
  `${Deno.args[0] === "node" ? "node:process loaded" : "alone              "} ${ms} (${bytes.length} bytes)`,
);
