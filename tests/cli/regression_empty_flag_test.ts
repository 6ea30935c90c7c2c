/**
 * Regression (review of the CLI): a flag given as `--flag=` with nothing after the "=" is not a
 * flag to stricli (its `--name=value` needs a value), so it was taken as an argument: `enqueue
 * --queue=` enqueued a job whose command was "--queue=" (exit 0), `enqueue --argv --queue= true`
 * one whose program was "--queue=", and every other command said "Too many arguments", "Invalid
 * job id" or "unexpected argument". Each is now one sentence naming the flag, exit 2, and no home
 * is created; an empty value given as a word of its own is the flag's own validation's.
 */
import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { loadApp } from "../../src/cli/app.ts";
import { commandAt } from "../../src/cli/command_at.ts";
import { withHome } from "../../testkit/mod.ts";

/** The positional arguments each command needs before its flags are looked at. */
const POSITIONALS: Record<string, string[]> = {
  enqueue: ["true"],
  logs: ["a1"],
  "queue set": ["q"],
  wait: ["a1"],
  "schedule add": ["n", "@daily", "true"],
};

/** Every command of the tree with its flags but --home (homeArgs() refuses `--home=`). */
async function everyFlag(): Promise<Array<{ path: string[]; flag: string; kind: string }>> {
  const { root } = await loadApp();
  const out: Array<{ path: string[]; flag: string; kind: string }> = [];
  const walk = (node: unknown, path: string[]) => {
    const map = node as { getAllEntries?: () => Array<{ name: { original: string }; target: unknown }> };
    if (map.getAllEntries) {
      for (const e of map.getAllEntries()) walk(e.target, [...path, e.name.original]);
      return;
    }
    for (const [flag, spec] of Object.entries(commandAt(root, path)?.flags ?? {})) {
      if (flag !== "home") out.push({ path, flag, kind: spec.kind });
    }
  };
  walk(root, []);
  return out;
}

Deno.test("every flag of every command given as --flag= is refused by name with exit 2, and nothing is written", () =>
  withHome(async (home) => {
    const env = { QUEUECTL_HOME: home };
    const flags = await everyFlag();
    assert.ok(flags.length > 60, `the tree's flags: ${flags.length}`);
    for (const { path, flag, kind } of flags) {
      const args = [...path, ...(POSITIONALS[path.join(" ")] ?? []), `--${flag}=`];
      const r = await runCli(args, { env });
      const why = kind === "boolean" ? `it needs true or false after "="` : `it needs a value after "="`;
      assert.equal(r.code, 2, `${JSON.stringify(args)}: ${r.stderr}`);
      assert.ok(
        r.stderr.startsWith(`error: Invalid --${flag}: ${why}, as in --${flag}=`),
        `${args}: ${r.stderr}`,
      );
      assert.equal(r.stderr.split("\n").length, 2, `one line: ${r.stderr}`);
      assert.equal(r.stdout, "", JSON.stringify(args));
    }
    assert.throws(() => Deno.statSync(home), Deno.errors.NotFound);
  }));

Deno.test("the cases of the review: exact sentences, before the program of --argv and after it", () =>
  withHome(async (home) => {
    const env = { QUEUECTL_HOME: home };
    const cases: Array<[string[], string]> = [
      [["enqueue", "--queue=", "true"], 'Invalid --queue: it needs a value after "=", as in --queue=name'],
      [["enqueue", "--queue="], 'Invalid --queue: it needs a value after "=", as in --queue=name'],
      [["list", "--state="], 'Invalid --state: it needs a value after "=", as in --state=state'],
      [
        ["enqueue", "--priority=", "true"],
        'Invalid --priority: it needs a value after "=", as in --priority=n',
      ],
      [["worker", "start", "--count="], 'Invalid --count: it needs a value after "=", as in --count=n'],
      [
        ["list", "--json="],
        'Invalid --json: it needs true or false after "=", as in --json=true (or --json alone)',
      ],
      [["enqueue", "-c="], 'Invalid -c: it needs a value after "=", as in -c=cmd'],
      [
        ["enqueue", "--argv", "--queue=", "true"],
        'Invalid --queue: it needs a value after "=", as in --queue=name',
      ],
      [
        ["enqueue", "--argv", "true", "--queue="],
        'Invalid --queue: it needs a value after "=", as in --queue=name; to pass "--queue=" to the program, put -- before the program',
      ],
      [["enqueue", "--bogus="], "Unknown flag --bogus of queuectl enqueue (see `queuectl enqueue --help`)"],
      [["enqueue", "--file", ""], 'Invalid --file "": it must not be empty'],
    ];
    for (const [args, sentence] of cases) {
      assert.deepEqual(
        await runCli(args, { env }),
        { code: 2, stdout: "", stderr: `error: ${sentence}\n` },
        JSON.stringify(args),
      );
    }
    assert.throws(() => Deno.statSync(home), Deno.errors.NotFound);
    // --json=true and --json=false stay stricli's
    assert.deepEqual(await runCli(["list", "--json=true"], { env }), { code: 0, stdout: "[]\n", stderr: "" });
    assert.equal((await runCli(["list", "--json=false"], { env })).stdout, "no jobs\n");
  }));

Deno.test("words after -- or in one shell command string are the job's, --flag= among them", () =>
  withHome(async (home) => {
    const env = { QUEUECTL_HOME: home };
    const enqueued = async (args: string[]) => {
      const r = await runCli([args[0], "--json", ...args.slice(1)], { env });
      assert.equal(r.code, 0, `${JSON.stringify(args)}: ${r.stderr}`);
      const job = JSON.parse(r.stdout);
      return { command: job.command, argv: job.argv ?? null, queue: job.queue };
    };
    assert.deepEqual(await enqueued(["enqueue", "--argv", "--", "env", "FOO="]), {
      command: "env FOO=",
      argv: ["env", "FOO="],
      queue: "default",
    });
    assert.deepEqual(await enqueued(["enqueue", "echo --x="]), {
      command: "echo --x=",
      argv: null,
      queue: "default",
    });
    assert.deepEqual(await enqueued(["enqueue", "--argv", "--", "prog", "--queue="]), {
      command: "prog --queue=",
      argv: ["prog", "--queue="],
      queue: "default",
    });
    assert.deepEqual(await enqueued(["enqueue", "--", "--queue="]), {
      command: "--queue=",
      argv: null,
      queue: "default",
    });
    assert.deepEqual(await enqueued(["enqueue", "--command", "--json="]), {
      command: "--json=",
      argv: null,
      queue: "default",
    });
  }));

Deno.test("an empty value given as a word of its own is judged by each flag's validation: exit 2, nothing written", () =>
  withHome(async (home) => {
    const env = { QUEUECTL_HOME: home };
    const flags = (await everyFlag()).filter((f) => f.kind !== "boolean");
    for (const { path, flag } of flags) {
      const args = [...path, ...(POSITIONALS[path.join(" ")] ?? []), `--${flag}`, ""];
      const r = await runCli(args, { env });
      assert.equal(r.code, 2, `${JSON.stringify(args)}: ${r.stderr}`);
      assert.match(r.stderr, /^error: [^\n]+\n$/, JSON.stringify(args));
      assert.equal(r.stdout, "", JSON.stringify(args));
    }
    assert.throws(() => Deno.statSync(home), Deno.errors.NotFound);
  }));
