/**
 * End-to-end: an `enqueue` handed to a running worker of its home (src/handoff). The caller here
 * may write nothing but the home's workers/ directory (Deno's --allow-write), which is enough to
 * connect to a worker's socket and not enough to write the store: a call it ran itself would
 * fail, so a call that succeeds was run by the worker.
 */
import assert from "node:assert/strict";
import {
  background,
  cli,
  CLI_FLAGS,
  DENO,
  MAIN,
  spawnCli,
  stopBackground,
  untilOutput,
  untilState,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";

/** `queuectl enqueue ...` by a caller that cannot write the store itself, as a command to spawn. */
function confinedCommand(home: string, args: string[], options: Deno.CommandOptions = {}): Deno.Command {
  // the installed CLI's permissions (a socket takes --allow-net), writing only in workers/
  const perms = CLI_FLAGS.map((p) => p === "--allow-write" ? `--allow-write=${home}/workers` : p);
  return new Deno.Command(DENO, {
    args: ["run", ...perms, MAIN, "--home", home, "enqueue", ...args],
    stdin: "null",
    ...options,
    env: { NO_COLOR: "1", ...options.env },
  });
}

/** `queuectl enqueue ...` by a caller that cannot write the store itself, run to its end. */
async function confined(home: string, args: string[], env: Record<string, string> = {}, cwd?: string) {
  const out = await confinedCommand(home, args, { env, cwd }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("a running worker takes an enqueue: the job is enqueued as the caller asked, and runs", () =>
  withHome(async (home) => {
    const worker = spawnCli(home, ["worker", "start"]);
    try {
      await untilOutput(worker, / started with /);
      const dir = await Deno.makeTempDir({ prefix: "qctl-handoff-cwd-" });
      try {
        Deno.writeTextFileSync(`${dir}/jobs.txt`, "echo from-file\n");
        const served = await confined(home, ["--id", "h1", "--cwd", ".", "pwd"], {}, dir);
        assert.deepEqual(served, { code: 0, stdout: "h1\n", stderr: "" });
        // a batch (--file) is the caller's to run: this one cannot write the store
        const file = await confined(home, ["--file", "jobs.txt"], {}, dir);
        assert.equal(file.code, 1);
        assert.match(file.stderr, /write access|NotCapable|PermissionDenied/i);
        await untilState(home, "h1", "completed");
        const shown = JSON.parse((await cli(home, ["show", "h1", "--json"])).stdout);
        assert.equal(shown.cwd, dir);
        const logs = await cli(home, ["logs", "h1"]);
        assert.match(logs.stdout, new RegExp(`\\n${dir}\\n`));
        // refusals are the command line's own, with its exit codes
        const dup = await confined(home, ["--id", "h1", "true"]);
        assert.equal(dup.code, 1);
        assert.match(dup.stderr, /^error: .*"h1".*\n$/);
        const usage = await confined(home, ["--priority", "x", "true"]);
        assert.equal(usage.code, 2);
        assert.match(usage.stderr, /^error: Invalid --priority "x"/);
        // a flag with an empty value after "=": the same sentence as the caller's own run gives
        for (const args of [["--queue=", "true"], ["--json=", "true"], ["--argv", "true", "--queue="]]) {
          const served = await confined(home, args);
          assert.equal(served.code, 2, served.stderr);
          assert.match(served.stderr, /^error: Invalid --(queue|json): it needs .* after "="/);
          assert.deepEqual(served, await confined(home, args, { QUEUECTL_NO_HANDOFF: "1" }));
        }
        // and the words after -- are the program's: only the worker can have written this job
        const argv = await confined(home, ["--id", "h-argv", "--argv", "--", "env", "FOO="]);
        assert.deepEqual(argv, { code: 0, stdout: "h-argv\n", stderr: "" });
        // the same caller left to itself cannot write the store: the calls above were the worker's
        const alone = await confined(home, ["true"], { QUEUECTL_NO_HANDOFF: "1" });
        assert.equal(alone.code, 1);
        assert.match(alone.stderr, /write access|NotCapable|PermissionDenied/i);
      } finally {
        Deno.removeSync(dir, { recursive: true });
      }
    } finally {
      assert.equal(await stopBackground(worker), 0, worker.output());
    }
    // a stopped worker leaves no socket behind, and the caller runs its enqueue itself
    assert.deepEqual(
      [...Deno.readDirSync(`${home}/workers`)].map((e) => e.name).filter((n) => n.endsWith(".sock")),
      [],
    );
    assert.equal((await confined(home, ["true"])).code, 1);
    const local = await cli(home, ["enqueue", "--id", "h2", "true"]);
    assert.deepEqual([local.code, local.stdout], [0, "h2\n"]);
  }, { prefix: "qctl-handoff-" }));

Deno.test("an enqueue a worker takes while another process holds the store's lock says it waits, then lands", () =>
  withHome(async (home) => {
    await cli(home, ["enqueue", "--id", "first", "true"]);
    // a stranger holds store.lock: the worker listens, then waits for the lock as it starts
    const stranger = new Deno.Command(DENO, {
      args: [
        "eval",
        `const f = Deno.openSync(${JSON.stringify(`${home}/store.lock`)}, { read: true, write: true });
         await f.lock(true); console.log("locked"); setInterval(() => {}, 1 << 30);`,
      ],
      stdout: "piped",
    }).spawn();
    const holding = stranger.stdout.getReader();
    assert.match(new TextDecoder().decode((await holding.read()).value), /locked/);
    const worker = spawnCli(home, ["worker", "start"]);
    try {
      const sockets = () => {
        try {
          return [...Deno.readDirSync(`${home}/workers`)].filter((e) => e.name.endsWith(".sock")).length;
        } catch {
          return 0; // workers/ not made yet
        }
      };
      await waitFor(() => sockets() === 1, "the worker's socket");
      const caller = background(
        confinedCommand(home, ["--id", "late", "true"], { stdout: "piped", stderr: "piped" }).spawn(),
      );
      // the worker's wait is the caller's: said on its stderr, as in its own process
      await untilOutput(caller, /warning: Waiting for the lock on .*store\.lock/);
      stranger.kill("SIGKILL");
      await holding.cancel();
      await stranger.status;
      assert.equal(await caller.exited(), 0, caller.output());
      assert.match(caller.output(), /^late$/m);
      await untilState(home, "late", "completed");
    } finally {
      try {
        stranger.kill("SIGKILL");
      } catch { /* gone */ }
      await stranger.status;
      assert.equal(await stopBackground(worker), 0, worker.output());
    }
  }, { prefix: "qctl-handoff-" }));
