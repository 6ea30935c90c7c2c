/**
 * End-to-end: `queuectl enqueue` in every form (JSON, command string, flags, --file, stdin), the
 * job shape it prints, duplicate ids, and the global and per-command --home.
 */
import assert from "node:assert/strict";
import { cli, cliJson, cliOk, configure, dirOfHome, snapshotFiles, withHome } from "../../testkit/mod.ts";

/** The fields every job object carries, everywhere (issue 3). */
const REQUIRED_FIELDS = [
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
];

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function assertJobShape(job: Record<string, unknown>): void {
  for (const field of REQUIRED_FIELDS) {
    assert.ok(field in job, `job JSON lacks "${field}": ${JSON.stringify(job)}`);
  }
  // null: due as soon as possible (no --run-at or --delay), whatever the wall clock does
  if (job.run_at !== null) assert.match(job.run_at as string, ISO_UTC);
  assert.match(job.created_at as string, ISO_UTC);
  assert.match(job.updated_at as string, ISO_UTC);
}

Deno.test("enqueue of a JSON job prints the job with every required field and the given values", () =>
  withHome(async (home) => {
    const job = await cliJson(home, [
      "enqueue",
      JSON.stringify({
        id: "report-1",
        command: "echo report",
        max_retries: 5,
        priority: 7,
        run_at: "2031-01-31T09:00:00+01:00",
        timeout: 12,
      }),
    ]);
    assertJobShape(job);
    assert.equal(job.id, "report-1");
    assert.equal(job.command, "echo report");
    assert.equal(job.state, "pending");
    assert.equal(job.attempts, 0);
    assert.equal(job.max_retries, 5);
    assert.equal(job.priority, 7);
    assert.equal(job.run_at, "2031-01-31T08:00:00.000Z");
    assert.equal(job.timeout, 12);
    assert.equal(job.exit_code, null);
    assert.equal(job.last_error, null);
    assert.equal(job.worker, null);
    // show --json gives the same shape and values
    const shown = await cliJson(home, ["show", "report-1"]);
    assert.deepEqual(shown, job);
  }));

Deno.test("enqueue of a plain command string prints a new id and the job gets the defaults", () =>
  withHome(async (home) => {
    const r = await cli(home, ["enqueue", "echo hi"]);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^\S+$/, "prints just the id");
    assert.equal(r.stdout, `${id}\n`);
    const job = await cliJson(home, ["show", id]);
    assertJobShape(job);
    assert.equal(job.command, "echo hi");
    assert.equal(job.state, "pending");
    assert.equal(job.attempts, 0);
    assert.equal(job.max_retries, 3, "config default max-retries is 3");
    assert.equal(job.priority, 0);
    assert.equal(job.timeout, null);
    assert.equal(job.run_at, null, "runnable at once: due as soon as possible");

    const other = (await cliOk(home, ["enqueue", "echo hi"])).trim();
    assert.notEqual(other, id, "generated ids are unique");
  }));

Deno.test("enqueue flags -c, --id, --max-retries, --priority, --timeout and --run-at set the job's fields", () =>
  withHome(async (home) => {
    const job = await cliJson(home, [
      "enqueue",
      "-c",
      "backup.sh",
      "--id",
      "backup",
      "--max-retries",
      "0",
      "--priority",
      "-4",
      "--timeout",
      "1.5m",
      "--run-at",
      "2031-06-01T12:00:00Z",
    ]);
    assertJobShape(job);
    assert.equal(job.id, "backup");
    assert.equal(job.command, "backup.sh");
    assert.equal(job.max_retries, 0);
    assert.equal(job.priority, -4);
    assert.equal(job.timeout, 90);
    assert.equal(job.run_at, "2031-06-01T12:00:00.000Z");

    const long = await cliJson(home, ["enqueue", "--command", "true", "--timeout", "30"]);
    assert.equal(long.timeout, 30, "a plain number is seconds");
  }));

Deno.test("enqueue reads a --run-at or run_at without an offset in TZ, a date alone as its midnight, one with Z as UTC", () =>
  withHome(async (home) => {
    const zones = [["America/New_York", "2030-01-01T05:00:00.000Z"], [
      "Asia/Kolkata",
      "2029-12-31T18:30:00.000Z",
    ]];
    for (const [tz, midnight] of zones) {
      const env = { TZ: tz };
      for (const at of ["2030-01-01", "2030-01-01T00:00", "2030-01-01 00:00:00"]) {
        assert.equal(
          (await cliJson(home, ["enqueue", "--run-at", at, "true"], { env })).run_at,
          midnight,
          `${tz} ${at}`,
        );
        const json = JSON.stringify({ command: "true", run_at: at });
        assert.equal(
          (await cliJson(home, ["enqueue", json], { env })).run_at,
          midnight,
          `${tz} run_at ${at}`,
        );
      }
      const utc = await cliJson(home, ["enqueue", "--run-at", "2030-01-01T00:00:00Z", "true"], { env });
      assert.equal(utc.run_at, "2030-01-01T00:00:00.000Z");
    }
    // a time the clocks skip in New York (02:00 becomes 03:00), refused in one sentence, nothing written
    const before = snapshotFiles(home);
    const skipped = await cli(home, ["enqueue", "--run-at", "2030-03-10 02:30", "true"], {
      env: { TZ: "America/New_York" },
    });
    assert.equal(skipped.code, 2);
    assert.equal(
      skipped.stderr,
      'error: Invalid --run-at "2030-03-10 02:30": it is a time the local clock skips (daylight saving time); give an offset or Z\n',
    );
    assert.deepEqual(snapshotFiles(home), before);
    const fine = await cliJson(home, ["enqueue", "--run-at", "2030-03-10 02:30", "true"], {
      env: { TZ: "Asia/Kolkata" },
    });
    assert.equal(fine.run_at, "2030-03-09T21:00:00.000Z");
  }));

Deno.test("enqueue --delay schedules the job that long after now", () =>
  withHome(async (home) => {
    const job = await cliJson(home, ["enqueue", "true", "--delay", "5m"]);
    const ahead = Date.parse(job.run_at) - Date.parse(job.created_at);
    // the delay is counted from the moment the command started, a little before created_at
    assert.ok(ahead <= 300_000 && ahead > 240_000, `run_at is ${ahead} ms after created_at`);
    const hour = await cliJson(home, ["enqueue", "true", "--delay", "2h"]);
    const hourAhead = Date.parse(hour.run_at) - Date.parse(hour.created_at);
    assert.ok(hourAhead <= 7_200_000 && hourAhead > 7_140_000, `run_at is ${hourAhead} ms after created_at`);
  }));

Deno.test("enqueue merges flags into a JSON job and takes max_retries' default from the config", () =>
  withHome(async (home) => {
    await configure(home, { "max-retries": 6 });
    const job = await cliJson(home, [
      "enqueue",
      '{"command":"echo merged"}',
      "--priority",
      "4",
      "--id",
      "m1",
    ]);
    assert.equal(job.id, "m1");
    assert.equal(job.priority, 4);
    assert.equal(job.max_retries, 6, "default from config.jsonc");
    const explicit = await cliJson(home, ["enqueue", '{"command":"echo x","max_retries":0}']);
    assert.equal(explicit.max_retries, 0, "0 retries is a valid choice, not 'unset'");
  }));

Deno.test("enqueue --file PATH adds every JSON line in order, flags acting as defaults", () =>
  withHome(async (home) => {
    const file = `${dirOfHome(home)}/jobs.jsonl`;
    Deno.writeTextFileSync(
      file,
      [
        '{"id":"f1","command":"echo 1"}',
        "",
        '{"id":"f2","command":"echo 2","priority":9}',
        '  {"id":"f3","command":"echo 3"}  ',
        "",
      ].join("\n"),
    );
    const r = await cli(home, ["enqueue", "--file", file, "--priority", "2"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), ["f1", "f2", "f3"]);
    const jobs = await cliJson(home, ["list", "--oldest-first"]);
    assert.deepEqual(jobs.map((j: any) => [j.id, j.priority, j.state]), [
      ["f1", 2, "pending"],
      ["f2", 9, "pending"],
      ["f3", 2, "pending"],
    ]);
  }));

Deno.test("enqueue --file - reads the JSON lines from stdin, and --json prints the jobs", () =>
  withHome(async (home) => {
    const stdin = '{"id":"s1","command":"echo a"}\n{"command":"echo b"}\n';
    const jobs = await cliJson(home, ["enqueue", "--file", "-"], { stdin });
    assert.ok(Array.isArray(jobs));
    assert.equal(jobs.length, 2);
    jobs.forEach(assertJobShape);
    assert.equal(jobs[0].id, "s1");
    assert.equal(jobs[1].command, "echo b");
    const status = await cliJson(home, ["status"]);
    assert.equal(status.counts.pending, 2);
  }));

Deno.test("enqueue --file with one bad line enqueues nothing, exits 2 and leaves the store byte-identical", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "before", "true"]);
    const file = `${dirOfHome(home)}/jobs.jsonl`;
    Deno.writeTextFileSync(
      file,
      '{"id":"ok1","command":"echo 1"}\n{"id":"ok2","command":"echo 2"}\n{"id":"bad","comand":"typo"}\n',
    );
    const before = snapshotFiles(home);
    const r = await cli(home, ["enqueue", "--file", file]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /line 3/);
    assert.match(r.stderr, /comand/);
    assert.deepEqual(snapshotFiles(home), before);

    const viaStdin = await cli(home, ["enqueue", "--file", "-"], {
      // a line that starts with "{" is JSON (any other is a shell command)
      stdin: '{"id":"ok3","command":"echo 3"}\n{not json\n',
    });
    assert.equal(viaStdin.code, 2);
    assert.match(viaStdin.stderr, /line 2/);
    assert.deepEqual(snapshotFiles(home), before);
    const ids = (await cliJson(home, ["list"])).map((j: any) => j.id);
    assert.deepEqual(ids, ["before"]);
  }));

Deno.test("enqueue --file with a duplicate id enqueues nothing, exits 1 and leaves the store byte-identical", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "taken", "true"]);
    const before = snapshotFiles(home);
    // clashing with a job in the store
    const clash = await cli(home, ["enqueue", "--file", "-"], {
      stdin: '{"id":"new1","command":"true"}\n{"id":"taken","command":"true"}\n',
    });
    assert.equal(clash.code, 1);
    assert.equal(clash.stdout, "");
    assert.equal(clash.stderr.trim().split("\n").length, 1, clash.stderr);
    assert.match(clash.stderr, /taken/);
    assert.deepEqual(snapshotFiles(home), before);
    // twice within the batch
    const twice = await cli(home, ["enqueue", "--file", "-"], {
      stdin: '{"id":"dup","command":"true"}\n{"id":"dup","command":"false"}\n',
    });
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /dup/);
    assert.deepEqual(snapshotFiles(home), before);
    const ids = (await cliJson(home, ["list"])).map((j: any) => j.id);
    assert.deepEqual(ids, ["taken"]);
  }));

Deno.test("enqueue of a duplicate id exits 1, names the id and changes nothing", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", '{"id":"once","command":"echo first"}']);
    const before = snapshotFiles(home);
    for (
      const args of [
        ["enqueue", '{"id":"once","command":"echo second"}'],
        ["enqueue", "--id", "once", "echo second"],
      ]
    ) {
      const r = await cli(home, args);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, /"once"/);
      assert.match(r.stderr, /exists/);
      assert.deepEqual(snapshotFiles(home), before);
    }
    const job = await cliJson(home, ["show", "once"]);
    assert.equal(job.command, "echo first");
  }));

Deno.test("--home before the command and --home of the command both override QUEUECTL_HOME", () =>
  withHome((envHome) =>
    withHome((globalHome) =>
      withHome(async (commandHome) => {
        // cli() sets QUEUECTL_HOME=envHome
        await cliOk(envHome, ["--home", globalHome, "enqueue", "--id", "g1", "true"]);
        await cliOk(envHome, [`--home=${globalHome}`, "enqueue", "--id", "g2", "true"]);
        await cliOk(envHome, ["enqueue", "--id", "c1", "--home", commandHome, "true"]);
        await cliOk(envHome, ["enqueue", "--id", "e1", "true"]);

        const ids = async (args: string[]) => (await cliJson(envHome, args)).map((j: any) => j.id);
        assert.deepEqual(await ids(["list"]), ["e1"]);
        assert.deepEqual(await ids(["--home", globalHome, "list"]), ["g2", "g1"]);
        assert.deepEqual(await ids(["list", "--home", globalHome]), ["g2", "g1"]);
        assert.deepEqual(await ids(["list", "--home", commandHome]), ["c1"]);
        assert.deepEqual(await ids(["--home", commandHome, "list"]), ["c1"]);

        // read and config commands follow it too
        const shown = await cli(envHome, ["--home", globalHome, "show", "g1", "--json"]);
        assert.equal(shown.code, 0, shown.stderr);
        assert.equal((await cli(envHome, ["show", "g1"])).code, 1, "g1 is not in QUEUECTL_HOME");
        await cliOk(envHome, ["config", "set", "max-retries", "9", "--home", commandHome]);
        assert.equal(
          (await cliOk(envHome, ["--home", commandHome, "config", "get", "max-retries"])).trim(),
          "9",
        );
        assert.equal((await cliOk(envHome, ["config", "get", "max-retries"])).trim(), "3");

        // and so does worker start
        await cliOk(envHome, ["--home", globalHome, "worker", "start", "--drain"]);
        await cliOk(envHome, ["worker", "start", "--drain", "--home", commandHome]);
        const states = async (args: string[]) => (await cliJson(envHome, args)).map((j: any) => j.state);
        assert.deepEqual(await states(["list", "--home", globalHome]), ["completed", "completed"]);
        assert.deepEqual(await states(["list", "--home", commandHome]), ["completed"]);
        assert.deepEqual(await states(["list"]), ["pending"], "QUEUECTL_HOME's job was left alone");

        // a relative --home is taken from the current directory
        const rel = await cli(envHome, ["--home", "rel-home", "enqueue", "--id", "r1", "true"], {
          cwd: dirOfHome(commandHome),
        });
        assert.equal(rel.code, 0, rel.stderr);
        const relJobs = await cliJson(envHome, ["list", "--home", `${dirOfHome(commandHome)}/rel-home`]);
        assert.deepEqual(relJobs.map((j: any) => j.id), ["r1"]);
      })
    )
  ));
