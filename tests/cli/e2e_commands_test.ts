/**
 * End-to-end: the read and management commands (status, list, show, logs, dlq, delete, config,
 * compact) and their operational errors (exit 1, nothing changed).
 */
import assert from "node:assert/strict";
import {
  type Background,
  cli,
  cliJson,
  cliOk,
  configure,
  dirOfHome,
  exists,
  expectRefused,
  refused,
  snapshotFiles,
  spawnCli,
  stopBackground,
  untilOutput,
  untilState,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";

const STATES = ["pending", "processing", "completed", "failed", "dead"];

/** Fills `home` with 2 completed jobs, 2 dead ones and 1 pending one scheduled for later. */
async function populate(home: string): Promise<void> {
  await cliOk(home, ["enqueue", "--id", "ok-1", "echo one"]);
  await cliOk(home, ["enqueue", "--id", "bad-1", "--max-retries", "0", "echo broken >&2; exit 4"]);
  await cliOk(home, ["enqueue", "--id", "ok-2", "echo two"]);
  await cliOk(home, ["enqueue", "--id", "bad-2", "--max-retries", "0", "exit 5"]);
  await cliOk(home, ["enqueue", "--id", "later", "--delay", "1h", "echo later"]);
  const run = await cli(home, ["worker", "start", "--drain"]);
  assert.equal(run.code, 0, run.stderr + run.stdout);
}

function assertOperationalError(r: { code: number; stdout: string; stderr: string }, re: RegExp): void {
  assert.equal(r.code, 1, `exit code ${r.code}: ${r.stderr}`);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr.trim().split("\n").length, 1, `one line on stderr: ${r.stderr}`);
  assert.match(r.stderr, re);
}

Deno.test("status --json has exactly counts per state, workers and paused queues", () =>
  withHome(async (home) => {
    const empty = await cliJson(home, ["status"]);
    assert.deepEqual(empty, {
      counts: { pending: 0, processing: 0, completed: 0, failed: 0, dead: 0 },
      workers: [],
      paused_queues: [],
    });
    await cliOk(home, ["enqueue", "--id", "x", "true"]);
    const one = await cliJson(home, ["status"]);
    assert.deepEqual(Object.keys(one), ["counts", "workers", "paused_queues"]);
    assert.deepEqual(Object.keys(one.counts), STATES);
    assert.equal(one.counts.pending, 1);
    const text = await cliOk(home, ["status"]);
    for (const state of STATES) assert.match(text, new RegExp(`${state}\\s+\\d`));
    assert.match(text, /pending\s+1/);
  }));

Deno.test("list shows the newest first, filters by --state, keeps the newest at --limit, and --json prints the same jobs", () =>
  withHome(async (home) => {
    await populate(home);
    const all = await cliJson(home, ["list"]);
    assert.deepEqual(all.map((j: any) => j.id), ["later", "bad-2", "ok-2", "bad-1", "ok-1"]);
    const ids = async (args: string[]) => (await cliJson(home, ["list", ...args])).map((j: any) => j.id);
    assert.deepEqual(await ids(["--oldest-first"]), ["ok-1", "bad-1", "ok-2", "bad-2", "later"]);
    assert.deepEqual(await ids(["--state", "completed"]), ["ok-2", "ok-1"]);
    assert.deepEqual(await ids(["--state", "dead", "--oldest-first"]), ["bad-1", "bad-2"]);
    assert.deepEqual(await ids(["--state", "pending"]), ["later"]);
    assert.deepEqual(await ids(["--state", "failed"]), []);
    assert.deepEqual(await ids(["--limit", "2"]), ["later", "bad-2"], "the newest two");
    assert.deepEqual(await ids(["--limit", "2", "--oldest-first"]), ["ok-1", "bad-1"], "the oldest two");
    assert.deepEqual(await ids(["--limit", "0"]), ["later", "bad-2", "ok-2", "bad-1", "ok-1"], "0 means all");
    assert.deepEqual(await ids(["--state", "dead", "--limit", "1"]), ["bad-2"]);

    const cutJson = await cli(home, ["list", "--limit", "2", "--json"]);
    assert.equal(cutJson.code, 0);
    assert.equal(cutJson.stderr, "", "no note with --json");
    const cut = await cli(home, ["list", "--limit", "2"]);
    assert.equal(cut.code, 0);
    assert.match(cut.stdout, /^ID .*\nlater .*\nbad-2 .*\n$/);
    assert.equal(cut.stderr, "2 of 5 jobs; --limit to see more (0 for all)\n", "says the list was cut");
    const cutDead = await cli(home, ["list", "--state", "dead", "--limit", "1"]);
    assert.equal(cutDead.stderr, "1 of 2 dead jobs; --limit to see more (0 for all)\n");
    assert.equal((await cli(home, ["list", "--limit", "5"])).stderr, "", "nothing was cut");

    const text = await cliOk(home, ["list", "--state", "dead"]);
    assert.match(text, /bad-1/);
    assert.match(text, /exit code 4/);
    assert.doesNotMatch(text, /ok-1/);
    assert.match(await cliOk(home, ["list", "--state", "processing"]), /no processing jobs/);
  }));

Deno.test("show prints one job in full, and show --json the job object", () =>
  withHome(async (home) => {
    await populate(home);
    const job = await cliJson(home, ["show", "bad-1"]);
    for (
      const field of [
        "id",
        "command",
        "state",
        "attempts",
        "max_retries",
        "priority",
        "run_at",
        "timeout",
        "created_at",
        "updated_at",
        "exit_code",
        "last_error",
        "worker",
      ]
    ) assert.ok(field in job, field);
    assert.equal(job.state, "dead");
    assert.equal(job.exit_code, 4);
    assert.equal(job.last_error, "exit code 4");
    const listed = (await cliJson(home, ["list"])).find((j: any) => j.id === "bad-1");
    assert.deepEqual(listed, job, "the same shape everywhere");
    const text = await cliOk(home, ["show", "bad-1"]);
    assert.match(text, /bad-1/);
    assert.match(text, /dead/);
    assert.match(text, /exit code 4/);
    assert.match(text, /broken/, "shows the tail of the output");
  }));

Deno.test("logs --follow streams a running job's output and returns once it completed and printed all of it", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    const procs: Background[] = [];
    try {
      await cliOk(home, [
        "enqueue",
        "--id",
        "chatty",
        `echo first; while [ ! -f ${dir}/go ]; do sleep 0.05; done; echo second >&2; echo third`,
      ]);
      const worker = spawnCli(home, ["worker", "start"]);
      procs.push(worker);
      await untilOutput(worker, /claimed chatty/);
      const follow = spawnCli(home, ["logs", "chatty", "--follow"]);
      procs.push(follow);
      await untilOutput(follow, /first\n/);
      assert.doesNotMatch(follow.output(), /second/);
      Deno.writeTextFileSync(`${dir}/go`, "");
      assert.equal(await follow.exited(), 0, follow.output());
      const out = follow.output();
      assert.match(out, /first\nsecond\nthird\n/);
      assert.match(out, /exit code 0/, "the attempt's closing line is printed too");
      assert.equal((await cliJson(home, ["show", "chatty"])).state, "completed");
      // a job that has not run has no output: said on stderr, not an error
      await cliOk(home, ["enqueue", "--id", "quiet", "--delay", "1h", "true"]);
      const quiet = await cli(home, ["logs", "quiet"]);
      assert.equal(quiet.code, 0);
      assert.equal(quiet.stdout, "");
      assert.match(quiet.stderr, /no output.*pending/);
      // a finished job's --follow returns at once with everything
      const again = await cli(home, ["logs", "chatty", "-f"]);
      assert.equal(again.code, 0);
      assert.equal(again.stdout, await cliOk(home, ["logs", "chatty"]));
    } finally {
      for (const p of procs) await stopBackground(p);
    }
  }));

Deno.test("logs --follow of a job no worker runs says it waits for one, follows it once one does, and exits 1 when it ends dead", () =>
  withHome(async (home) => {
    const procs: Background[] = [];
    try {
      await cliOk(home, ["enqueue", "--id", "doomed", "--max-retries", "0", "echo bye; exit 3"]);
      const follow = spawnCli(home, ["logs", "doomed", "--follow"]);
      procs.push(follow);
      await untilOutput(follow, /job doomed is pending: waiting for a worker/);
      await cliOk(home, ["worker", "start", "--drain"]);
      assert.equal(await follow.exited(), 1, follow.output());
      assert.match(follow.output(), /=== attempt 1 of 1 · .* ===\nbye\n=== exit code 3 · [\d.]+s ===\n/);
      assert.equal((await cliJson(home, ["show", "doomed"])).state, "dead");
      // a dead job's --follow returns at once with everything, and exit 1
      const again = await cli(home, ["logs", "doomed", "-f"]);
      assert.equal(again.code, 1);
      assert.equal(again.stdout, await cliOk(home, ["logs", "doomed"]));
      assert.equal(again.stderr, "", "not an error: the job's end");
    } finally {
      for (const p of procs) await stopBackground(p);
    }
  }));

Deno.test("dlq list, dlq retry <id>, dlq retry --all and dlq delete manage dead jobs", () =>
  withHome(async (home) => {
    await populate(home);
    const dead = await cliJson(home, ["dlq", "list"]);
    assert.deepEqual(dead.map((j: any) => j.id), ["bad-2", "bad-1"], "newest first");
    const oldest = await cliJson(home, ["dlq", "list", "--oldest-first"]);
    assert.deepEqual(oldest.map((j: any) => j.id), ["bad-1", "bad-2"]);
    assert.match(await cliOk(home, ["dlq", "list"]), /bad-2[^]*bad-1/);

    const retried = await cliJson(home, ["dlq", "retry", "bad-1"]);
    assert.deepEqual(retried, ["bad-1"]);
    const back = await cliJson(home, ["show", "bad-1"]);
    assert.equal(back.state, "pending");
    assert.equal(back.attempts, 0, "attempts reset to 0");
    assert.equal(back.run_at, null, "due as soon as possible");
    assert.deepEqual((await cliJson(home, ["dlq", "list"])).map((j: any) => j.id), ["bad-2"]);

    // the retried job runs again (and fails again, into the DLQ)
    const run = await cli(home, ["worker", "start", "--drain"]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const rerun = await cliJson(home, ["show", "bad-1"]);
    assert.equal(rerun.state, "dead");
    assert.equal(rerun.attempts, 1);
    assert.equal(
      (await cliOk(home, ["logs", "bad-1"])).match(/=== attempt 1 of 1/g)?.length,
      2,
      "both runs logged",
    );

    const all = await cli(home, ["dlq", "retry", "--all"]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /2 job/);
    assert.deepEqual(await cliJson(home, ["dlq", "list"]), []);
    assert.deepEqual((await cliJson(home, ["list", "--state", "pending"])).map((j: any) => j.id).sort(), [
      "bad-1",
      "bad-2",
      "later",
    ]);
    const none = await cli(home, ["dlq", "retry", "--all"]);
    assert.equal(none.code, 0, "an empty DLQ is not an error");
    assert.match(none.stdout, /0 job/);

    // dlq delete removes dead jobs only
    await cli(home, ["worker", "start", "--drain"]);
    assert.equal((await cliJson(home, ["dlq", "list"])).length, 2);
    const before = snapshotFiles(home);
    assertOperationalError(await cli(home, ["dlq", "delete", "ok-1"]), /ok-1/);
    assert.deepEqual(snapshotFiles(home), before, "refused: nothing changed");
    assert.deepEqual(await cliJson(home, ["dlq", "delete", "bad-1", "bad-2"]), ["bad-1", "bad-2"]);
    assert.deepEqual(await cliJson(home, ["dlq", "list"]), []);
    assert.equal((await cli(home, ["show", "bad-1"])).code, 1);
  }));

Deno.test("delete removes a job that is not processing, and its pre-0.2 log file; the slot's output file, shared, stays", () =>
  withHome(async (home) => {
    await populate(home);
    const slotFile = `${home}/logs/${(await cliJson(home, ["show", "ok-1"])).runs[0].out[0]}`;
    assert.match(await cliOk(home, ["logs", "ok-1"]), /one/);
    // a job enqueued before 0.2 kept its output in logs/<id>.log
    Deno.writeTextFileSync(`${home}/logs/later.log`, "output of an older version\n");
    assert.match(await cliOk(home, ["logs", "later"]), /output of an older version/);
    const r = await cli(home, ["delete", "ok-1", "later"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /2 job/);
    assert.equal((await cli(home, ["show", "ok-1"])).code, 1);
    assert.equal((await cli(home, ["logs", "ok-1"])).code, 1);
    assert.equal(exists(`${home}/logs/later.log`), false, "its own output file is gone");
    assert.ok(exists(slotFile), "the slot's output file stays: other jobs' output is in it");
    assert.match(await cliOk(home, ["logs", "ok-2"]), /two/);
    assert.deepEqual((await cliJson(home, ["list", "--oldest-first"])).map((j: any) => j.id), [
      "bad-1",
      "ok-2",
      "bad-2",
    ]);
    assert.deepEqual(await cliJson(home, ["delete", "bad-1"]), ["bad-1"]);
    // the id is free again
    await cliOk(home, ["enqueue", "--id", "ok-1", "true"]);
  }));

Deno.test("delete of a processing job is refused with exit 1 and the job runs on", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    let worker: Background | undefined;
    try {
      await cliOk(home, [
        "enqueue",
        "--id",
        "busy",
        `touch ${dir}/started; while [ ! -f ${dir}/release ]; do sleep 0.05; done`,
      ]);
      worker = spawnCli(home, ["worker", "start"]);
      await waitFor(() => exists(`${dir}/started`), "the job to start");
      assert.equal((await cliJson(home, ["show", "busy"])).state, "processing");
      const r = await cli(home, ["delete", "busy"]);
      assertOperationalError(r, /busy.*processing/);
      const still = await cliJson(home, ["show", "busy"]);
      assert.equal(still.state, "processing");
      assert.equal(still.attempts, 1);
      Deno.writeTextFileSync(`${dir}/release`, "");
      await untilState(home, "busy", "completed");
    } finally {
      if (worker) await stopBackground(worker);
    }
  }));

Deno.test("show, logs, delete and dlq retry of a missing job, and dlq retry of a pending job, exit 1 and change nothing", () =>
  withHome(async (home) => {
    await populate(home);
    const before = snapshotFiles(home);
    const cases: Array<[string[], RegExp]> = [
      [["show", "nope"], /nope/],
      [["show", "nope", "--json"], /nope/],
      [["logs", "nope"], /nope/],
      [["logs", "nope", "--follow"], /nope/],
      [["delete", "nope"], /nope/],
      [["delete", "ok-1", "nope"], /nope/],
      [["dlq", "retry", "nope"], /nope/],
      [["dlq", "retry", "bad-1", "nope"], /nope/],
      [["dlq", "retry", "later"], /later.*pending/],
      [["dlq", "retry", "ok-1"], /ok-1.*completed/],
      [["dlq", "delete", "nope"], /nope/],
      [["dlq", "delete", "later"], /later/],
    ];
    for (const [args, re] of cases) {
      const r = await cli(home, args);
      assertOperationalError(r, re);
      assert.deepEqual(snapshotFiles(home), before, `queuectl ${args.join(" ")} changed the home`);
    }
    // nothing happened to the jobs named alongside the missing one
    assert.equal((await cliJson(home, ["show", "ok-1"])).state, "completed");
    assert.equal((await cliJson(home, ["show", "bad-1"])).state, "dead");
  }));

Deno.test("config list, get and set accept both spellings, keep comments, and validate", () =>
  withHome(async (home) => {
    const defaults = await cliJson(home, ["config", "list"]);
    assert.deepEqual(defaults, {
      max_retries: 3,
      backoff_base: 2,
      backoff_max: 3600,
      job_timeout: 0,
      lease_timeout: 30,
      poll_interval: 1,
      retention_completed: 0,
      retention_dead: 0,
    });
    const text = await cliOk(home, ["config", "list"]);
    for (
      const key of [
        "max-retries",
        "backoff-base",
        "backoff-max",
        "job-timeout",
        "lease-timeout",
        "poll-interval",
        "retention-completed",
        "retention-dead",
      ]
    ) {
      assert.match(text, new RegExp(key));
    }
    assert.equal((await cliOk(home, ["config", "get", "backoff-base"])).trim(), "2");
    assert.equal((await cliOk(home, ["config", "get", "backoff_base"])).trim(), "2");
    assert.deepEqual(await cliJson(home, ["config", "get", "lease-timeout"]), { lease_timeout: 30 });

    // a hand-written file with comments
    Deno.mkdirSync(home, { recursive: true });
    Deno.writeTextFileSync(
      `${home}/config.jsonc`,
      [
        "// my queue settings",
        "{",
        "  // keep retrying flaky deploys",
        '  "max_retries": 5,',
        "  /* block comment */",
        '  "backoff_max": 60',
        "}",
        "",
      ].join("\n"),
    );
    assert.equal((await cliOk(home, ["config", "get", "max-retries"])).trim(), "5");
    await cliOk(home, ["config", "set", "max_retries", "7"]);
    await cliOk(home, ["config", "set", "backoff-base", "1.5"]);
    await cliOk(home, ["config", "set", "leaseTimeout", "12"]);
    const file = Deno.readTextFileSync(`${home}/config.jsonc`);
    assert.match(file, /\/\/ my queue settings/);
    assert.match(file, /\/\/ keep retrying flaky deploys/);
    assert.match(file, /\/\* block comment \*\//);
    const after = await cliJson(home, ["config", "list"]);
    assert.deepEqual(after, {
      max_retries: 7,
      backoff_base: 1.5,
      backoff_max: 60,
      job_timeout: 0,
      lease_timeout: 12,
      poll_interval: 1,
      retention_completed: 0,
      retention_dead: 0,
    });
    assert.equal((file.match(/max.retries/g) ?? []).length, 1, "the key is edited in place, not doubled");
    // the new default applies to the next enqueue
    assert.equal((await cliJson(home, ["enqueue", "true"])).max_retries, 7);

    // refused values leave the file as it was
    const before = snapshotFiles(home);
    for (
      const [key, value] of [["max-retries", "-1"], ["backoff-base", "0"], ["poll-interval", "x"], [
        "no-such",
        "1",
      ]]
    ) {
      const r = await cli(home, ["config", "set", key, value]);
      assert.equal(r.code, 2, `config set ${key} ${value}`);
      assert.match(r.stderr, new RegExp(key));
    }
    assert.deepEqual(snapshotFiles(home), before);
  }));

Deno.test("config set takes a duration for every setting in seconds, as enqueue --timeout does, and stores seconds", () =>
  withHome(async (home) => {
    assert.equal(await cliOk(home, ["config", "set", "job-timeout", "5m"]), "job-timeout = 300\n");
    await cliOk(home, ["config", "set", "lease-timeout", "2m"]);
    await cliOk(home, ["config", "set", "poll-interval", "250ms"]);
    await cliOk(home, ["config", "set", "backoff-max", "1h"]);
    await cliOk(home, ["config", "set", "retention-dead", "90d"]);
    const file = Deno.readTextFileSync(`${home}/config.jsonc`);
    assert.match(file, /"job_timeout": 300,/);
    assert.match(file, /"poll_interval": 0.25,/);
    const config = await cliJson(home, ["config", "list"]);
    assert.deepEqual(
      [
        config.job_timeout,
        config.lease_timeout,
        config.poll_interval,
        config.backoff_max,
        config.retention_dead,
      ],
      [300, 120, 0.25, 3600, 7_776_000],
    );
    await expectRefused(home, [
      refused(
        ["config", "set", "job-timeout", "5x"],
        /^error: Cannot set job-timeout to "5x": it must be a number of seconds or a duration such as 30s, 5m, 2h or 1d$/,
      ),
      refused(
        ["config", "set", "job-timeout", "366d"],
        /^error: Cannot set job-timeout to "366d": it must be at most/,
      ),
      refused(
        ["config", "set", "max-retries", "5m"],
        /^error: Cannot set max-retries to "5m": it must be a number$/,
      ),
    ]);
  }));

Deno.test("compact starts a new log generation and the queue reads the same before and after", () =>
  withHome(async (home) => {
    await populate(home);
    await configure(home, { "backoff-base": 1 });
    const listBefore = await cliJson(home, ["list"]);
    const statusBefore = await cliJson(home, ["status"]);
    const walsBefore = [...Deno.readDirSync(home)].map((e) => e.name).filter((n) => n.endsWith(".jsonl"));

    const result = await cliJson(home, ["compact"]);
    for (const key of ["generation", "jobs", "archived", "segments", "snapshot_bytes", "folded_bytes"]) {
      assert.ok(key in result, key);
    }
    assert.equal(result.jobs + result.archived, 5);
    const names = [...Deno.readDirSync(home)].map((e) => e.name);
    const walsAfter = names.filter((n) => n.endsWith(".jsonl"));
    assert.equal(walsAfter.length, 1);
    assert.notDeepEqual(walsAfter, walsBefore, "a new log segment");
    assert.ok(names.some((n) => n.startsWith("snapshot-")), names.join(" "));

    assert.deepEqual(await cliJson(home, ["list"]), listBefore);
    assert.deepEqual(await cliJson(home, ["status"]), statusBefore);
    assert.match(await cliOk(home, ["compact"]), /generation/);
    assert.deepEqual(await cliJson(home, ["list"]), listBefore);

    // and the store goes on working: enqueue, run, retry from the DLQ
    await cliOk(home, ["enqueue", "--id", "new", "echo new"]);
    await cliOk(home, ["dlq", "retry", "bad-2"]);
    const run = await cli(home, ["worker", "start", "--drain"]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.equal((await cliJson(home, ["show", "new"])).state, "completed");
    assert.equal((await cliJson(home, ["show", "bad-2"])).attempts, 1);
    assert.equal((await cliJson(home, ["show", "later"])).state, "pending");
  }));

Deno.test("every command and subcommand has --help, which exits 0 and touches no home", () =>
  withHome(async (home) => {
    const commands = [
      [],
      ["enqueue"],
      ["worker"],
      ["worker", "start"],
      ["worker", "stop"],
      ["worker", "list"],
      ["status"],
      ["list"],
      ["show"],
      ["logs"],
      ["dlq"],
      ["dlq", "list"],
      ["dlq", "retry"],
      ["dlq", "delete"],
      ["delete"],
      ["config"],
      ["config", "list"],
      ["config", "get"],
      ["config", "set"],
      ["compact"],
    ];
    for (const words of commands) {
      const r = await cli(home, [...words, "--help"]);
      assert.equal(r.code, 0, `queuectl ${words.join(" ")} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`USAGE[\\s\\S]*queuectl ${words.join(" ")}`), words.join(" "));
    }
    const enqueueHelp = await cliOk(home, ["enqueue", "--help"]);
    for (
      const flag of [
        "--command",
        "--id",
        "--max-retries",
        "--priority",
        "--run-at",
        "--delay",
        "--timeout",
        "--file",
      ]
    ) {
      assert.match(enqueueHelp, new RegExp(flag));
    }
    assert.throws(() => Deno.statSync(home), Deno.errors.NotFound);
  }));
