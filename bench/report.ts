/** One result per figure, its goal, and the two ways to print them: one table, or JSON. */
import type { Measured } from "./paired.ts";
import type { Summary } from "./stats.ts";

/** A goal on the ratio to the baseline, or on the value itself. */
export interface Goal {
  on: "ratio" | "value";
  op: "<=" | ">=";
  target: number;
}

export interface Result {
  figure: string;
  /** the median */
  value: number;
  unit: string;
  /** the baseline's median (measured in the same run), or a computed ideal; null when none */
  baseline: number | null;
  /** value / baseline */
  ratio: number | null;
  /** e.g. "ratio <= 1.5"; null when the figure is only reported */
  goal: string | null;
  met: boolean | null;
  runs: number;
  min: number;
  max: number;
  median: number;
  /** how the baseline was spread, when it was measured */
  baseline_min?: number;
  baseline_max?: number;
  baseline_runs?: number;
  /** median CPU time (ms) of the figure's runs and of its baseline's, when both were known */
  cpu_ms?: number;
  baseline_cpu_ms?: number;
  /** cpu_ms / baseline_cpu_ms: what the same work cost in CPU, less sensitive to the machine's load */
  cpu_ratio?: number;
  note?: string;
}

export interface ResultInput {
  figure: string;
  unit: string;
  value: Summary | Measured;
  baseline?: Summary | Measured | number;
  goal?: Goal;
  note?: string;
}

function isMeasured(x: Summary | Measured): x is Measured {
  return "value" in x;
}

export function result(input: ResultInput): Result {
  const { goal } = input;
  const value = isMeasured(input.value) ? input.value.value : input.value;
  const baseline =
    input.baseline === undefined || typeof input.baseline === "number" || !isMeasured(input.baseline)
      ? input.baseline
      : input.baseline.value;
  const base = baseline === undefined ? null : typeof baseline === "number" ? baseline : baseline.median;
  const ratio = base === null || base === 0 ? null : value.median / base;
  let met: boolean | null = null;
  if (goal) {
    const x = goal.on === "ratio" ? ratio : value.median;
    met = x === null ? null : goal.op === "<=" ? x <= goal.target : x >= goal.target;
  }
  const out: Result = {
    figure: input.figure,
    value: value.median,
    unit: input.unit,
    baseline: base,
    ratio,
    goal: goal ? `${goal.on} ${goal.op} ${goal.target}` : null,
    met,
    runs: value.runs,
    min: value.min,
    max: value.max,
    median: value.median,
  };
  if (baseline !== undefined && typeof baseline !== "number") {
    out.baseline_min = baseline.min;
    out.baseline_max = baseline.max;
    out.baseline_runs = baseline.runs;
  }
  const cpu = isMeasured(input.value) ? input.value.cpu : null;
  const baseCpu =
    input.baseline !== undefined && typeof input.baseline !== "number" && isMeasured(input.baseline)
      ? input.baseline.cpu
      : null;
  if (cpu && baseCpu && baseCpu.median > 0) {
    out.cpu_ms = cpu.median;
    out.baseline_cpu_ms = baseCpu.median;
    out.cpu_ratio = cpu.median / baseCpu.median;
  }
  if (input.note) out.note = input.note;
  return out;
}

/** A number in `unit`, with the precision that unit deserves. */
export function formatValue(x: number, unit: string): string {
  switch (unit) {
    case "ms":
      return `${x.toFixed(x < 100 ? 1 : 0)} ms`;
    case "s":
      return `${x.toFixed(2)} s`;
    case "%":
      return `${x.toFixed(2)} %`;
    case "MB":
      return `${x.toFixed(1)} MB`;
    default:
      return `${Math.round(x).toLocaleString("en-US")} ${unit}`;
  }
}

function spread(x: number, min: number, max: number, runs: number, unit: string): string {
  if (runs <= 1) return formatValue(x, unit);
  const num = (n: number) => formatValue(n, unit).replace(` ${unit}`, "");
  return `${formatValue(x, unit)} (${num(min)}–${num(max)}, n=${runs})`;
}

function goalText(goal: string | null, unit: string): string {
  if (!goal) return "reported";
  const [on, op, target] = goal.split(" ");
  const sym = op === "<=" ? "≤" : "≥";
  return on === "ratio" ? `${sym} ${target}× baseline` : `${sym} ${formatValue(Number(target), unit)}`;
}

/**
 * The one table: figure | value | baseline (same run) | ratio | goal | met? | CPU ratio, then the
 * notes. The CPU ratio is the figure's CPU time over its baseline's for the same work (lower is
 * cheaper), whatever the unit of the figure.
 */
export function renderTable(results: Result[]): string {
  const rows = results.map((r) => [
    r.figure,
    r.runs === 0 ? "not measured (see below)" : spread(r.value, r.min, r.max, r.runs, r.unit),
    r.baseline === null
      ? "—"
      : r.baseline_runs
      ? spread(r.baseline, r.baseline_min!, r.baseline_max!, r.baseline_runs, r.unit)
      : `${formatValue(r.baseline, r.unit)} (ideal)`,
    r.ratio === null ? "—" : `${r.ratio.toFixed(2)}×`,
    goalText(r.goal, r.unit),
    r.met === null ? "—" : r.met ? "yes" : "NO",
    r.cpu_ratio === undefined ? "—" : `${r.cpu_ratio.toFixed(2)}×`,
  ]);
  const header = [
    "figure",
    "value (median, min–max)",
    "baseline (same run)",
    "ratio",
    "goal",
    "met?",
    "CPU ratio",
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  const out = [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)];
  const notes = results.filter((r) => r.note).map((r) => `- ${r.figure}: ${r.note}`);
  if (notes.length) out.push("", ...notes);
  return out.join("\n") + "\n";
}
