/**
 * Writes src/store/crc32_table.ts: codec.ts's slicing-by-8 tables of CRC-32 (IEEE, reflected,
 * polynomial 0xedb88320) as a literal, which a process evaluates in 0.06-0.18 ms. Computed when
 * codec.ts was loaded, they cost every command 0.7-5.1 ms of its start-up (their 4,000 steps run in
 * V8's interpreter; bench/results/2026-12-07-enqueue-build/table.txt). With
 * `--check`, writes nothing and exits 1 when the file holds other numbers;
 * scripts/crc32_table_test.ts checks the file against crc32Table() on every test run.
 *
 *   deno run -A scripts/crc32_table.ts [--check]
 */
const TARGET = new URL("../src/store/crc32_table.ts", import.meta.url).pathname;

/** The tables by their definition: T[k*256 + b] is the CRC of byte b followed by k zero bytes. */
export function crc32Table(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      t[k * 256 + n] = (t[(k - 1) * 256 + n] >>> 8) ^ t[t[(k - 1) * 256 + n] & 0xff];
    }
  }
  return t;
}

/** The text of src/store/crc32_table.ts. */
export function tableModule(): string {
  const t = crc32Table();
  const rows: string[] = [];
  for (let i = 0; i < t.length; i += 8) {
    rows.push(
      `  ${[...t.subarray(i, i + 8)].map((v) => `0x${v.toString(16).padStart(8, "0")}`).join(", ")},`,
    );
  }
  return [
    "/**",
    " * CRC-32's slicing-by-8 tables for src/store/codec.ts: T[k*256 + b] is the CRC of byte b followed",
    " * by k zero bytes. Written by scripts/crc32_table.ts (why a literal: see there); do not edit.",
    " */",
    "// deno-fmt-ignore: eight a row",
    "export const CRC32_TABLE: Uint32Array = new Uint32Array([",
    ...rows,
    "]);",
    "",
  ].join("\n");
}

if (import.meta.main) {
  const text = tableModule();
  if (Deno.args.includes("--check")) {
    if (Deno.readTextFileSync(TARGET) !== text) {
      console.error("src/store/crc32_table.ts holds other numbers than scripts/crc32_table.ts computes");
      Deno.exit(1);
    }
    console.log("src/store/crc32_table.ts matches");
  } else {
    Deno.writeTextFileSync(TARGET, text);
    console.log("wrote src/store/crc32_table.ts");
  }
}
