/**
 * Bad-input assertions for end-to-end tests: each case must exit 2 with nothing on stdout, one
 * line on stderr (`error: ` and a sentence naming the problem), and the home's files byte-identical.
 */
import assert from "node:assert/strict";
import { cli } from "./cli.ts";
import { snapshotFiles } from "./files.ts";

export interface RefusedCase {
  args: string[];
  /** what the one stderr line must name */
  names: RegExp;
  stdin?: string;
  cwd?: string;
}

/** A case: these arguments, refused with a line matching `names`. */
export const refused = (args: string[], names: RegExp, stdin?: string): RefusedCase => ({
  args,
  names,
  stdin,
});

/** Runs every case and fails with the list of all cases that were not refused properly. */
export async function expectRefused(home: string, cases: RefusedCase[]): Promise<void> {
  const problems: string[] = [];
  for (const { args, names, stdin, cwd } of cases) {
    const what = `queuectl ${args.map((a) => (/^[\w.:/=-]+$/.test(a) ? a : `'${a}'`)).join(" ")}`;
    const before = snapshotFiles(home);
    const r = await cli(home, args, { stdin, cwd });
    const lines = r.stderr.trimEnd().split("\n");
    const issues: string[] = [];
    if (r.code !== 2) issues.push(`exit code ${r.code}, not 2`);
    if (r.stdout !== "") issues.push(`printed ${JSON.stringify(r.stdout.slice(0, 120))} on stdout`);
    if (lines.length !== 1) {
      issues.push(`${lines.length} lines on stderr, not one: ${JSON.stringify(r.stderr)}`);
    } else if (!/^error: [^\n]+\n$/.test(r.stderr)) {
      issues.push(`the line is not "error: <sentence>" and a newline: ${JSON.stringify(r.stderr)}`);
    } else if (lines[0].length <= 10 || !names.test(lines[0])) {
      issues.push(`the message does not name the problem (${names}): ${JSON.stringify(lines[0])}`);
    }
    try {
      assert.deepEqual(snapshotFiles(home), before);
    } catch {
      issues.push("the home's files changed");
    }
    if (issues.length > 0) problems.push(`${what}: ${issues.join("; ")}`);
  }
  if (problems.length > 0) {
    assert.fail(`${problems.length} case(s) not refused properly:\n${problems.join("\n")}`);
  }
}
