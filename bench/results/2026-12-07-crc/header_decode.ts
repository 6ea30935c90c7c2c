import { crc32 } from "../../../src/store/codec.ts";
const f = Deno.readFileSync(Deno.args[0]);
const nl = f.indexOf(10);
const t0 = performance.now();
const c = crc32(f, 0, nl - 20);
const t1 = performance.now();
const txt = new TextDecoder().decode(f.subarray(0, nl - 20));
const t2 = performance.now();
JSON.parse(txt + "}");
const t3 = performance.now();
const c2 = crc32(f, 0, nl - 20);
const t4 = performance.now();
console.log(
  `len ${nl} crc ${(t1 - t0).toFixed(2)} decode ${(t2 - t1).toFixed(2)} parse ${
    (t3 - t2).toFixed(2)
  } crc-again ${(t4 - t3).toFixed(2)}`,
  c === c2,
);
