/**
 * End-to-end: `kill`, `cancel` and `wait` through the real CLI with several workers: a kill ends
 * a running job's whole process tree (SIGTERM, then SIGKILL after the grace period) and the job
 * ends dead "killed" with its dependents, which it names; a kill whose worker is gone is taken back by the next
 * worker's rescuer; cancel sends waiting jobs to the DLQ; wait reports how jobs ended, or which
 * are still waiting at its timeout. Every refusal names the job's state.
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
  processAlive,
  snapshotFiles,
  startWorkers,
  stopAll,
  stopBackground,
  untilState,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";

/** A log file's lines as `snapshotFiles` holds them (bytes joined by commas), but its renew records. */
function withoutRenewals(bytes: string | undefined): string[] {
  if (bytes === undefined) return [];
  const text = new TextDecoder().decode(Uint8Array.from(bytes.split(",").map(Number)));
  return text.split("\n").filter((line) => !line.includes('"type":"renew"'));
}

function pidIn(path: string): number {
  return Number(Deno.readTextFileSync(path).trim());
}

Deno.test('kill ends running jobs and what they started, on busy workers: dead "killed" without a retry, dependents to the DLQ', () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    // two workers of one slot each, both busy: a kill request must still reach them
    const workers = await startWorkers(home, 2, 1);
    try {
      await cliOk(home, [
        "enqueue",
        "--id",
        "victim",
        `sleep 300 & echo $! > ${dir}/child.pid; touch ${dir}/victim.started; wait`,
      ]);
      // ignores SIGTERM (and so does its sleep): only the SIGKILL after the grace period ends it
      await cliOk(home, [
        "enqueue",
        "--id",
        "stubborn",
        `trap '' TERM; echo $$ > ${dir}/stubborn.pid; touch ${dir}/stubborn.started; sleep 300`,
      ]);
      await cliOk(home, ["enqueue", "--id", "dependent", "--after", "victim", "true"]);
      await cliOk(home, ["enqueue", "--id", "second", "--after", "dependent", "true"]);
      await waitFor(
        () => exists(`${dir}/victim.started`) && exists(`${dir}/stubborn.started`),
        "both jobs to start",
        60_000,
      );
      const child = pidIn(`${dir}/child.pid`);
      const stubborn = pidIn(`${dir}/stubborn.pid`);

      const r = await cli(home, ["kill", "victim", "stubborn"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, "");
      const lines = r.stdout.trim().split("\n");
      // the kills in the order they ended, then the jobs that went with them, named
      assert.deepEqual(lines.slice(0, 2).sort(), [
        "killed stubborn: it is dead (killed), in the DLQ",
        "killed victim: it is dead (killed), in the DLQ",
      ]);
      assert.deepEqual(lines.slice(2), [
        'sent dependent to the DLQ: its dependency "victim" is dead',
        'sent second to the DLQ: its dependency "dependent" is dead',
      ]);
      for (const id of ["victim", "stubborn"]) {
        const job = await cliJson(home, ["show", id]);
        assert.deepEqual([job.state, job.last_error, job.attempts], ["dead", "killed", 1], id);
      }
      const dependent = await cliJson(home, ["show", "dependent"]);
      assert.deepEqual([dependent.state, dependent.last_error], ["dead", 'dependency "victim" is dead']);
      const second = await cliJson(home, ["show", "second"]);
      assert.deepEqual([second.state, second.last_error], ["dead", 'dependency "dependent" is dead']);
      await waitFor(
        () => !processAlive(child) && !processAlive(stubborn),
        "the killed processes to be gone",
        10_000,
      );

      // the workers go on
      const after = await cli(home, ["enqueue", "--wait", "echo still working"]);
      assert.equal(after.code, 0, after.stderr);
    } finally {
      await stopAll(workers);
    }
  }));

Deno.test("kill --json prints the jobs as they ended, then the jobs that went to the DLQ with them; a job that exits 0 on SIGTERM is completed, and said to be", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    const workers = await startWorkers(home, 2, 2);
    try {
      await cliOk(home, ["enqueue", "--id", "k", `touch ${dir}/k.started; sleep 300`]);
      await cliOk(home, ["enqueue", "--id", "k-after", "--after", "k", "true"]);
      await cliOk(home, [
        "enqueue",
        "--id",
        "polite",
        `trap 'exit 0' TERM; touch ${dir}/p.started; sleep 300 & wait`,
      ]);
      await waitFor(
        () => exists(`${dir}/k.started`) && exists(`${dir}/p.started`),
        "the jobs to start",
        60_000,
      );
      const r = await cli(home, ["kill", "k", "--json"]);
      assert.equal(r.code, 0, r.stderr);
      const [job, after, ...more] = JSON.parse(r.stdout);
      assert.deepEqual([job.id, job.state, job.last_error], ["k", "dead", "killed"]);
      // then the job that waited for it, as it is now
      assert.deepEqual([after.id, after.state, after.last_error], [
        "k-after",
        "dead",
        'dependency "k" is dead',
      ]);
      assert.deepEqual(more, []);
      const polite = await cli(home, ["kill", "polite"]);
      assert.equal(polite.code, 0, polite.stderr);
      assert.equal(polite.stdout, "polite completed (exit code 0) before the kill ended it\n");
      assert.equal((await cliJson(home, ["show", "polite"])).state, "completed");
    } finally {
      await stopAll(workers);
    }
  }));

Deno.test("kill and cancel refuse jobs in other states naming the state (exit 1), all or nothing", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    await cliOk(home, ["enqueue", "--id", "done", "true"]);
    await cliOk(home, ["enqueue", "--id", "gone", "--max-retries", "0", "exit 1"]);
    await cliOk(home, ["worker", "start", "--drain"]);
    await cliOk(home, ["enqueue", "--id", "waits", "true"]);
    await cliOk(home, ["enqueue", "--id", "runs", "--queue", "slow", `touch ${dir}/runs.started; sleep 300`]);
    await cliOk(home, ["queue", "pause", "default"]);
    const workers = await startWorkers(home, 1, 1);
    try {
      await waitFor(() => exists(`${dir}/runs.started`), "the job to start", 60_000);
      const cases: Array<[string[], string]> = [
        [["kill", "waits"], 'Cannot kill job "waits": it is pending (use cancel for a job that waits)'],
        [["kill", "done"], 'Cannot kill job "done": it is completed'],
        [["kill", "runs", "gone"], 'Cannot kill job "gone": it is dead'],
        [["kill", "nope"], 'Cannot kill job "nope": no such job'],
        [["cancel", "runs"], 'Cannot cancel job "runs": it is processing (use kill to stop a running job)'],
        [["cancel", "waits", "done"], 'Cannot cancel job "done": it is completed'],
        [["cancel", "gone"], 'Cannot cancel job "gone": it is dead'],
        [["cancel", "nope"], 'Cannot cancel job "nope": no such job'],
        [["wait", "done", "nope"], 'Cannot wait for job "nope": no such job'],
      ];
      for (const [args, message] of cases) {
        const before = snapshotFiles(home);
        const r = await cli(home, args);
        assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
        assert.equal(r.stdout, "");
        assert.equal(r.stderr, `error: ${message}\n`);
        const after = snapshotFiles(home);
        // a worker's heartbeat, its job's output and its lease renewals (renew records, whenever
        // its timer fires) change on their own; the store must not
        for (const [name, bytes] of before) {
          if (/^(wal|snapshot)/.test(name)) {
            assert.deepEqual(withoutRenewals(after.get(name)), withoutRenewals(bytes), name);
          }
        }
      }
      assert.equal((await cliJson(home, ["show", "waits"])).state, "pending");
      assert.equal((await cliJson(home, ["show", "runs"])).state, "processing");
      await cliOk(home, ["kill", "runs"]);
    } finally {
      await stopAll(workers);
    }
  }));

Deno.test("cancel sends pending and failed jobs to the DLQ as cancelled, with the jobs that wait for them", () =>
  withHome(async (home) => {
    await configure(home, { "backoff-base": 1000, "backoff-max": 3600 });
    await cliOk(home, ["enqueue", "--id", "flaky", "--max-retries", "3", "exit 1"]);
    const workers = await startWorkers(home, 1, 1);
    try {
      await untilState(home, "flaky", "failed", 60_000);
    } finally {
      await stopAll(workers);
    }
    await cliOk(home, ["enqueue", "--id", "p", "true"]);
    await cliOk(home, ["enqueue", "--id", "d1", "--after", "p", "true"]);
    await cliOk(home, ["enqueue", "--id", "d2", "--after", "d1", "true"]);
    await cliOk(home, ["enqueue", "--id", "other", "true"]);
    assert.equal(
      await cliOk(home, ["cancel", "p", "flaky"]),
      "cancelled p: it is dead (cancelled), in the DLQ\ncancelled flaky: it is dead (cancelled), in the DLQ\n" +
        // the dependents it sent with them, one line each (it said nothing of them)
        'cancelled d1: its dependency "p" was cancelled, in the DLQ\n' +
        'cancelled d2: its dependency "d1" is dead, in the DLQ\n',
    );
    const show = async (id: string) => {
      const j = await cliJson(home, ["show", id]);
      return [j.state, j.last_error];
    };
    assert.deepEqual(await show("p"), ["dead", "cancelled"]);
    assert.deepEqual(await show("flaky"), ["dead", "cancelled"]);
    assert.deepEqual(await show("d1"), ["dead", 'dependency "p" was cancelled']);
    assert.deepEqual(await show("d2"), ["dead", 'dependency "d1" is dead']);
    assert.deepEqual(await show("other"), ["pending", null]);
    await cliOk(home, ["enqueue", "--id", "o2", "--after", "other", "true"]);
    const json = await cliJson(home, ["cancel", "other"]);
    assert.deepEqual(
      json.map((j: { id: string; state: string; last_error: string }) => [j.id, j.state, j.last_error]),
      [
        ["other", "dead", "cancelled"],
        ["o2", "dead", 'dependency "other" was cancelled'],
      ],
    );
    assert.equal((await cliJson(home, ["status"])).counts.dead, 6);
  }));

Deno.test("delete names the waiting jobs it sent to the DLQ with the ones it deleted", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "p", "true"]);
    await cliOk(home, ["enqueue", "--id", "d1", "--after", "p", "true"]);
    await cliOk(home, ["enqueue", "--id", "d2", "--after", "d1", "true"]);
    await cliOk(home, ["enqueue", "--id", "q", "true"]);
    assert.equal(
      await cliOk(home, ["delete", "p", "q"]),
      // it said "deleted 2 job(s)" only
      'deleted 2 job(s)\nsent d1 to the DLQ: its dependency "p" was deleted\n' +
        'sent d2 to the DLQ: its dependency "d1" is dead\n',
    );
    assert.deepEqual((await cliJson(home, ["show", "d2"])).last_error, 'dependency "d1" is dead');
    await cliOk(home, ["enqueue", "--id", "r", "true"]);
    await cliOk(home, ["enqueue", "--id", "r1", "--after", "r", "true"]);
    assert.deepEqual(await cliJson(home, ["delete", "r"]), ["r"], "--json: the ids deleted, as before");
    assert.equal((await cliJson(home, ["show", "r1"])).state, "dead");
  }));

Deno.test("wait exits 0 when every job completed, and 1 naming the dead ones or those still waiting at the timeout", () =>
  withHome(async (home) => {
    await cliOk(home, ["queue", "pause", "held"]);
    await cliOk(home, ["enqueue", "--id", "ok1", "echo one"]);
    await cliOk(home, ["enqueue", "--id", "ok2", "echo two"]);
    await cliOk(home, ["enqueue", "--id", "bad", "--max-retries", "0", "exit 2"]);
    await cliOk(home, ["enqueue", "--id", "slow", "--queue", "held", "true"]);
    // started before any worker: it wakes on the store's changes once workers run the jobs
    const early = cli(home, ["wait", "ok1", "ok2"]);
    await waitFor(async () => (await cliJson(home, ["status"])).counts.pending === 4, "the jobs", 10_000);
    const workers = await startWorkers(home, 2, 2);
    try {
      const ok = await early;
      assert.equal(ok.code, 0, ok.stderr);
      assert.deepEqual(ok.stdout.trim().split("\n").sort(), ["ok1 completed", "ok2 completed"]);

      const dead = await cli(home, ["wait", "ok1", "bad"]);
      assert.equal(dead.code, 1);
      assert.match(dead.stdout, /^bad dead \(exit code 2\)$/m);
      assert.equal(dead.stderr, "error: Not every job completed: 1 of 2 ended dead: bad (exit code 2)\n");

      const late = await cli(home, ["wait", "ok2", "slow", "--timeout", "1s"]);
      assert.equal(late.code, 1);
      assert.equal(late.stdout, "ok2 completed\n");
      assert.match(
        late.stderr,
        /^note: queue held is paused: its jobs wait until `queuectl queue resume held`$/m,
      );
      assert.match(
        late.stderr,
        /^error: Not every job completed: timed out after 1s with 1 still waiting: slow \(pending\)$/m,
      );

      const json = await cli(home, ["wait", "bad", "ok1", "--json"]);
      assert.equal(json.code, 1);
      assert.deepEqual(JSON.parse(json.stdout).map((j: { id: string; state: string }) => [j.id, j.state]), [
        ["bad", "dead"],
        ["ok1", "completed"],
      ]);
    } finally {
      await stopAll(workers);
    }
  }));

Deno.test('kill of a job whose worker is gone is recorded; the next worker\'s rescuer ends the job dead "killed"', () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    const [worker] = await startWorkers(home, 1, 1);
    let second: Background[] = [];
    try {
      await cliOk(home, [
        "enqueue",
        "--id",
        "orphan",
        `echo $$ > ${dir}/job.pid; touch ${dir}/started; exec sleep 300`,
      ]);
      await waitFor(() => exists(`${dir}/started`), "the job to start", 60_000);
      worker.signal("SIGKILL");
      await worker.exited();
      const r = await cli(home, ["kill", "orphan"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "");
      assert.match(
        r.stderr,
        /^note: worker w-\S+, which ran orphan, is gone: the kill is recorded, and a running worker's rescuer \(or the next worker started\) takes the job back, killing what is left of it; it then ends dead \("killed"\)\n$/,
      );
      assert.match(await cliOk(home, ["show", "orphan"]), /^state\s+processing \(kill requested: killed\)$/m);
      second = await startWorkers(home, 1, 1);
      await untilState(home, "orphan", "dead", 60_000);
      const job = await cliJson(home, ["show", "orphan"]);
      assert.equal(job.last_error, "killed");
      await waitFor(() => !processAlive(pidIn(`${dir}/job.pid`)), "the orphaned job to be killed", 10_000);
    } finally {
      await stopBackground(worker);
      await stopAll(second);
    }
  }));
