import assert from "node:assert/strict";
import { crc32Table, tableModule } from "./crc32_table.ts";
import { CRC32_TABLE } from "../src/store/crc32_table.ts";

Deno.test("src/store/crc32_table.ts is what scripts/crc32_table.ts writes, and holds the tables by their definition", () => {
  const text = Deno.readTextFileSync(new URL("../src/store/crc32_table.ts", import.meta.url));
  assert.equal(text, tableModule());
  assert.deepEqual(CRC32_TABLE, crc32Table());
  // the first table is CRC-32's usual one
  assert.equal(CRC32_TABLE[1], 0x77073096);
  assert.equal(CRC32_TABLE[255], 0x2d02ef8d);
});
