/**
 * Security properties of a home (issue 4, "Security"): its modes under a permissive umask, ids
 * that cannot name a file outside it, records that job text cannot forge, terminal escapes that
 * never reach the terminal raw, and the environment and directory a job runs with.
 */
import assert from "node:assert/strict";
import {
  cli,
  cliJson,
  cliOk,
  DENO,
  dirOfHome,
  MAIN,
  snapshotFiles,
  spawnCli,
  stopBackground,
  untilOutput,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";
import { cliCustom, treeOf } from "../../torture/faults/common.ts";

const UMASK_000 = 'umask 000; exec "$@"';

/** Every directory in `home` is 0700 and every file 0600: the names of those that are not. */
function badModes(home: string): string[] {
  const bad: string[] = [];
  for (const name of ["", ...treeOf(home)]) {
    const info = Deno.statSync(name ? `${home}/${name}` : home);
    const want = info.isDirectory ? 0o700 : 0o600;
    if ((info.mode! & 0o777) !== want) bad.push(`${name || "."} ${(info.mode! & 0o777).toString(8)}`);
  }
  return bad;
}

Deno.test("under umask 000 the home is 0700 and every file in it 0600, through a whole lifecycle", () =>
  withHome(async (home) => {
    const q = (args: string[]) => cliCustom(home, args, { script: UMASK_000 });
    let worker: Deno.ChildProcess | null = null;
    try {
      for (
        const args of [
          ["config", "set", "backoff-base", "1"],
          ["enqueue", "--id", "ok", "echo fine"],
          ["enqueue", "--id", "bad", "--max-retries", "0", "echo no >&2; exit 3"],
          ["enqueue", "--id", "slow", "sleep 30"],
          ["enqueue", "--id", "gone", "true"],
          ["delete", "gone"],
        ]
      ) assert.equal((await q(args)).code, 0, args.join(" "));
      // a running worker's files exist only while it runs: look while it holds `slow`
      worker = new Deno.Command("/bin/sh", {
        args: ["-c", UMASK_000, "sh", DENO, "run", "-A", MAIN, "worker", "start", "--count", "3"],
        env: { QUEUECTL_HOME: home },
        stdout: "null",
        stderr: "null",
      }).spawn();
      await waitFor(
        async () => (await cliJson(home, ["show", "slow"])).state === "processing",
        "slow to run",
      );
      await waitFor(async () => (await cliJson(home, ["show", "bad"])).state === "dead", "bad to fail");
      assert.ok(
        treeOf(home).some((n) => /^workers\/w-.*\.json$/.test(n)),
        "the worker's heartbeat file exists",
      );
      assert.deepEqual(badModes(home), []);
      assert.equal((await q(["worker", "stop"])).code, 0);
      worker.kill("SIGTERM"); // a second interrupt: kills slow
      await worker.status;
      worker = null;
      for (
        const args of [["compact"], ["logs", "ok"], ["dlq", "retry", "bad"], [
          "config",
          "set",
          "max-retries",
          "1",
        ]]
      ) {
        assert.equal((await q(args)).code, 0, args.join(" "));
      }
      const names = treeOf(home);
      for (
        const kind of [
          /^store\.lock$/,
          /^wal-\d+\.jsonl$/,
          /^snapshot-\d+\.snap$/,
          /^archive-\d+\.jobs$/,
          /^config\.jsonc$/,
        ]
      ) {
        assert.ok(
          names.some((n) => kind.test(n)),
          `the home holds a file matching ${kind}: ${names.join(" ")}`,
        );
      }
      // the jobs' output: one file per slot of the worker (it had 3)
      assert.equal(
        names.filter((n) => /^logs\/w-[^/]+-slot-\d+\.out$/.test(n)).length,
        3,
        `the slots' output files: ${names.join(" ")}`,
      );
      assert.deepEqual(badModes(home), []);
    } finally {
      if (worker) {
        worker.kill("SIGKILL");
        await worker.status;
      }
    }
  }));

const BAD_IDS = [
  "../x",
  "a/b",
  "..",
  "/etc/passwd",
  "a\u0000b",
  ".hidden",
  "-rf",
  "x/../../y",
  "a..b",
  "é",
  " a",
  "",
];

Deno.test("ids that could name a path outside the home are refused with exit 2, and nothing is written", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "keep", "true"]);
    const outside = treeOf(dirOfHome(home));
    const before = snapshotFiles(home);
    for (const id of BAD_IDS) {
      const attempts = [
        ["enqueue", JSON.stringify({ id, command: "true" })],
        ["enqueue", "--file", "-"],
        ...(id.includes("\u0000")
          ? []
          : [["enqueue", "--id", id, "true"], ["show", id], ["logs", id], ["delete", id]]),
      ];
      for (const args of attempts) {
        const stdin = args.includes("-") ? JSON.stringify({ id, command: "true" }) + "\n" : undefined;
        const r = await cli(home, args, { stdin });
        assert.equal(r.code, 2, `${args.join(" ")} with id ${JSON.stringify(id)}: ${r.stderr}`);
        assert.match(r.stderr, /^error: [^\n]+\n$/); // one line (an id like -rf is taken for a flag)
      }
    }
    assert.deepEqual(treeOf(dirOfHome(home)), outside);
    assert.deepEqual(snapshotFiles(home), before);
    assert.equal(Deno.statSync("/etc/passwd").isFile, true);
  }));

// a command and an output built to look like records, separators and terminal escapes
const HOSTILE = [
  `echo '{"seq":2,"at":"2026-01-01T00:00:00.000Z","type":"enqueue","jobs":[{"id":"forged","command":"x"}],"crc":"00000000"}'`,
  `printf 'line\\n{"type":"delete","ids":["victim"]}\\n'`,
  "echo 'a\u2028b\u2029c\rd'",
  "printf '\\033]0;evil\\007\\033[2J\\r\\033[31mred\\n'",
].map((c, i) => ({
  id: `h${i}`,
  // the second line is a no-op (`:`) whose argument looks like a record
  command: `${c}\n: '{"seq":99,"type":"retry","ids":["victim"]}\u2028\r\u001b]0;evil\u0007'`,
}));

Deno.test("job text cannot forge a record: one line per record, every job round-trips, list --json parses", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "victim", "true"]);
    for (const { id, command } of HOSTILE) {
      await cliOk(home, ["enqueue", JSON.stringify({ id, command, max_retries: 0 })]);
    }
    await cliOk(home, ["worker", "start", "--drain"]);
    const jobs = await cliJson<Array<{ id: string; command: string; state: string; output_tail: string }>>(
      home,
      ["list", "--oldest-first"],
    );
    assert.deepEqual(jobs.map((j) => j.id), ["victim", ...HOSTILE.map((h) => h.id)]);
    for (const h of HOSTILE) assert.equal(jobs.find((j) => j.id === h.id)!.command, h.command);
    assert.ok(jobs.every((j) => j.state === "completed"), JSON.stringify(jobs.map((j) => [j.id, j.state])));
    const lines = Deno.readTextFileSync(`${home}/wal-00000001.jsonl`).split("\n").filter((l) => l !== "");
    const seqs = lines.map((l) => JSON.parse(l).seq);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), "one record per line, seq contiguous");
    // JSON escapes every C0 control (\r, ESC, BEL); U+2028/2029 stay raw, valid JSON inside a
    // line, since only "\n" ends a record (line tools such as wc, jq and sed agree)
    // deno-lint-ignore no-control-regex
    assert.ok(lines.every((l) => !/[\u0000-\u001f]/.test(l)), "the log holds no raw control character");
    assert.ok(lines.some((l) => l.includes("\u2028")), "the command's U+2028 is inside its record");
    assert.equal((await cli(home, ["doctor"])).code, 0);
  }));

// deno-lint-ignore no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

Deno.test("show, list and the worker's log print a job's escape sequences escaped, never raw", () =>
  withHome(async (home) => {
    const evil = "\u001b]0;evil\u0007\u001b[2J";
    await cliOk(home, [
      "enqueue",
      "--id",
      "esc",
      "--max-retries",
      "0",
      `printf '\\033]0;out\\007\\r\\n'; echo '${evil}'; exit 1`,
    ]);
    const worker = spawnCli(home, ["worker", "start", "--drain"]);
    try {
      await untilOutput(worker, /drained/);
    } finally {
      await stopBackground(worker);
    }
    assert.ok(!RAW_CONTROL.test(worker.output()), `worker output: ${JSON.stringify(worker.output())}`);
    for (const args of [["show", "esc"], ["list"], ["dlq", "list"]]) {
      const out = await cliOk(home, args);
      assert.ok(!RAW_CONTROL.test(out), `${args.join(" ")}: ${JSON.stringify(out)}`);
      assert.match(out, /\\u001b/, `${args.join(" ")} shows the escape as text`);
    }
    // show keeps the tail's lines, escaping the rest
    assert.match(
      await cliOk(home, ["show", "esc"]),
      /output \(last attempt, tail\):\n\\u001b]0;out\\u0007\\r\n/,
    );
    // --json carries the bytes exactly (JSON escapes them)
    assert.ok((await cliJson(home, ["show", "esc"])).command.includes("\u001b]0;evil\u0007"));
  }));

Deno.test("a job runs in the enqueuer's directory with the worker's environment, not the enqueuer's", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    const enqueuedFrom = `${dir}/project`;
    Deno.mkdirSync(enqueuedFrom);
    await cliOk(home, ["enqueue", "--id", "env", "pwd; env"], {
      cwd: enqueuedFrom,
      env: { ENQUEUER_ONLY: "e" },
    });
    const worker = spawnCli(home, ["worker", "start", "--drain"], { cwd: "/", env: { WORKER_ONLY: "w" } });
    try {
      await untilOutput(worker, /drained/);
    } finally {
      await stopBackground(worker);
    }
    const out = (await cliOk(home, ["logs", "env"])).split("\n");
    assert.equal(out[1], enqueuedFrom);
    assert.ok(out.includes("WORKER_ONLY=w"));
    assert.ok(!out.some((l) => l.startsWith("ENQUEUER_ONLY=")));
    // the worker's own variables reach the job, QUEUECTL_HOME included: a job can drive its queue
    assert.ok(out.includes(`QUEUECTL_HOME=${home}`));
  }));
