/**
 * Faults: a home that does not exist, and one that cannot exist (its path runs through a
 * regular file, which stops root too).
 *
 * Missing: reads show an empty queue (or "no such job") and create nothing; `doctor` and
 * `compact`, whose object is the store, say there is none (exit 1) and create nothing either; the
 * first write creates the home and its missing parents 0700 and its files 0600, even under
 * `umask 000`.
 * Unwritable: every command exits 1 with one `error:` line naming the path; nothing is created.
 */
import { cli, type CliResult, exists } from "../../testkit/mod.ts";
import {
  checkConsistent,
  cliCustom,
  describe,
  type FaultOptions,
  type FaultReport,
  Findings,
  oneErrorLine,
  treeOf,
  withTempDir,
} from "./common.ts";

const READS: Array<{ args: string[]; code: number; out?: RegExp }> = [
  { args: ["status"], code: 0, out: /pending\s+0/ },
  { args: ["list"], code: 0, out: /^no jobs$/m },
  { args: ["list", "--json"], code: 0, out: /^\[\]$/m },
  { args: ["show", "x"], code: 1 },
  { args: ["logs", "x"], code: 1 },
  { args: ["dlq", "list"], code: 0 },
  { args: ["config", "list"], code: 0 },
  { args: ["worker", "list"], code: 0 },
  { args: ["worker", "stop"], code: 0 },
  { args: ["doctor"], code: 1 },
  { args: ["doctor", "--json"], code: 1 },
  { args: ["compact"], code: 1 },
];

function modeOf(path: string): number {
  return Deno.statSync(path).mode! & 0o777;
}

async function missing(f: Findings, dir: string): Promise<void> {
  const top = `${dir}/missing`;
  const home = `${top}/a/b/home`;
  for (const { args, code, out } of READS) {
    const r = await cli(home, args);
    f.expect(
      r.code === code && (out === undefined || out.test(r.stdout)) && (code === 0 || oneErrorLine(r)),
      `${args.join(" ")} on a missing home should exit ${code} (${describe(r)}, stdout ${
        JSON.stringify(r.stdout.slice(0, 120))
      })`,
    );
    f.expect(!exists(top), `${args.join(" ")} on a missing home created ${top}`);
  }
  // the first write creates the home, parents included, 0700, even with a permissive umask
  const r = await cliCustom(home, ["enqueue", "--id", "first", "echo first"], {
    script: 'umask 000; exec "$@"',
  });
  if (!f.expect(r.code === 0, `enqueue into a missing home failed (${describe(r)})`)) return;
  for (const d of [`${top}/a`, `${top}/a/b`, home]) {
    f.expect(modeOf(d) === 0o700, `${d} was created ${modeOf(d).toString(8)}, not 700`);
  }
  for (const name of treeOf(home)) {
    const mode = modeOf(`${home}/${name}`);
    const isDir = Deno.statSync(`${home}/${name}`).isDirectory;
    f.expect(mode === (isDir ? 0o700 : 0o600), `${name} was created ${mode.toString(8)} under umask 000`);
  }
  await checkConsistent(f, home, ["first"], "after the first write");
}

async function unwritable(f: Findings, dir: string): Promise<void> {
  const file = `${dir}/file`;
  Deno.writeTextFileSync(file, "a regular file\n");
  let clear = 0;
  const cases: Array<[string, string[]]> = [
    [`${file}/home`, ["status"]],
    [`${file}/home`, ["list"]],
    [`${file}/home`, ["show", "x"]],
    [`${file}/home`, ["enqueue", "echo x"]],
    [`${file}/home`, ["config", "set", "max-retries", "2"]],
    [`${file}/home`, ["worker", "start", "--drain"]],
    [`${file}/home`, ["compact"]],
    [`${file}/home`, ["doctor"]],
    [file, ["enqueue", "echo x"]],
    [file, ["status"]],
  ];
  for (const [home, args] of cases) {
    const r: CliResult = await cli(home, args);
    if (
      f.expect(
        r.code === 1 && oneErrorLine(r) && r.stderr.includes(file),
        `${args.join(" ")} with home ${home} should exit 1 with one error line naming it (${describe(r)})`,
      )
    ) clear++;
  }
  f.figure("commands on an impossible home failing with one clear line", `${clear}/${cases.length}`);
  f.expect(
    Deno.readTextFileSync(file) === "a regular file\n",
    "the regular file in the home's path was changed",
  );
}

export async function missingHome(options: FaultOptions): Promise<FaultReport> {
  const f = new Findings("missing or unwritable home");
  await withTempDir("missing", async (dir) => {
    options.progress("missing home");
    await missing(f, dir);
    options.progress("unwritable home (a path through a regular file)");
    await unwritable(f, dir);
  });
  return f.report();
}
