/**
 * docs/queuectl-worker.service, the systemd user unit of docs/background-workers.md: its keys are
 * the ones the doc explains; `systemd-analyze --user verify` accepts it without a word (where
 * systemd-analyze is installed: this machine has it; elsewhere the key checks and the run below
 * still hold); and its ExecStart and ExecStop, expanded as systemd expands them (%h, $MAINPID,
 * quotes) and run with its Environment= lines, start a worker, stop exactly that one after its
 * running job has finished, and do nothing once the worker has gone.
 */
import assert from "node:assert/strict";
import {
  CLI_FLAGS,
  cliJson,
  cliOk,
  dirOfHome,
  killGroup,
  MAIN,
  readLines,
  ROOT,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";

const UNIT = `${ROOT}/docs/queuectl-worker.service`;

/** The unit's `[section]` → key → values (a key may repeat, as Environment= does). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    assert.ok(!line.endsWith("\\"), `no continuation lines: ${line}`);
    const section = /^\[(\w+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1], current);
      continue;
    }
    const at = line.indexOf("=");
    assert.ok(current && at > 0, `a key=value line inside a section: ${line}`);
    const key = line.slice(0, at);
    current.set(key, [...(current.get(key) ?? []), line.slice(at + 1)]);
  }
  return sections;
}

/** A command line as systemd runs it: %h and $VAR/${VAR} expanded (also inside quotes), then split. */
function systemdArgv(line: string, home: string, vars: Record<string, string>): string[] {
  const expanded = line.replaceAll("%h", home).replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (_, a: string | undefined, b: string | undefined) => vars[a ?? b ?? ""] ?? "",
  );
  const argv: string[] = [];
  for (const m of expanded.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) argv.push(m[1] ?? m[2] ?? m[3]);
  return argv;
}

Deno.test("the systemd unit has the keys docs/background-workers.md explains", () => {
  const unit = parseUnit(Deno.readTextFileSync(UNIT));
  const service = unit.get("Service")!;
  const one = (key: string) => {
    assert.equal(service.get(key)?.length, 1, `one ${key}=`);
    return service.get(key)![0];
  };
  assert.equal(one("Type"), "exec");
  assert.match(one("ExecStart"), /^%h\/\.deno\/bin\/queuectl worker start( |$)/);
  assert.match(one("ExecStop"), /queuectl worker stop --wait --pid "\$MAINPID"/);
  assert.equal(one("KillMode"), "mixed");
  assert.equal(one("KillSignal"), "SIGTERM");
  assert.match(one("TimeoutStopSec"), /^\d+(s|min|h)$/);
  assert.equal(one("Restart"), "on-failure");
  assert.equal(one("Delegate"), "yes");
  assert.deepEqual(
    service.get("Environment")!.map((e) => e.split("=")[0]),
    ["QUEUECTL_HOME", "PATH"],
  );
  assert.equal(unit.get("Install")!.get("WantedBy")![0], "default.target");
  assert.ok(unit.get("Unit")!.get("Description"));
});

/** systemd-analyze, or null where it is not installed. */
function systemdAnalyze(): string | null {
  for (const dir of ["/usr/bin", "/bin", "/usr/local/bin"]) {
    try {
      if (Deno.statSync(`${dir}/systemd-analyze`).isFile) return `${dir}/systemd-analyze`;
    } catch { /* not here */ }
  }
  return null;
}

/** Makes `<home>/.deno/bin` as `deno task install` leaves it: queuectl (a script running `deno`) and deno. */
function fakeInstall(userHome: string): void {
  const bin = `${userHome}/.deno/bin`;
  Deno.mkdirSync(bin, { recursive: true });
  Deno.symlinkSync(Deno.execPath(), `${bin}/deno`);
  Deno.writeTextFileSync(
    `${bin}/queuectl`,
    `#!/bin/sh\nexec deno run ${CLI_FLAGS.join(" ")} --config '${ROOT}/deno.json' '${MAIN}' "$@"\n`,
    { mode: 0o755 },
  );
}

Deno.test("systemd-analyze --user verify accepts the unit without a warning", async () => {
  const analyze = systemdAnalyze();
  if (analyze === null) return; // the key checks above still hold
  await withHome(async (home) => {
    // %h is $HOME for a user manager; verify checks that ExecStart's program is executable
    const userHome = dirOfHome(home);
    fakeInstall(userHome);
    const runtime = `${userHome}/runtime`;
    Deno.mkdirSync(runtime, { mode: 0o700 });
    Deno.copyFileSync(UNIT, `${userHome}/queuectl-worker.service`);
    const out = await new Deno.Command(analyze, {
      args: ["--user", "verify", `${userHome}/queuectl-worker.service`],
      env: { HOME: userHome, XDG_RUNTIME_DIR: runtime, SYSTEMD_LOG_COLOR: "0" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const said = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, said);
    assert.equal(said, "", "no warning");
  });
});

Deno.test("the unit's ExecStop stops its own worker after the running job, and nothing once the worker is gone", () =>
  withHome(async (home) => {
    const userHome = dirOfHome(home);
    fakeInstall(userHome);
    const unit = parseUnit(Deno.readTextFileSync(UNIT)).get("Service")!;
    const env: Record<string, string> = {};
    for (const e of unit.get("Environment")!) {
      const [key, ...value] = systemdArgv(e, userHome, {})[0].split("=");
      env[key] = value.join("=");
    }
    const queue = env.QUEUECTL_HOME;
    assert.equal(queue, `${userHome}/.queuectl`);
    const command = (line: string, vars: Record<string, string>, output: "piped" | "null") => {
      const [program, ...args] = systemdArgv(line, userHome, vars);
      return new Deno.Command(program, { args, env, stdin: "null", stdout: output, stderr: output });
    };
    const main = command(unit.get("ExecStart")![0], {}, "null").spawn();
    let second: Deno.ChildProcess | null = null;
    try {
      await waitFor(
        async () => (await cliJson(queue, ["worker", "list"])).length === 1,
        "the unit's worker to register",
      );
      await cliOk(queue, [
        "enqueue",
        "--id",
        "held",
        `echo $$ >> ${userHome}/marker; while [ ! -f ${userHome}/release ]; do sleep 0.1; done`,
      ]);
      await waitFor(() => readLines(`${userHome}/marker`).length === 1, "the job to start");
      // another worker of the same home, which the unit's ExecStop must leave alone
      second = command("%h/.deno/bin/queuectl worker start", {}, "null").spawn();
      await waitFor(
        async () => (await cliJson(queue, ["worker", "list"])).length === 2,
        "the second worker to register",
      );

      const stopping = command(unit.get("ExecStop")![0], { MAINPID: String(main.pid) }, "piped").output();
      await waitFor(
        async () =>
          (await cliJson<{ pid: number; stopping: boolean }[]>(queue, ["worker", "list"]))
            .find((w) => w.pid === main.pid)?.stopping === true,
        "the unit's worker to stop claiming",
      );
      assert.equal(
        (await cliJson(queue, ["show", "held"])).state,
        "processing",
        "ExecStop waits for the job",
      );
      Deno.writeTextFileSync(`${userHome}/release`, "");
      const stop = await stopping;
      assert.equal(stop.code, 0, new TextDecoder().decode(stop.stderr));
      assert.match(new TextDecoder().decode(stop.stdout), /all 1 worker\(s\) have stopped/);
      assert.equal((await main.status).code, 0);
      const job = await cliJson(queue, ["show", "held"]);
      assert.equal(job.state, "completed");
      assert.equal(job.attempts, 1);
      const pids = async () =>
        (await cliJson<{ pid: number }[]>(queue, ["worker", "list"])).map((w) => w.pid);
      assert.deepEqual(await pids(), [second.pid], "the other worker runs on");

      // the worker has exited: systemd leaves $MAINPID unset, and ExecStop does nothing
      const after = await command(unit.get("ExecStop")![0], {}, "piped").output();
      assert.equal(after.code, 0, new TextDecoder().decode(after.stderr));
      assert.equal(new TextDecoder().decode(after.stdout), "");
      assert.deepEqual(await pids(), [second.pid]);
    } finally {
      Deno.writeTextFileSync(`${userHome}/release`, "");
      for (const child of [main, second]) {
        if (child === null) continue;
        try {
          child.kill("SIGTERM");
        } catch { /* exited */ }
        await child.status;
      }
      for (const pid of readLines(`${userHome}/marker`)) killGroup(Number(pid));
    }
  }));
