/**
 * Runs generated hostile cases against the CLI, in this process (src/cli/run.ts) and through the
 * real binary, each against a populated home (or a home that does not exist yet), and judges
 * every one: refused with exit 2 and one line naming the field, nothing changed on disk.
 */
import { runCli } from "../../src/cli/run.ts";
import { FILE_ARG, type FuzzCase, generateCase } from "./cases.ts";
import { binary, binaryOk } from "./cli.ts";
import { changes, fingerprint } from "./home.ts";
import { judge, type Outcome } from "./judge.ts";
import { rng } from "./rng.ts";

export interface FuzzOptions {
  seed: number;
  inProcess: number;
  binary: number;
  progress?: (line: string) => void;
}

export interface FuzzReport {
  inProcess: number;
  binary: number;
  refused: number;
  accepted: number;
  /** characters of the longest stderr (a message may quote the bad value) */
  longestMessage: number;
  /** violations by what went wrong: wrong exit code, crash, message, files changed */
  byProblem: Record<string, number>;
  violations: string[];
}

type Runner = (c: FuzzCase, home: string, args: string[]) => Promise<Omit<Outcome, "before" | "after">>;

const inProcess: Runner = async (c, home, args) => {
  try {
    return await runCli(args, { env: { QUEUECTL_HOME: home }, stdin: c.stdin, cwd: dirOf(home) });
  } catch (e) {
    // the entry function itself threw: a crash, whatever the input
    return { code: -1, stdout: "", stderr: `uncaught: ${(e as Error)?.stack ?? e}\n` };
  }
};

const throughBinary: Runner = (c, home, args) => binary(home, args, { stdin: c.stdin, cwd: dirOf(home) });

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

/** A home with config, jobs in every state and captured output: something to leave untouched. */
async function populate(home: string): Promise<void> {
  const env = { QUEUECTL_HOME: home };
  const must = async (args: string[]) => {
    const r = await runCli(args, { env, cwd: dirOf(home) });
    if (r.code !== 0) throw new Error(`fuzz setup: queuectl ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  };
  await must(["config", "set", "backoff-base", "1"]);
  await must(["enqueue", "--id", "done-1", "true"]);
  await must(["enqueue", "--id", "dead-1", "--max-retries", "0", "echo oops; exit 1"]);
  await binaryOk(home, ["worker", "start", "--drain"]);
  await must(["enqueue", "--id", "later-1", "--delay", "1h", "true"]);
  await must(["compact"]);
  await must(["enqueue", "--id", "pending-1", "--priority", "5", "echo hi"]);
}

export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  const dir = Deno.makeTempDirSync({ prefix: "qctl-fuzz-" });
  const report: FuzzReport = {
    inProcess: 0,
    binary: 0,
    refused: 0,
    accepted: 0,
    longestMessage: 0,
    byProblem: {},
    violations: [],
  };
  try {
    const populated = `${dir}/home`;
    const absent = `${dir}/absent-home`;
    await populate(populated);
    const inputs = `${dir}/inputs`;
    Deno.mkdirSync(inputs);
    const r = rng(options.seed);
    const phases: Array<[string, number, Runner, boolean]> = [
      ["in-process", options.inProcess, inProcess, true],
      ["binary", options.binary, throughBinary, false],
    ];
    for (const [phase, count, runner, nulInArgs] of phases) {
      const opts = { maxArgBytes: nulInArgs ? Infinity : 100_000, nulInArgs };
      for (let i = 0; i < count; i++) {
        const c = generateCase(r, opts);
        // a refused case runs against the populated home or one that does not exist yet
        const home = c.expect === "accept" || r.chance(0.5) ? populated : absent;
        const file = `${inputs}/case-${i}.jsonl`;
        if (c.file) Deno.writeFileSync(file, c.file);
        const args = c.args.map((a) => (a === FILE_ARG ? file : a));
        const before = await fingerprint(home);
        const got = await runner(c, home, args);
        const after = await fingerprint(home);
        if (c.file) Deno.removeSync(file);
        report.longestMessage = Math.max(report.longestMessage, got.stderr.length);
        const problems = judge(c, { ...got, before, after });
        if (phase === "binary") report.binary++;
        else report.inProcess++;
        if (c.expect === "accept" && got.code === 0) report.accepted++;
        if (c.expect === "refuse" && got.code === 2) report.refused++;
        for (const p of problems) {
          const key = classify(p);
          report.byProblem[key] = (report.byProblem[key] ?? 0) + 1;
          if (report.violations.length < 100) {
            const shown = args.map((a) =>
              JSON.stringify(a.length > 80 ? `${a.slice(0, 80)}…(${a.length})` : a)
            );
            const diff = key === "files changed" ? ` [${changes(before, after)}]` : "";
            report.violations.push(
              `seed ${options.seed} ${phase} case ${i} (${c.kind}, ${
                home === absent ? "absent home" : "populated home"
              }): ${p}${diff}; args ${shown.join(" ")}`,
            );
          }
        }
        // a case that wrongly created the absent home was counted: the next one needs it absent again
        if (home === absent && after !== "absent") Deno.removeSync(absent, { recursive: true });
        if ((i + 1) % 1000 === 0) options.progress?.(`hostile: ${phase} ${i + 1}/${count}`);
      }
    }
    return report;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

function classify(problem: string): string {
  if (problem.startsWith("exit")) return "wrong exit code";
  if (problem.startsWith("a stack trace")) return "crash or stack trace";
  if (problem.startsWith("the home")) return "files changed";
  return "message";
}
