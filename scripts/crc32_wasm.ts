/**
 * Compiles src/store/crc32.wat with wat2wasm (npm `wabt`, run through npx) and writes its bytes,
 * as a literal of numbers twenty a row, into src/store/codec.ts: the rows between the
 * `// crc32.wat` line and the `]);` that ends CRC32_WASM. With `--check`, writes nothing and
 * exits 1 when codec.ts holds other bytes.
 *
 *   deno run -A scripts/crc32_wasm.ts [--check]
 */
const ROOT = new URL("..", import.meta.url).pathname;
const WAT = `${ROOT}src/store/crc32.wat`;
const CODEC = `${ROOT}src/store/codec.ts`;
const WABT = "wabt@1.0.37";

const out = await Deno.makeTempFile({ suffix: ".wasm" });
try {
  const run = await new Deno.Command("npx", {
    args: ["-y", "-p", WABT, "wat2wasm", WAT, "-o", out],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!run.success) {
    console.error(`wat2wasm (${WABT}) failed on ${WAT}`);
    Deno.exit(1);
  }
  const bytes = Deno.readFileSync(out);
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 20) lines.push(`  ${[...bytes.subarray(i, i + 20)].join(", ")},`);
  const source = Deno.readTextFileSync(CODEC);
  const block = /(\/\/ crc32\.wat[^\n]*\n)([\s\S]*?)(\n\]\);)/;
  const found = source.match(block);
  if (!found) {
    console.error(`${CODEC} has no CRC32_WASM block to write into`);
    Deno.exit(1);
  }
  const body = lines.join("\n");
  if (Deno.args.includes("--check")) {
    if (found[2] !== body) {
      console.error("src/store/codec.ts holds other bytes than src/store/crc32.wat compiles to");
      Deno.exit(1);
    }
    console.log(`CRC32_WASM matches crc32.wat (${bytes.length} bytes)`);
  } else {
    Deno.writeTextFileSync(CODEC, source.replace(block, (_, head, _old, tail) => `${head}${body}${tail}`));
    console.log(`wrote ${bytes.length} bytes of crc32.wat into src/store/codec.ts`);
  }
} finally {
  Deno.removeSync(out);
}
