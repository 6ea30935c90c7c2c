/**
 * Regression (review of the CLI): an empty `--home` was taken as not given, so
 * `queuectl --home '' enqueue ...` wrote to ~/.queuectl with exit 0; `status --home=` and
 * `enqueue CMD --home=` failed with stricli's words about an unexpected argument, and
 * `queuectl --home` alone with "No command registered for `--home`". Each is now one sentence
 * naming --home, exit 2, and no home is created (not the default one either).
 */
import assert from "node:assert/strict";
import { cli, dirOfHome, withHome } from "../../testkit/mod.ts";

/** The running Deno's cache: a child with another HOME must not fetch its modules again. */
async function denoDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir;
}

const EMPTY = "error: Invalid --home: it is empty\n";
const NO_VALUE = "error: Invalid --home: it needs a directory, as in --home DIR\n";

Deno.test("an empty --home or one with no directory is refused with exit 2, and no home is created", () =>
  withHome(async (home) => {
    const user = `${dirOfHome(home)}/user`;
    Deno.mkdirSync(user);
    const env = { HOME: user, QUEUECTL_HOME: "", DENO_DIR: await denoDir() };
    const cases: Array<[string[], string]> = [
      [["--home", "", "enqueue", "echo oops"], EMPTY],
      [["--home=", "enqueue", "echo oops"], EMPTY],
      [["enqueue", "echo x", "--home="], EMPTY],
      [["enqueue", "echo x", "--home", ""], EMPTY],
      [["--home", "", "status"], EMPTY],
      [["status", "--home="], EMPTY],
      [["schedule", "add", "n", "@daily", "--home=", "--", "true"], EMPTY],
      [["--home"], NO_VALUE],
      [["enqueue", "echo x", "--home"], NO_VALUE],
    ];
    for (const [args, stderr] of cases) {
      const r = await cli(home, args, { env });
      assert.equal(r.code, 2, `${JSON.stringify(args)}: ${r.stderr}`);
      assert.equal(r.stderr, stderr, JSON.stringify(args));
      assert.equal(r.stdout, "", JSON.stringify(args));
    }
    assert.deepEqual([...Deno.readDirSync(user)].map((e) => e.name), [], "nothing was created in $HOME");
    assert.throws(() => Deno.statSync(home), Deno.errors.NotFound);
    // a --home after `--` belongs to the program of an --argv job
    const argv = await cli(home, ["enqueue", "--argv", "--", "echo", "--home", ""], {
      env: { DENO_DIR: env.DENO_DIR },
    });
    assert.equal(argv.code, 0, argv.stderr);
  }));
