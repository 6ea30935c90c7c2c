/**
 * End-to-end: shell completions in the real shells (bash, zsh, fish), loaded the way the help of
 * `queuectl completion` says, against a home with jobs: commands, subcommands, flags, job ids
 * (one with a ':'), states, config keys, queue names, files. A shell that is not installed fails
 * its test, unless QUEUECTL_TEST_MISSING_SHELLS names it (then the test is reported ignored).
 */
import assert from "node:assert/strict";
import { JOB_STATES } from "../../src/job.ts";
import { cli, cliOk, dirOfHome, expectRefused, refused, snapshotFiles, withHome } from "../../testkit/mod.ts";
import { findShell, mayLack, queuectlBin, type Shell, shellCandidates } from "../../testkit/shells.ts";

interface Case {
  line: string;
  /** exactly these candidates (in any order) */
  exact?: string[];
  /** at least these */
  includes?: string[];
  /** one candidate, ending with this */
  endsWith?: string;
}

/** A home with jobs to complete; returns the cases for it. */
async function setUp(home: string): Promise<Case[]> {
  const dir = dirOfHome(home);
  for (const id of ["abc:1", "build-1", "build-2", "gone"]) {
    await cliOk(home, ["enqueue", "--id", id, "true"]);
  }
  await cliOk(home, ["enqueue", "--id", "deploy", "--queue", "uploads", "true"]);
  await cliOk(home, ["cancel", "gone"]); // to the DLQ: dead
  Deno.writeTextFileSync(`${dir}/jobs.txt`, "true\n");
  Deno.writeTextFileSync(`${dir}/other.log`, "");
  return [
    { line: "queuectl sh", exact: ["show"] },
    { line: "queuectl worker ", includes: ["start", "stop", "list"] },
    { line: "queuectl show ", exact: ["abc:1", "build-1", "build-2", "deploy", "gone"] },
    { line: "queuectl logs build-", exact: ["build-1", "build-2"] },
    { line: "queuectl show abc:", exact: ["abc:1"] },
    { line: "queuectl dlq retry ", exact: ["gone"] },
    { line: "queuectl list --state ", exact: [...JOB_STATES] },
    { line: "queuectl list --state=fa", exact: ["--state=failed"] },
    { line: "queuectl config get max", exact: ["max-retries"] },
    { line: "queuectl config set backoff-", exact: ["backoff-base", "backoff-max"] },
    { line: "queuectl enqueue --queue up", exact: ["uploads"] },
    { line: "queuectl queue pause ", exact: ["default", "uploads"] },
    { line: "queuectl help wor", exact: ["worker"] },
    { line: "queuectl help worker st", exact: ["start", "stop"] },
    { line: "queuectl completion ", exact: ["bash", "fish", "zsh"] },
    { line: "queuectl list --", includes: ["--state", "--queue", "--limit", "--json", "--home"] },
    { line: `queuectl enqueue --file ${dir}/jo`, endsWith: "jobs.txt" },
  ];
}

function check(shell: Shell, cases: Case[], answers: string[][]): void {
  const problems: string[] = [];
  for (const [i, c] of cases.entries()) {
    const got = [...new Set(answers[i])].sort();
    const bad = (c.exact && JSON.stringify(got) !== JSON.stringify([...c.exact].sort())) ||
      (c.includes && !c.includes.every((x) => got.includes(x))) ||
      (c.endsWith && !(got.length === 1 && got[0].endsWith(c.endsWith)));
    if (bad) {
      problems.push(`${JSON.stringify(c.line)}: got ${JSON.stringify(got)}, expected ${JSON.stringify(c)}`);
    }
  }
  assert.deepEqual(problems, [], `${shell} offered the wrong candidates`);
}

for (const shell of ["bash", "zsh", "fish"] as const) {
  Deno.test({
    name: `${shell} completes commands, subcommands, flags, job ids, states, config keys, queues and files`,
    // missing: a failure (requireShell says how to install it), unless allowed to be missing
    ignore: findShell(shell) === null && mayLack(shell),
    fn: () =>
      withHome(async (home) => {
        const cases = await setUp(home);
        const dir = dirOfHome(home);
        const env = { PATH: `${queuectlBin(dir)}:${Deno.env.get("PATH")}`, QUEUECTL_HOME: home };
        const answers = await shellCandidates(shell, cases.map((c) => c.line), { env, dir });
        check(shell, cases, answers);
      }),
  });
}

Deno.test("__complete reads a home without changing it, and creates none", () =>
  withHome(async (home) => {
    const missing = await cli(home, ["__complete", "show", ""]);
    assert.deepEqual([missing.code, missing.stdout, missing.stderr], [0, "", ""]);
    assert.throws(() => Deno.statSync(home), Deno.errors.NotFound);
    await cliOk(home, ["enqueue", "--id", "only", "true"]);
    const before = snapshotFiles(home);
    const r = await cli(home, ["__complete", "--describe", "show", ""]);
    assert.equal(r.stdout, "only\n");
    assert.deepEqual(snapshotFiles(home), before, "completing changed the home's files");
    // --home in the words, before or after the command, is the home read
    const elsewhere = await cli(`${home}-none`, ["__complete", "--home", home, "show", "o"]);
    assert.equal(elsewhere.stdout, "only\n");
    const after = await cli(`${home}-none`, ["__complete", "show", "--home", home, ""]);
    assert.equal(after.stdout, "only\n");
    // @last, offered once the word starts with @ (no id starts so)
    assert.equal((await cli(home, ["__complete", "show", "@"])).stdout, "@last\n");
    assert.equal((await cli(home, ["__complete", "logs", "@x"])).stdout, "");
    // a path: the shell completes it (":files")
    assert.equal((await cli(home, ["__complete", "enqueue", "--file", "x"])).stdout, ":files\n");
    await expectRefused(home, [
      refused(
        ["completion", "powershell"],
        /^error: Cannot print completions for "powershell": expected bash, zsh, fish$/,
      ),
      refused(["completion"], /shell/),
    ]);
  }));
