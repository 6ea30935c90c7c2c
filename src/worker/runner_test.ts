import assert from "node:assert/strict";
import { type JobSpec, Runner } from "./runner.ts";
import { slice, spec, statOf, withTempDir } from "./_testing.ts";

/** Runs each spec in turn in one runner; returns their ends and output texts. */
async function runAll(specs: JobSpec[]) {
  const runner = await Runner.start();
  try {
    const results = [];
    for (const s of specs) {
      const job = runner.run(s);
      const ended = await job.ended;
      const range = await job.output;
      results.push({
        ended,
        range,
        started: await job.started,
        text: slice(range.path, range.start, range.end),
      });
    }
    return results;
  } finally {
    await runner.close();
  }
}

Deno.test("a runner is a session leader, through setsid(1) or Deno's detach: its pid is its session id", async () => {
  for (const setsid of [undefined, null]) {
    const runner = await Runner.start({ setsid });
    try {
      const stat = statOf(runner.pid);
      assert.equal(stat.session, runner.pid);
      assert.equal(stat.start, runner.startTime, "its start time is its own");
    } finally {
      await runner.close();
    }
  }
});

Deno.test("a runner's command line is one short line in `ps`, and its script is not in a job's environment", async () => {
  await withTempDir(async (dir) => {
    const runner = await Runner.start();
    try {
      const argv = Deno.readTextFileSync(`/proc/${runner.pid}/cmdline`).split("\0").filter((a) => a !== "");
      assert.deepEqual(argv.slice(0, 4), ["/bin/sh", "-c", 'eval "$QUEUECTL_SH"', "queuectl-runner"]);
      assert.ok(argv.join(" ").length < 100, `a short command line: ${JSON.stringify(argv)}`);
      const job = runner.run(spec(dir, "env"));
      assert.deepEqual(await job.ended, { kind: "exited", code: 0 });
      const env = Deno.readTextFileSync(`${dir}/slot.out`);
      assert.match(env, /^QUEUECTL_JOB_ID=j1$/m);
      assert.doesNotMatch(env, /QUEUECTL_SH/);
    } finally {
      await runner.close();
    }
  });
});

Deno.test("a job's exit code and output are reported, and consecutive jobs' byte ranges are exact", async () => {
  await withTempDir(async (dir) => {
    const [a, b, c] = await runAll([
      spec(dir, "echo out; echo err >&2; exit 3"),
      spec(dir, "printf 'no newline'"),
      spec(dir, "true"),
    ]);
    assert.deepEqual(a.ended, { kind: "exited", code: 3 });
    assert.equal(a.text, "out\nerr\n", "stdout and stderr share one descriptor, in order");
    assert.deepEqual(b.ended, { kind: "exited", code: 0 });
    assert.equal(b.range.start, a.range.end);
    assert.equal(b.text, "no newline");
    assert.deepEqual(
      [c.range.start, c.range.end],
      [b.range.end, b.range.end],
      "a silent job has an empty range",
    );
    assert.equal(Deno.readTextFileSync(`${dir}/slot.out`), "out\nerr\nno newline");
    assert.equal(a.started, true, "the job's shell reported its start");
  });
});

Deno.test("a job killed by a signal ends signaled, with the shell's status", async () => {
  await withTempDir(async (dir) => {
    const [a] = await runAll([spec(dir, "kill -USR1 $$")]);
    assert.deepEqual(a.ended, { kind: "signaled", signal: "SIGUSR1", code: 138 });
  });
});

Deno.test("an argv job gets its arguments verbatim: spaces, newlines, quotes, no shell parsing", async () => {
  await withTempDir(async (dir) => {
    const args = [
      "a b",
      "c\nd",
      "'single' \"double\"",
      "$HOME `id` $(id) *",
      "back\\slash\\n",
      "",
      "end\n\n",
    ];
    const [a] = await runAll([spec(dir, "ignored", { argv: ["printf", "[%s]", ...args] })]);
    assert.deepEqual(a.ended, { kind: "exited", code: 0 });
    assert.equal(a.text, args.map((arg) => `[${arg}]`).join(""));
  });
});

Deno.test("a command runs as `sh -c` would: newlines, quotes and backslashes, $0", async () => {
  await withTempDir(async (dir) => {
    const command = `printf '%s|' "$0" "$#"\necho "two\\\\lines 'q' \\$HOME-not"\n\n\n`;
    const [a] = await runAll([spec(dir, command)]);
    assert.equal(a.text, "/bin/sh|0|two\\lines 'q' $HOME-not\n");
  });
});

Deno.test("a job gets its environment, its directory, QUEUECTL_JOB_ID and QUEUECTL_JOB_ATTEMPT", async () => {
  await withTempDir(async (dir) => {
    const cwd = `${dir}/a dir\nwith a newline`;
    Deno.mkdirSync(cwd);
    const env = { FOO: 'it\'s a "value"\nover two lines\n', EMPTY: "", PATH_EXTRA: "$PATH" };
    const [a, b] = await runAll([
      spec(
        dir,
        'pwd; printf "%s|" "$QUEUECTL_JOB_ID" "$QUEUECTL_JOB_ATTEMPT" "$FOO" "${EMPTY-unset}" "$PATH_EXTRA"',
        {
          id: "job-7",
          attempt: 3,
          cwd,
          env,
        },
      ),
      spec(dir, 'printf "%s|" "${FOO-unset}" "$QUEUECTL_JOB_ID"', { id: "next" }),
    ]);
    assert.equal(a.text, `${Deno.realPathSync(cwd)}\njob-7|3|${env.FOO}||$PATH|`);
    assert.equal(b.text, "unset|next|", "the next job does not inherit the previous one's environment");
  });
});

Deno.test("a job whose directory is missing is not started, and runs nothing", async () => {
  await withTempDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/file`, "");
    const [a, b, c] = await runAll([
      spec(dir, `touch ${dir}/ran`, { cwd: `${dir}/gone` }),
      spec(dir, `touch ${dir}/ran`, { cwd: `${dir}/file` }),
      spec(dir, `touch ${dir}/ran`, { output: `${dir}/missing/out` }),
    ]);
    assert.deepEqual(a.ended, {
      kind: "not_started",
      reason: `cannot enter ${dir}/gone: no such file or directory`,
      fault: "job",
    });
    assert.deepEqual(b.ended, {
      kind: "not_started",
      reason: `cannot enter ${dir}/file: not a directory`,
      fault: "job",
    });
    assert.deepEqual(c.ended, {
      kind: "not_started",
      reason: `cannot write its output file ${dir}/missing/out`,
      fault: "worker",
    });
    assert.throws(() => Deno.statSync(`${dir}/ran`), Deno.errors.NotFound);
    assert.equal(a.range.start, a.range.end);
  });
});

Deno.test("a spec the runner cannot carry ends not_started at once: NUL bytes, bad names", async () => {
  await withTempDir(async (dir) => {
    const [a, b, c] = await runAll([
      spec(dir, "echo a\0b"),
      spec(dir, "true", { env: { "BAD-NAME": "x" } }),
      spec(dir, "echo fine"),
    ]);
    assert.deepEqual(a.ended, { kind: "not_started", reason: "its command holds a NUL byte", fault: "job" });
    assert.equal(b.ended.kind, "not_started");
    assert.equal(a.started, false);
    assert.equal(c.text, "fine\n", "the runner goes on");
  });
});

Deno.test("a command of 128 KiB of one-character lines, and long values, are read whole", async () => {
  await withTempDir(async (dir) => {
    // past what exec(2) takes in one argument: the command goes in pieces (spec.ts)
    const lines = "a\n".repeat(64 * 1024);
    const value = "x\\y\n".repeat(10_000) + "\n\n";
    const [a] = await runAll([
      spec(dir, `cat <<'EOF'\n${lines}EOF\nprintf '%s' "$LONG"`, { env: { LONG: value } }),
    ]);
    assert.deepEqual(a.ended, { kind: "exited", code: 0 });
    assert.equal(a.text.length, lines.length + value.length);
    assert.ok(a.text === lines + value, "the output is the command's lines, then the value, byte for byte");
  });
});

Deno.test("SIGINT, SIGQUIT, SIGTERM, SIGHUP and SIGPIPE are not ignored inside a job", async () => {
  await withTempDir(async (dir) => {
    const [a] = await runAll([spec(dir, "", { argv: ["grep", "^SigIgn:", "/proc/self/status"] })]);
    const mask = BigInt(`0x${a.text.split(/\s+/)[1]}`);
    for (
      const [name, number] of [["SIGHUP", 1], ["SIGINT", 2], ["SIGQUIT", 3], ["SIGPIPE", 13], [
        "SIGTERM",
        15,
      ]] as const
    ) {
      assert.equal((mask >> BigInt(number - 1)) & 1n, 0n, `${name} is not ignored (SigIgn ${a.text.trim()})`);
    }
  });
});

Deno.test("a runner reads on after a signal interrupts it between jobs", async () => {
  await withTempDir(async (dir) => {
    const runner = await Runner.start();
    try {
      for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) Deno.kill(runner.pid, signal);
      const job = runner.run(spec(dir, "echo still here"));
      assert.deepEqual(await job.ended, { kind: "exited", code: 0 });
      assert.ok(runner.alive);
      assert.equal(Deno.readTextFileSync(`${dir}/slot.out`), "still here\n");
    } finally {
      await runner.close();
    }
  });
});

Deno.test("a runner runs one job at a time, and exits when its input ends", async () => {
  await withTempDir(async (dir) => {
    const runner = await Runner.start();
    const job = runner.run(spec(dir, "echo one"));
    assert.throws(
      () => runner.run(spec(dir, "echo two")),
      /Cannot run job j1 in runner \d+: job j1 is running/,
    );
    await job.ended;
    await runner.close();
    assert.equal(runner.alive, false);
    const late = runner.run(spec(dir, "echo late"));
    assert.deepEqual(await late.ended, {
      kind: "not_started",
      reason: "its slot's runner shell ended before the job could start",
      fault: "worker",
    });
    assert.equal(Deno.readTextFileSync(`${dir}/slot.out`), "one\n");
  });
});
