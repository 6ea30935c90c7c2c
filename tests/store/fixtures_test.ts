/**
 * Every on-disk format that ever shipped still opens: each home of tests/fixtures/homes/ (written
 * by the real CLI of an older commit, see its README.md) is copied to a temp home and read through
 * today's CLI. Only what a user sees is asserted: `status --json`, `list --json`, `show --json`,
 * `dlq list --json`, `logs`, `doctor`; then a new enqueue and a compaction on top of the old files
 * must work, and the old jobs must read the same afterwards.
 *
 * No worker ever runs here: the fixtures name dead workers and recorded process ids of the
 * machine that wrote them, which a rescue would try to signal.
 */
import assert from "node:assert/strict";
import { cli, cliJson, cliOk, withHome } from "../../testkit/mod.ts";

const HOMES = new URL("../fixtures/homes/", import.meta.url).pathname;

interface Fixture {
  /** directory under tests/fixtures/homes/ */
  name: string;
  /** what its files are, for the test's name */
  what: string;
  /** it holds the job argv-1 (written by a CLI that has `enqueue --argv`) */
  argv?: boolean;
}

const FIXTURES: Fixture[] = [
  {
    name: "v1-wal-be5322d",
    what: "the first release's log alone (generation 1, whole-job enqueue records, started records)",
  },
  {
    name: "v1-snapshot-66a0355",
    what: "a snapshot version 1 (no archive, no directory) and a log after it",
  },
  {
    // a version 2 snapshot without its directory, read whole (refused from ba1d0ac until 22c174d)
    name: "v2-nodir-e6b1e52",
    what:
      "a snapshot version 2 without its directory of job lines, archive segments, a tombstone, and whole-job enqueue records after it",
  },
  {
    name: "v2-8d18385",
    what:
      "a snapshot version 2 with its directory, archive segments, a tombstone, and compact enqueue records, started records and an argv job after it",
    argv: true,
  },
  {
    name: "v3-b6272c8",
    what:
      "the 0.2 engine's snapshot version 3 (job states not in its header), slot output files, claim tokens, a worker killed with its cgroups",
    argv: true,
  },
  {
    name: "v4-de64532",
    what: "a snapshot version 4 (job states in its header, no claim keys)",
    argv: true,
  },
  {
    name: "v5-f7348ae",
    what: "a snapshot version 5 (job states and the claim keys of its waiting lines in its header)",
    argv: true,
  },
];

/** What a user sees of one job; `output` is what `logs` shows between its attempt markers (null: no output yet). */
interface Expected {
  state: string;
  attempts: number;
  max_retries: number;
  priority: number;
  command: string;
  exit_code: number | null;
  last_error: string | null;
  output: string | null;
  /** attempts `logs` shows (its "attempt N of M" markers) */
  logged?: number;
}

/** The scenario of make.ts, as every fixture must show it (in enqueue order). */
const JOBS: Array<[string, Expected]> = [
  ["done-1", done("echo done one", "done one\n")],
  ["done-2", done("echo out; echo err >&2", "out\nerr\n")],
  ["batch-2", { ...done("echo batch two", "batch two\n"), priority: 3 }],
  ["fail-1", {
    state: "failed",
    attempts: 1,
    max_retries: 2,
    priority: 0,
    command: "echo failing; exit 3",
    exit_code: 3,
    last_error: "exit code 3",
    output: "failing\n",
    logged: 1,
  }],
  ["dead-1", {
    state: "dead",
    attempts: 1,
    max_retries: 0,
    priority: 0,
    command: "echo dying; exit 4",
    exit_code: 4,
    last_error: "exit code 4",
    output: "dying\n",
    logged: 1,
  }],
  ["later-1", pending("echo later", 3, 0)],
  // died once (exit 5, no output), then `dlq retry`: pending again with no attempts, its log kept
  ["dead-2", { ...pending("exit 5", 0, 0), output: "", logged: 1 }],
  ["done-4", done("echo done four", "done four\n")],
  ["fail-2", {
    state: "failed",
    attempts: 1,
    max_retries: 1,
    priority: 0,
    command: "echo nope >&2; exit 6",
    exit_code: 6,
    last_error: "exit code 6",
    output: "nope\n",
    logged: 1,
  }],
  // its worker was killed with SIGKILL while it ran: processing under a dead worker
  ["proc-1", {
    state: "processing",
    attempts: 1,
    max_retries: 3,
    priority: 0,
    command: "echo started; sleep 600",
    exit_code: null,
    last_error: null,
    output: "started\n",
    logged: 1,
  }],
  ["pend-1", pending("echo pending one", 3, 5)],
];
// its output ends without a newline: the log ends that line before the attempt's closing marker
const ARGV_JOB: [string, Expected] = ["argv-1", done("printf '%s|' 'a b' '$HOME'", "a b|$HOME|\n")];
/** deleted: batch-1 in phase 2 (archived first where archives exist), done-3 in phase 3 */
const DELETED = ["batch-1", "done-3"];

function done(command: string, output: string): Expected {
  return {
    state: "completed",
    attempts: 1,
    max_retries: 3,
    priority: 0,
    command,
    exit_code: 0,
    last_error: null,
    output,
    logged: 1,
  };
}

function pending(command: string, maxRetries: number, priority: number): Expected {
  return {
    state: "pending",
    attempts: 0,
    max_retries: maxRetries,
    priority,
    command,
    exit_code: null,
    last_error: null,
    output: null,
  };
}

/** The jobs a fixture must show, in enqueue order (argv-1 was enqueued after proc-1). */
function expectedJobs(f: Fixture): Array<[string, Expected]> {
  if (!f.argv) return JOBS;
  const at = JOBS.findIndex(([id]) => id === "proc-1");
  return [...JOBS.slice(0, at + 1), ARGV_JOB, ...JOBS.slice(at + 1)];
}

/** Copies a fixture to `home` with the modes the CLI creates (git keeps none of them). */
function copyFixture(from: string, to: string): void {
  Deno.mkdirSync(to, { mode: 0o700 });
  for (const e of Deno.readDirSync(from)) {
    if (e.isDirectory) copyFixture(`${from}/${e.name}`, `${to}/${e.name}`);
    else {
      Deno.copyFileSync(`${from}/${e.name}`, `${to}/${e.name}`);
      Deno.chmodSync(`${to}/${e.name}`, 0o600);
    }
  }
}

/** The job's own output in `logs`: every line but the attempt markers (`=== … ===`). */
function outputOf(logs: string): { output: string; attempts: number } {
  const lines = logs.split(/(?<=\n)/);
  const markers = lines.filter((l) => /^=== .* ===\n?$/.test(l));
  return {
    output: lines.filter((l) => !markers.includes(l)).join(""),
    attempts: markers.filter((l) => /^=== attempt \d+ of \d+ /.test(l)).length,
  };
}

/** Runs `fn` on every item, at most `width` at a time; rejects with the first failure. */
async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: width }, lane));
}

function counts(jobs: Array<[string, Expected]>): Record<string, number> {
  const out: Record<string, number> = { pending: 0, processing: 0, completed: 0, failed: 0, dead: 0 };
  for (const [, e] of jobs) out[e.state]++;
  return out;
}

/** Asserts that `home` shows exactly `jobs` (and none of `gone`), as every read command prints them. */
async function assertShows(home: string, jobs: Array<[string, Expected]>, gone: string[], when: string) {
  const status = await cliJson(home, ["status"]);
  assert.deepEqual(status.counts, counts(jobs), `${when}: status --json counts`);
  assert.deepEqual(status.workers, [], `${when}: no worker runs`);
  const listed = await cliJson<Array<Record<string, unknown>>>(home, [
    "list",
    "--limit",
    "0",
    "--oldest-first",
  ]);
  assert.deepEqual(listed.map((j) => j.id), jobs.map(([id]) => id), `${when}: list --json, in enqueue order`);
  for (const state of ["pending", "processing", "completed", "failed", "dead"]) {
    const some = await cliJson<Array<{ id: string }>>(home, [
      "list",
      "--state",
      state,
      "--limit",
      "0",
      "--oldest-first",
    ]);
    assert.deepEqual(
      some.map((j) => j.id),
      jobs.filter(([, e]) => e.state === state).map(([id]) => id),
      `${when}: list --state ${state} --json`,
    );
  }
  const dlq = await cliJson<Array<{ id: string }>>(home, ["dlq", "list"]);
  assert.deepEqual(dlq.map((j) => j.id), jobs.filter(([, e]) => e.state === "dead").map(([id]) => id));
  // one job's show and logs at a time would take 20 CLI calls in a row; four at a time
  await inParallel(jobs, 4, async ([id, e]) => {
    const job = await cliJson(home, ["show", id]);
    const seen = {
      state: job.state,
      attempts: job.attempts,
      max_retries: job.max_retries,
      priority: job.priority,
      command: job.command,
      exit_code: job.exit_code,
      last_error: job.last_error,
    };
    const { output: _o, logged: _l, ...want } = e;
    assert.deepEqual(seen, want, `${when}: show ${id} --json`);
    const logs = await cli(home, ["logs", id]);
    assert.equal(logs.code, 0, `${when}: logs ${id}: ${logs.stderr}`);
    if (e.output === null) {
      assert.equal(logs.stdout, "", `${when}: logs ${id} prints no output`);
    } else {
      const { output, attempts } = outputOf(logs.stdout);
      assert.equal(output, e.output, `${when}: the output of ${id}`);
      assert.equal(attempts, e.logged, `${when}: the attempts logs ${id} shows`);
    }
  });
  for (const id of gone) {
    const r = await cli(home, ["show", id, "--json"]);
    assert.equal(r.code, 1, `${when}: the deleted job ${id} is gone (show exited ${r.code})`);
    assert.match(r.stderr, /no such job/);
  }
  const doctor = await cli(home, ["doctor"]);
  assert.equal(doctor.code, 0, `${when}: doctor: ${doctor.stdout}${doctor.stderr}`);
  assert.match(doctor.stdout, /^store ok/);
}

for (const fixture of FIXTURES) {
  Deno.test(`a home written at ${fixture.name.split("-").pop()} opens with every job as it was: ${fixture.what}`, () =>
    withHome(async (home) => {
      copyFixture(`${HOMES}${fixture.name}`, home);
      const jobs = expectedJobs(fixture);
      await assertShows(home, jobs, DELETED, "as written");

      // a new job, refusals of ids that exist (live and archived), the id of a deleted job again
      assert.equal((await cliOk(home, ["enqueue", "--id", "new-1", "echo new"])).trim(), "new-1");
      for (const id of ["done-1", "fail-1"]) {
        const r = await cli(home, ["enqueue", "--id", id, "true"]);
        assert.equal(r.code, 1, `enqueue of the existing id ${id} exited ${r.code}`);
        assert.match(r.stderr, /already exists/);
      }
      assert.equal((await cliOk(home, ["enqueue", "--id", "batch-1", "echo again"])).trim(), "batch-1");
      const added: Array<[string, Expected]> = [
        ["new-1", pending("echo new", 3, 0)],
        ["batch-1", pending("echo again", 3, 0)],
      ];
      const after = [...jobs, ...added];
      await assertShows(home, after, ["done-3"], "after two enqueues");

      const compacted = await cliJson(home, ["compact"]);
      assert.equal(typeof compacted.generation, "number");
      await assertShows(home, after, ["done-3"], "after compact");
      const again = await cliJson(home, ["compact"]);
      assert.ok(again.generation > compacted.generation, "a second compaction starts a newer generation");
      await assertShows(home, after, ["done-3"], "after a second compact");
    }, { prefix: "qctl-fixture-" }));
}
