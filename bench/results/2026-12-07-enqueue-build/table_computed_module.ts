// CRC-32's slicing-by-8 tables computed when this module is evaluated, as codec.ts did until 876b20c
// (with the loops scripts/crc32_table.ts keeps as the tables' definition).
import { crc32Table } from "../../../scripts/crc32_table.ts";

export const TABLE = crc32Table();
