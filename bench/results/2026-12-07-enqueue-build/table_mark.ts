// Evaluated just before the module imported after it (table_literal.ts, table_computed.ts).
(globalThis as { tableT0?: number }).tableT0 = performance.now();
