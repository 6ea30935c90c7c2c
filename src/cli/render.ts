/** Human output: aligned tables and short descriptions. JSON output is the objects as they are. */
import type { Job } from "../job.ts";
import { printable, shorten } from "../printable.ts";

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

/**
 * "1,000,000": a count with its thousands grouped, as `toLocaleString("en-US")` writes it without
 * its cost: that loads the locale's data on first use (7.5 ms of a `list` call).
 */
export function thousands(n: number): string {
  const digits = String(Math.abs(Math.trunc(n)));
  let out = digits.slice(0, digits.length % 3 || 3);
  for (let i = out.length; i < digits.length; i += 3) out += "," + digits.slice(i, i + 3);
  return (n < 0 ? "-" : "") + out;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

/** "in 4s", "3m ago": a time relative to now, for tables. */
export function relative(iso: string | null, now: Date): string {
  if (!iso) return "-";
  const s = Math.round((Date.parse(iso) - now.getTime()) / 1000);
  const abs = Math.abs(s);
  const text = abs < 90
    ? `${abs}s`
    : abs < 5400
    ? `${Math.round(abs / 60)}m`
    : abs < 129600
    ? `${Math.round(abs / 3600)}h`
    : `${Math.round(abs / 86400)}d`;
  return s > 0 ? `in ${text}` : s === 0 ? "now" : `${text} ago`;
}

export function jobRows(jobs: Job[], now: Date): string[][] {
  return jobs.map((j) => [
    j.id,
    j.state,
    `${j.attempts}/${j.max_retries + 1}`,
    String(j.priority),
    j.state === "pending" || j.state === "failed"
      ? (j.run_at === null ? "asap" : relative(j.run_at, now))
      : relative(j.updated_at, now),
    printable(j.last_error ?? ""),
    shorten(j.command),
  ]);
}

export const JOB_HEADER = [
  "ID",
  "STATE",
  "TRIES",
  "PRIO",
  "WHEN",
  "LAST ERROR",
  "COMMAND",
];

/** A dependency of a job as `show` lists it: its id and its state (null: no such job any more). */
export interface Dependency {
  id: string;
  state: string | null;
}

export function describeJob(job: Job, deps: Dependency[] = []): string {
  const fields: Array<[string, unknown]> = [
    ["id", job.id],
    ["state", job.state + (job.kill !== undefined ? ` (kill requested: ${job.kill})` : "")],
    ["queue", job.queue],
    ["command", job.argv ? `${job.command}  (argv: run without a shell)` : job.command],
    [
      "attempts",
      `${job.attempts} of ${job.max_retries + 1} (max_retries ${job.max_retries})`,
    ],
    ["priority", job.priority],
    ["run_at", job.run_at ?? "as soon as possible"],
    ["timeout", job.timeout === null ? "home default" : `${job.timeout}s`],
    ["cwd", job.cwd ?? "-"],
    ...(job.after
      ? [["after", deps.map((d) => `${d.id} (${d.state ?? "deleted"})`).join(", ")] as [string, unknown]]
      : []),
    ...(job.unique !== undefined ? [["unique", job.unique] as [string, unknown]] : []),
    ...Object.entries(job.env ?? {}).map(([k, v]): [string, unknown] => ["env", `${k}=${v}`]),
    ["created_at", job.created_at],
    ["updated_at", job.updated_at],
    ["started_at", job.started_at ?? "-"],
    ["finished_at", job.finished_at ?? "-"],
    ["exit_code", job.exit_code ?? "-"],
    ["last_error", job.last_error ?? "-"],
    ["worker", job.worker ?? "-"],
    ["lease_until", job.lease_until ?? "-"],
    ["pid", job.pid ?? "-"],
  ];
  const width = Math.max(...fields.map(([k]) => k.length));
  // a job's own text (command, cwd, last_error, output) may hold terminal escapes: never raw
  let out = fields.map(([k, v]) => `${k.padEnd(width)}  ${printable(String(v))}`).join("\n") +
    "\n";
  if (job.output_tail) {
    const tail = printable(job.output_tail, true);
    out += `\noutput (last attempt, tail):\n${tail}${tail.endsWith("\n") ? "" : "\n"}`;
  }
  return out;
}
