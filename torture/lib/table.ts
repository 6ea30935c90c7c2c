/** The one table a torture run prints: step, figure, value; then the count of violations. */
import type { StepResult } from "../step.ts";

export function renderTable(results: readonly StepResult[]): string {
  const rows: string[][] = [["step", "figure", "value"]];
  for (const r of results) {
    for (const f of r.figures) rows.push([r.name, f.label, String(f.value)]);
    rows.push([r.name, "seconds", r.seconds.toFixed(1)]);
  }
  const widths = [0, 1].map((c) => Math.max(...rows.map((row) => row[c].length)));
  const lines = rows.map((row) => `${row[0].padEnd(widths[0])}  ${row[1].padEnd(widths[1])}  ${row[2]}`);
  lines.splice(1, 0, `${"-".repeat(widths[0])}  ${"-".repeat(widths[1])}  -----`);
  const violations = results.reduce((n, r) => n + r.violations.length, 0);
  return `${lines.join("\n")}\nviolations: ${violations}\n`;
}
