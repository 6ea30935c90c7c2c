/**
 * The bundle (scripts/build.ts), built from these sources into a temp dir and run for real: jobs
 * enqueued, run and read back; a detached worker, which starts the bundle again; the dashboard
 * over HTTP with its page; `config set` (jsonc-parser, an npm package, inside the bundle); help
 * and completion, which load the command tree by computed names; error exit codes, which depend on
 * each error class being one class (one module, loaded once).
 */
import assert from "node:assert/strict";
import {
  cli,
  cliJson,
  cliOk,
  type CliOptions,
  DENO,
  processAlive,
  ROOT,
  spawnCli,
  stopBackground,
  untilOutput,
  untilState,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";

/** Builds the bundle into a fresh temp dir; returns the dir. */
async function buildBundle(): Promise<string> {
  const dir = Deno.makeTempDirSync({ prefix: "qctl-bundle-" });
  const out = await new Deno.Command(DENO, {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      `${ROOT}/scripts/build.ts`,
      "--outdir",
      dir,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return dir;
}

Deno.test("the bundle runs the CLI: jobs, a detached worker, the dashboard, config set, help and completion", async (t) => {
  const dir = await buildBundle();
  const main = `${dir}/main.js`;
  const opts: CliOptions = { main };
  try {
    await t.step("it is plain JavaScript with a stamp, and imports no source file", () => {
      const stamp = JSON.parse(Deno.readTextFileSync(`${dir}/build.json`));
      assert.equal(typeof stamp.built, "string");
      // the modules of an enqueue at the top, every command's in all/ (scripts/build.ts)
      assert.ok(Deno.statSync(`${dir}/src/cli/enqueue.js`).isFile);
      assert.ok(Deno.statSync(`${dir}/all/src/cli/app.js`).isFile);
      assert.throws(() => Deno.statSync(`${dir}/src/cli/app.js`), Deno.errors.NotFound);
      assert.ok(![...Deno.readDirSync(dir)].some((e) => e.name.endsWith(".ts")));
    });

    await t.step(
      "enqueue, worker start --count 1 --drain, status --json, list, show, logs",
      () =>
        withHome(async (home) => {
          assert.match(await cliOk(home, ["--version"], opts), /^\d+\.\d+\.\d+\n$/);
          const job = await cliJson(home, ["enqueue", "--id", "a", "echo hello from the bundle"], opts);
          assert.equal(job.state, "pending");
          await cliOk(home, ["enqueue", "--id", "b", "exit 3", "--max-retries", "0"], opts);
          const drained = await cli(home, ["worker", "start", "--count", "1", "--drain"], opts);
          assert.equal(drained.code, 0, drained.stderr);
          assert.equal((await cliJson(home, ["show", "a"], opts)).state, "completed");
          assert.equal((await cliJson(home, ["show", "b"], opts)).state, "dead");
          const status = await cliJson(home, ["status"], opts);
          assert.equal(status.counts.completed, 1);
          assert.equal(status.counts.dead, 1);
          const listed = await cliJson(home, ["list"], opts);
          assert.deepEqual(listed.map((j: { id: string }) => j.id).sort(), ["a", "b"]);
          assert.match(await cliOk(home, ["logs", "a"], opts), /hello from the bundle\n/);
          assert.match(await cliOk(home, ["list"], opts), /^ID\s+STATE/);
        }),
    );

    await t.step(
      "errors keep their exit codes: 1 for a job not found, 2 for a usage error",
      () =>
        withHome(async (home) => {
          const missing = await cli(home, ["show", "nosuchjob"], opts);
          assert.equal(missing.code, 1, missing.stderr);
          assert.match(missing.stderr, /^error: .*nosuchjob/);
          const usage = await cli(home, ["enqueue"], opts);
          assert.equal(usage.code, 2, usage.stderr);
        }),
    );

    await t.step(
      "worker start --detach starts the bundle again; it runs a job and worker stop --wait stops it",
      () =>
        withHome(async (home) => {
          let pid = 0;
          try {
            const started = await cliJson(home, ["worker", "start", "--detach"], opts);
            pid = started.pid;
            const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
            assert.ok(cmdline.includes(main), cmdline.join(" "));
            await cliOk(home, ["enqueue", "--id", "d", "echo detached"], opts);
            await untilState(home, "d", "completed", 60_000);
            // a plain enqueue offers itself to the worker from the enqueue's build (main.ts)
            const plain = (await cliOk(home, ["enqueue", "echo plain"], opts)).trim();
            await untilState(home, plain, "completed", 60_000);
            const stop = await cli(home, ["worker", "stop", "--wait"], opts);
            assert.equal(stop.code, 0, stop.stderr);
            await waitFor(() => !processAlive(pid), `worker ${pid} to exit`, 60_000);
          } finally {
            if (pid && processAlive(pid)) Deno.kill(pid, "SIGKILL");
          }
        }),
    );

    await t.step(
      "dashboard answers on 127.0.0.1 with its API and its page, and exits 0 on SIGTERM",
      () =>
        withHome(async (home) => {
          await cliOk(home, ["enqueue", "true"], opts);
          const bg = spawnCli(home, ["dashboard", "--port", "0", "--json"], {
            ...opts,
            env: { QUEUECTL_DASHBOARD_TOKEN: "" },
          });
          try {
            await untilOutput(bg, /^\{.*\}\n/m, 60_000);
            const info = JSON.parse(/^\{.*\}$/m.exec(bg.output())![0]);
            const token = new URL(info.url).searchParams.get("token");
            const auth = { authorization: `Bearer ${token}` };
            const base = `http://127.0.0.1:${info.port}`;
            const status = await fetch(`${base}/api/status`, { headers: auth });
            assert.equal(status.status, 200);
            assert.equal((await status.json()).counts.pending, 1);
            const page = await fetch(`${base}/assets/app.js`, { headers: auth });
            assert.equal(page.status, 200);
            assert.ok((await page.text()).length > 1000);
          } finally {
            assert.equal(await stopBackground(bg), 0, bg.output());
          }
        }),
    );

    await t.step(
      "config set edits config.jsonc (jsonc-parser) and config get reads it back",
      () =>
        withHome(async (home) => {
          await cliOk(home, ["config", "set", "max-retries", "5"], opts);
          await cliOk(home, ["config", "set", "backoff-base", "3"], opts);
          assert.equal(await cliOk(home, ["config", "get", "max-retries"], opts), "5\n");
          const text = Deno.readTextFileSync(`${home}/config.jsonc`);
          assert.match(text, /\n {2}"max_retries": 5,\n/);
          assert.match(text, /\n {2}"backoff_base": 3,\n/);
          assert.match(text, /\/\/ retries after the first attempt/, "its comments are kept");
        }),
    );

    await t.step(
      "enqueue <job> runs from the build of its own, also where it reads archive and pending segments and compacts",
      () =>
        withHome(async (home) => {
          // what a write may load lazily (lazy.ts ENQUEUE_MODULES): segments of both kinds to read,
          // and a log past its threshold, which the enqueue compacts
          const lines = Array.from(
            { length: 30 },
            (_, i) => JSON.stringify({ id: `p${i}`, command: "true" }),
          );
          await cliOk(home, ["enqueue", "--queue", "done", "true"], opts);
          const drained = await cli(home, ["worker", "start", "--queue", "done", "--drain"], opts);
          assert.equal(drained.code, 0, drained.stderr);
          await cliOk(home, ["enqueue", "--file", "-"], { ...opts, stdin: lines.join("\n") });
          const seams = { QUEUECTL_PENDING_MIN: "10" };
          await cliOk(home, ["compact"], { ...opts, env: seams });
          const kinds = () => [...Deno.readDirSync(home)].map((e) => e.name.replace(/-\d+\..*$/, "")).sort();
          assert.ok(kinds().includes("archive") && kinds().includes("pending"), kinds().join(" "));
          const snapshots = () =>
            [...Deno.readDirSync(home)].filter((e) => e.name.startsWith("snapshot-")).map((e) => e.name);
          const before = snapshots();
          const env = { ...seams, QUEUECTL_COMPACT_AFTER_BYTES: "1" };
          const plain = await cli(home, ["enqueue", "echo plain"], { ...opts, env });
          assert.equal(plain.code, 0, plain.stderr);
          assert.match(plain.stdout, /^[0-9a-z]+\n$/);
          assert.notDeepEqual(snapshots(), before, "the enqueue compacted");
          const status = await cliJson(home, ["status"], opts);
          assert.equal(status.counts.pending, 31);
          assert.equal(status.counts.completed, 1);
          assert.equal((await cliJson(home, ["show", plain.stdout.trim()], opts)).command, "echo plain");
          assert.equal((await cliJson(home, ["show", "p7"], opts)).state, "pending");
        }),
    );

    await t.step(
      "help, --help, a misspelt command, and completion load the command tree",
      () =>
        withHome(async (home) => {
          assert.match(await cliOk(home, ["help", "worker", "start"], opts), /queuectl worker start/);
          assert.match(await cliOk(home, ["--help"], opts), /dashboard/);
          const typo = await cli(home, ["wroker"], opts);
          assert.equal(typo.code, 2);
          assert.match(typo.stderr + typo.stdout, /worker/);
          assert.match(await cliOk(home, ["completion", "bash"], opts), /complete -F/);
          assert.match(await cliOk(home, ["__complete", "wor"], opts), /^worker$/m);
        }),
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
