/**
 * End-to-end: cron schedules through the real CLI. Several workers fire a per-minute schedule
 * whose ticks were missed for ten minutes (one catch-up run, each tick once); a worker killed in
 * the middle of a tick's write leaves it done exactly once; add, list, pause, resume and remove,
 * and their refusals (exit 2, the home unchanged). No timing is asserted: a tick that falls due
 * while a test runs is allowed, and counted like the others.
 */
import assert from "node:assert/strict";
import {
  cli,
  cliJson,
  cliOk,
  dirOfHome,
  expectRefused,
  readLines,
  refused,
  spawnCli,
  stopBackground,
  untilOutput,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";
import { FileStore } from "../../src/store/file_store.ts";

const MIN = 60_000;

/** The start of the minute `ms` falls in, as a tick id's time part. */
const minuteOf = (ms: number) => new Date(Math.floor(ms / MIN) * MIN).toISOString().slice(0, 16) + "Z";

/** Adds a per-minute schedule whose last tick was `minutesAgo` minutes ago, straight through the store. */
async function staleSchedule(home: string, name: string, ledger: string, minutesAgo: number): Promise<void> {
  Deno.mkdirSync(home, { recursive: true, mode: 0o700 });
  const store = new FileStore(home);
  const past = new Date(Math.floor(Date.now() / MIN) * MIN - minutesAgo * MIN).toISOString();
  await store.addSchedule({
    name,
    cron: "* * * * *",
    tz: "UTC",
    paused: false,
    job: {
      command: `echo "$QUEUECTL_JOB_ID" >> ${ledger}`,
      priority: 0,
      timeout: null,
      cwd: null,
      max_retries: 0,
    },
    created_at: past,
    last_tick: past,
  });
  store.close();
}

/** The jobs a schedule enqueued (ids NAME@...), and how often the ledger saw each run. */
async function ticks(home: string, name: string, ledger: string) {
  const jobs = (await cliJson<Array<{ id: string; state: string }>>(home, ["list", "--limit", "0"]))
    .filter((j) => j.id.startsWith(`${name}@`));
  const runs = new Map<string, number>();
  for (const id of readLines(ledger)) runs.set(id, (runs.get(id) ?? 0) + 1);
  return { jobs, runs };
}

Deno.test("three workers fire a schedule whose ticks were missed for ten minutes once, then each later tick once", () =>
  withHome(async (home) => {
    const ledger = `${dirOfHome(home)}/ledger`;
    await staleSchedule(home, "every", ledger, 10);
    const firstAllowed = minuteOf(Date.now());
    const workers = [1, 2, 3].map(() => spawnCli(home, ["worker", "start", "--count", "1"]));
    try {
      for (const w of workers) await untilOutput(w, /started with 1 slot/);
      await waitFor(
        async () => {
          const { jobs } = await ticks(home, "every", ledger);
          return jobs.length > 0 && jobs.every((j) => j.state === "completed");
        },
        "the catch-up run to complete",
        60_000,
        200,
      );
    } finally {
      for (const w of workers) assert.equal(await stopBackground(w), 0, w.output());
    }
    const { jobs, runs } = await ticks(home, "every", ledger);
    const lastAllowed = minuteOf(Date.now());
    // one catch-up for the ten missed minutes: no job for a minute before the workers started
    for (const j of jobs) {
      const at = j.id.slice("every@".length);
      assert.ok(at >= firstAllowed && at <= lastAllowed, `${j.id} is not a tick of the test's minutes`);
      assert.equal(j.state, "completed", `${j.id} is ${j.state}`);
      assert.equal(runs.get(j.id), 1, `${j.id} ran ${runs.get(j.id) ?? 0} times`);
    }
    assert.ok(jobs.length >= 1 && jobs.length <= 3, `${jobs.length} ticks in at most two minutes`);
    assert.equal(runs.size, jobs.length, "nothing else ran");
    const enqueuedBy = workers.flatMap((w) =>
      [...w.output().matchAll(/schedule every enqueued (\S+)/g)].map((m) => m[1])
    );
    assert.deepEqual([...enqueuedBy].sort(), jobs.map((j) => j.id).sort(), "one worker enqueued each tick");
    const [listed] = await cliJson<Array<{ last_tick: string; next_run: string }>>(home, [
      "schedule",
      "list",
    ]);
    assert.equal(listed.last_tick.slice(0, 16) + "Z", jobs.map((j) => j.id.slice(6)).sort().at(-1));
  }));

for (const point of ["append-half", "append-written"]) {
  Deno.test(`a worker killed at ${point} of a tick's write leaves the tick enqueued exactly once`, () =>
    withHome(async (home) => {
      const ledger = `${dirOfHome(home)}/ledger`;
      await staleSchedule(home, "tick", ledger, 5);
      // the tick is the crashed worker's first write: the schedule is due and nothing else is queued
      const crashed = await cli(home, ["worker", "start", "--count", "1"], {
        env: { QUEUECTL_CRASH_AT: point },
      });
      assert.equal(crashed.code, 137, `the worker died at ${point}: ${crashed.stdout}${crashed.stderr}`);
      const worker = spawnCli(home, ["worker", "start", "--count", "2"]);
      try {
        await waitFor(
          async () => {
            const { jobs } = await ticks(home, "tick", ledger);
            return jobs.length > 0 && jobs.every((j) => j.state === "completed");
          },
          "the tick's job to complete",
          60_000,
          200,
        );
      } finally {
        assert.equal(await stopBackground(worker), 0, worker.output());
      }
      // the crashed worker's lock and heartbeat are left: a later worker removes them
      const { jobs, runs } = await ticks(home, "tick", ledger);
      assert.ok(jobs.length >= 1 && jobs.length <= 3, `${jobs.map((j) => j.id)}`);
      for (const j of jobs) assert.equal(runs.get(j.id), 1, `${j.id} ran ${runs.get(j.id) ?? 0} times`);
      const doctor = await cliJson<{ ok: boolean }>(home, ["doctor"]);
      assert.equal(doctor.ok, true);
    }));
}

Deno.test("schedule add, list, pause, resume and remove, with --json", () =>
  withHome(async (home) => {
    const add = await cli(home, [
      "schedule",
      "add",
      "nightly",
      "30 2 * * *",
      "--tz",
      "Europe/Berlin",
      "--queue",
      "backups",
      "--priority",
      "7",
      "--max-retries",
      "1",
      "--timeout",
      "1h",
      "--env",
      "MODE=full",
      "--json",
      "--",
      "backup.sh --full",
    ]);
    assert.equal(add.code, 0, add.stderr);
    const added = JSON.parse(add.stdout);
    assert.equal(added.name, "nightly");
    assert.equal(added.cron, "30 2 * * *");
    assert.equal(added.tz, "Europe/Berlin");
    assert.deepEqual(added.job, {
      command: "backup.sh --full",
      priority: 7,
      timeout: 3600,
      cwd: Deno.cwd(),
      max_retries: 1,
      queue: "backups",
      env: { MODE: "full" },
    });
    // 02:30 in Berlin is 00:30 or 01:30 UTC
    assert.match(added.next_run, /T0[01]:30:00\.000Z$/);
    await cliOk(home, ["schedule", "add", "argv", "@hourly", "--argv", "--", "printf", "%s\n", "a b"]);
    await cliOk(home, ["schedule", "add", "json", "*/15 * * * *", '{"command":"sync.sh","timeout":600}']);
    const listed = await cliJson<Array<{ name: string; job: { argv?: string[]; timeout: number } }>>(home, [
      "schedule",
      "list",
    ]);
    assert.deepEqual(listed.map((s) => s.name), ["argv", "json", "nightly"]);
    assert.deepEqual(listed[0].job.argv, ["printf", "%s\n", "a b"]);
    assert.equal(listed[1].job.timeout, 600);
    const table = await cliOk(home, ["schedule", "list"]);
    assert.match(table, /^NAME\s+CRON\s+TZ\s+STATE\s+NEXT RUN\s+LAST TICK\s+QUEUE\s+COMMAND$/m);
    assert.match(
      table,
      /^nightly\s+30 2 \* \* \*\s+Europe\/Berlin\s+active\s+\S+Z \(in \d+[smh]\)\s+-\s+backups\s+backup\.sh --full$/m,
    );
    const paused = await cliJson(home, ["schedule", "pause", "nightly"]);
    assert.equal(paused.paused, true);
    assert.equal(paused.next_run, null);
    assert.match(await cliOk(home, ["schedule", "list"]), /^nightly\s+.*\s+paused\s+-\s+/m);
    const resumed = await cliJson(home, ["schedule", "resume", "nightly"]);
    assert.equal(resumed.paused, false);
    assert.equal(resumed.next_run, added.next_run);
    assert.notEqual(resumed.last_tick, null, "the ticks missed while paused count as done");
    assert.match(await cliOk(home, ["schedule", "remove", "json"]), /removed schedule json/);
    const gone = await cli(home, ["schedule", "remove", "json"]);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, 'error: Cannot remove schedule "json": no such schedule\n');
    const again = await cli(home, ["schedule", "add", "nightly", "@daily", "true"]);
    assert.equal(again.code, 1);
    assert.equal(
      again.stderr,
      'error: Cannot add schedule "nightly": a schedule with this name already exists\n',
    );
  }));

Deno.test("bad schedule input is refused with exit 2, one line naming the problem, and the home unchanged", () =>
  withHome(async (home) => {
    await cliOk(home, ["schedule", "add", "keep", "@daily", "true"]);
    const cases: Array<[string[], RegExp]> = [
      [["schedule", "add", "x", "61 * * * *", "true"], /its minute field "61" is not valid: use 0-59/],
      [["schedule", "add", "x", "0 0 1 13 *", "true"], /its month field "13"/],
      [["schedule", "add", "x", "* * *", "true"], /it has 3 field\(s\), not 5/],
      [["schedule", "add", "x", "0 0 30 2 *", "true"], /it never fires/],
      [["schedule", "add", "x", "@reboot", "true"], /unknown nickname/],
      [["schedule", "add", "x", "@daily", "--tz", "Nowhere/City", "true"], /--tz "Nowhere\/City"/],
      [["schedule", "add", "a@b", "@daily", "true"], /Invalid schedule name "a@b"/],
      [["schedule", "add", "a..b", "@daily", "true"], /Invalid schedule name/],
      [["schedule", "add", "x".repeat(65), "@daily", "true"], /Invalid schedule name/],
      [["schedule", "add", "x", "@daily"], /give the job after the cron expression/],
      [["schedule", "add", "x"], /give its cron expression/],
      [["schedule", "add", "x", "@daily", "echo", "hi"], /unexpected argument "hi"/],
      [["schedule", "add", "x", "@daily", "--queue", "Bad Queue", "true"], /Invalid --queue "Bad Queue"/],
      [["schedule", "add", "x", "@daily", "--env", "1A=b", "true"], /Invalid --env "1A=b"/],
      [["schedule", "add", "x", "@daily", "--env", "NOEQUALS", "true"], /expected NAME=value/],
      [["schedule", "add", "x", "@daily", "--cwd", "/no/such/dir", "true"], /Invalid --cwd/],
      [["schedule", "add", "x", "@daily", "--priority", "high", "true"], /Invalid --priority "high"/],
      [["schedule", "add", "x", "@daily", '{"command":"true","id":"fixed"}'], /"id" cannot be given/],
      [
        ["schedule", "add", "x", "@daily", '{"command":"true","run_at":"2030-01-01"}'],
        /"run_at" cannot be given/,
      ],
      [["schedule", "add", "x", "@daily", '{"command":"true","queue":"UP"}'], /"queue" is not usable/],
      [
        ["schedule", "add", "x", "@daily", "--priority", "1", '{"command":"true","priority":2}'],
        /both in the JSON/,
      ],
      [["schedule", "add", "x", "@daily", '{"command":'], /not valid JSON/],
      [["schedule", "pause", "no/such"], /Invalid schedule name/],
      [["schedule", "resume"], /Expected argument for name \(see `queuectl schedule resume --help`\)/],
      [["schedule", "remove", "a", "b"], /Too many arguments, expected 1 but encountered "b"/],
      [["schedule", "pause", "keep", "keep"], /Too many arguments, expected 1/],
    ];
    await expectRefused(home, cases.map(([args, names]) => refused(args, names)));
    assert.deepEqual(
      (await cliJson<Array<{ name: string }>>(home, ["schedule", "list"])).map((s) => s.name),
      ["keep"],
    );
  }));

Deno.test("a refused schedule add creates no home", () =>
  withHome(async (home) => {
    const r = await cli(home, ["schedule", "add", "x", "99 * * * *", "true"]);
    assert.equal(r.code, 2);
    assert.throws(() => Deno.statSync(home), Deno.errors.NotFound);
  }));

Deno.test("schedule remove, pause and resume say in their usage that they take one name, as they do", () =>
  withHome(async (home) => {
    for (const sub of ["remove", "pause", "resume"]) {
      const help = await cli(home, ["schedule", sub, "--help"]);
      assert.equal(help.code, 0, help.stderr);
      assert.match(
        help.stdout,
        new RegExp(`queuectl schedule ${sub} \\[--json\\] \\[--home dir\\] <name>\\n`),
      );
      assert.doesNotMatch(help.stdout, /<name>\.\.\./);
    }
  }));
