/** Whether one fuzz case was handled as the contract says: pure, so it is unit-tested alone. */
import type { FuzzCase } from "./cases.ts";

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  /** the home's fingerprint before and after (home.ts) */
  before: string;
  after: string;
}

/** What is wrong with how `c` was handled; empty when nothing is. */
export function judge(c: FuzzCase, o: Outcome): string[] {
  const problems: string[] = [];
  if (/^\s+at /m.test(o.stderr) || /panicked|RUST_BACKTRACE|Uncaught/.test(o.stderr)) {
    problems.push("a stack trace or crash report on stderr");
  }
  if (c.expect === "accept") {
    if (o.code !== 0) problems.push(`exit ${o.code} for valid input (${firstLine(o.stderr)})`);
    return problems;
  }
  if (o.code !== 2) problems.push(`exit ${o.code}, not 2 (${firstLine(o.stderr)})`);
  if (o.stdout !== "") problems.push(`printed ${JSON.stringify(o.stdout.slice(0, 80))} on stdout`);
  const lines = o.stderr.split("\n");
  if (lines.length !== 2 || lines[1] !== "" || !lines[0].startsWith("error: ")) {
    problems.push(`stderr is not one "error: ..." line: ${JSON.stringify(o.stderr.slice(0, 200))}`);
  } else {
    const line = lines[0].toLowerCase();
    const missing = c.names.filter((n) => !line.includes(n.toLowerCase()));
    if (missing.length > 0) {
      problems.push(`the message does not name ${missing.join(", ")}: ${lines[0].slice(0, 200)}`);
    }
  }
  if (o.before !== o.after) problems.push("the home's files changed");
  return problems;
}

function firstLine(text: string): string {
  return text.split("\n")[0].slice(0, 200);
}
