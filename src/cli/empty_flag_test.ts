import assert from "node:assert/strict";
import { emptyFlagValue } from "./empty_flag.ts";
import { commandAt } from "./command_at.ts";
import { loadApp } from "./app.ts";

const { root } = await loadApp();
const check = (...args: string[]) => emptyFlagValue(root, args);

Deno.test("emptyFlagValue() refuses a flag given as --flag= with nothing after the =, naming it", () => {
  assert.equal(
    check("enqueue", "--queue=", "true"),
    'Invalid --queue: it needs a value after "=", as in --queue=name',
  );
  assert.equal(check("list", "--state="), 'Invalid --state: it needs a value after "=", as in --state=state');
  assert.equal(
    check("enqueue", "--priority=", "true"),
    'Invalid --priority: it needs a value after "=", as in --priority=n',
  );
  assert.equal(
    check("worker", "start", "--count="),
    'Invalid --count: it needs a value after "=", as in --count=n',
  );
  assert.equal(
    check("enqueue", "--env=", "true"),
    'Invalid --env: it needs a value after "=", as in --env=NAME=value',
  );
  // wherever stricli reads a flag: after the command's positional arguments too
  assert.equal(
    check("enqueue", "true", "--queue="),
    'Invalid --queue: it needs a value after "=", as in --queue=name',
  );
  assert.equal(
    check("queue", "set", "q", "--concurrency="),
    'Invalid --concurrency: it needs a value after "=", as in --concurrency=n',
  );
  // an alias, in the form stricli reads as `-c=value`
  assert.equal(check("enqueue", "-c="), 'Invalid -c: it needs a value after "=", as in -c=cmd');
  assert.equal(check("worker", "start", "-n="), 'Invalid -n: it needs a value after "=", as in -n=n');
});

Deno.test("emptyFlagValue() refuses a switch given as --flag=: true or false, as stricli reads --json=true", () => {
  const json = 'Invalid --json: it needs true or false after "=", as in --json=true (or --json alone)';
  assert.equal(check("list", "--json="), json);
  assert.equal(check("show", "a1", "--json="), json);
  assert.equal(
    check("enqueue", "--argv=", "true"),
    'Invalid --argv: it needs true or false after "=", as in --argv=true (or --argv alone)',
  );
  assert.equal(
    check("logs", "a1", "-f="),
    'Invalid -f: it needs true or false after "=", as in -f=true (or -f alone)',
  );
});

Deno.test("emptyFlagValue() refuses a name the command has no flag for as unknown, but leaves stricli's --help alone", () => {
  assert.equal(
    check("enqueue", "--bogus="),
    "Unknown flag --bogus of queuectl enqueue (see `queuectl enqueue --help`)",
  );
  assert.equal(check("list", "-q="), "Unknown flag -q of queuectl list (see `queuectl list --help`)");
  assert.equal(check("list", "--help="), null);
  assert.equal(check("list", "-h="), null);
});

Deno.test("emptyFlagValue() passes values, words after --, and the word a flag takes as its value", () => {
  assert.equal(check("enqueue", "--queue=q", "true"), null);
  assert.equal(check("enqueue", "--queue", "", "true"), null, "an empty word is the flag's to judge");
  assert.equal(check("enqueue", "--env=FOO=", "true"), null, "a value that ends with =");
  assert.equal(check("enqueue", "echo --x="), null, "one word: a shell command");
  assert.equal(check("enqueue", "--", "--queue="), null);
  assert.equal(check("enqueue", "--argv", "--", "env", "FOO=", "--json="), null);
  assert.equal(
    check("enqueue", "--command", "--queue="),
    null,
    "--command takes the next word, whatever it is",
  );
  assert.equal(check("list", "--json=true"), null);
  assert.equal(check("list", "--json=false"), null);
  assert.equal(check("worker", "start"), null);
  assert.equal(check("worker"), null, "a route map, not a command");
  assert.equal(check("nonsense", "--x="), null, "no command: stricli's to say");
});

Deno.test("emptyFlagValue() with --argv: a flag of ours after the program is ours, and refused with the way to pass it", () => {
  assert.equal(
    check("enqueue", "--argv", "--queue=", "true"),
    'Invalid --queue: it needs a value after "=", as in --queue=name',
  );
  assert.equal(
    check("enqueue", "--argv", "true", "--queue="),
    'Invalid --queue: it needs a value after "=", as in --queue=name; to pass "--queue=" to the program, put -- before the program',
  );
  assert.equal(
    check("schedule", "add", "n", "@daily", "--argv", "true", "--json="),
    'Invalid --json: it needs true or false after "=", as in --json=true (or --json alone); to pass "--json=" to the program, put -- before the program',
  );
  // before the program, schedule add's name and expression come first
  assert.equal(
    check("schedule", "add", "n", "@daily", "--queue=", "--argv", "true"),
    'Invalid --queue: it needs a value after "=", as in --queue=name',
  );
  // a name that is not ours after the program is argvWithoutSeparator()'s (run.ts) to explain
  assert.equal(check("enqueue", "--argv", "true", "--x="), null);
  assert.equal(check("enqueue", "--argv", "true", "FOO="), null);
});

Deno.test("commandAt() finds the command and its flags, and nothing for a route map or an unknown word", () => {
  const at = commandAt(root, ["schedule", "add", "n"]);
  assert.deepEqual(at?.path, ["schedule", "add"]);
  assert.equal(at?.flags.argv.kind, "boolean");
  assert.equal(commandAt(root, ["schedule"]), null);
  assert.equal(commandAt(root, ["nope"]), null);
  assert.deepEqual(commandAt(root, ["enqueue"])?.aliases, { c: "command" });
});
