/**
 * End-to-end: queues through the real CLI and several workers: `queue list|set|pause|resume`,
 * a concurrency limit never exceeded across workers, a paused queue's jobs left waiting (and
 * shown as paused by status and list) while running ones finish, `worker start --queue`, and
 * `list --queue`.
 */
import assert from "node:assert/strict";
import {
  cli,
  cliJson,
  cliOk,
  dirOfHome,
  exists,
  readLines,
  startWorkers,
  stopAll,
  untilState,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";

/** The most lines "S" without their "E" at any point of a ledger of `S <id>` / `E <id>` lines. */
function maxOverlap(lines: string[]): number {
  let open = 0;
  let most = 0;
  for (const line of lines) {
    open += line.startsWith("S ") ? 1 : -1;
    most = Math.max(most, open);
  }
  return most;
}

Deno.test("queue set, pause and resume change a queue's settings; queue list shows each queue with its counts per state", () =>
  withHome(async (home) => {
    assert.equal(
      await cliOk(home, ["queue", "list"]),
      "no queues: a queue is listed while a job names it (in any state, archived ones too) or it has a concurrency limit or is paused\n",
    );
    assert.deepEqual(await cliJson(home, ["queue", "list"]), []);
    assert.equal(
      await cliOk(home, ["queue", "set", "uploads", "--concurrency", "2"]),
      "queue uploads: at most 2 job(s) at once, running\n",
    );
    assert.deepEqual(await cliJson(home, ["queue", "pause", "uploads"]), {
      name: "uploads",
      concurrency: 2,
      paused: true,
    });
    await cliOk(home, ["enqueue", "--id", "u1", "--queue", "uploads", "true"]);
    await cliOk(home, ["enqueue", "--id", "d1", "true"]);
    const counts = { pending: 0, processing: 0, completed: 0, failed: 0, dead: 0 };
    assert.deepEqual(await cliJson(home, ["queue", "list"]), [
      { name: "default", concurrency: 0, paused: false, counts: { ...counts, pending: 1 } },
      { name: "uploads", concurrency: 2, paused: true, counts: { ...counts, pending: 1 } },
    ]);
    const table = await cliOk(home, ["queue", "list"]);
    assert.match(table, /^QUEUE\s+CONCURRENCY\s+STATE\s+PENDING\s+PROCESSING\s+COMPLETED\s+FAILED\s+DEAD$/m);
    assert.match(table, /^default\s+no limit\s+running\s+1\s+0\s+0\s+0\s+0$/m);
    assert.match(table, /^uploads\s+2\s+paused\s+1\s+0\s+0\s+0\s+0$/m);
    assert.equal(
      await cliOk(home, ["queue", "resume", "uploads"]),
      "queue uploads: at most 2 job(s) at once, running\n",
    );
    assert.equal(
      await cliOk(home, ["queue", "set", "uploads", "--concurrency", "0"]),
      "queue uploads: no concurrency limit, running\n",
    );
    // a setting alone makes a queue
    const paused = await cli(home, ["queue", "pause", "empty"]);
    assert.equal(paused.code, 0, paused.stderr);
    assert.equal(
      paused.stdout,
      "queue empty: no concurrency limit, paused: no job of it starts until `queuectl queue resume empty`; running ones finish\n",
    );
    assert.deepEqual((await cliJson(home, ["queue", "list"])).map((q: { name: string }) => q.name), [
      "default",
      "empty",
      "uploads",
    ]);
  }));

Deno.test("a queue named by mistake is listed only while it is set, with a hint that no job names it, and goes with the defaults", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "a", "--queue", "real", "true"]);
    const hint = (undo: string) => `hint: no job names queue "nosuchq" yet (a typo? undo it with: ${undo})\n`;
    const paused = await cli(home, ["queue", "pause", "nosuchq"]);
    assert.equal(paused.code, 0, paused.stderr);
    assert.equal(paused.stderr, hint("queuectl queue resume nosuchq"));
    const limited = await cli(home, ["queue", "set", "nosuchq", "--concurrency", "2"]);
    assert.equal(limited.code, 0, limited.stderr);
    assert.equal(
      limited.stderr,
      hint("queuectl queue resume nosuchq and queuectl queue set nosuchq --concurrency 0"),
    );
    const names = async () => (await cliJson(home, ["queue", "list"])).map((q: { name: string }) => q.name);
    assert.deepEqual(await names(), ["nosuchq", "real"]);
    // --json prints no hint; a queue a job names gets none
    assert.equal((await cli(home, ["queue", "pause", "nosuchq", "--json"])).stderr, "");
    assert.equal((await cli(home, ["queue", "pause", "real"])).stderr, "");
    // back to the defaults: the typo is gone, the real queue stays while its job does
    const resumed = await cli(home, ["queue", "resume", "nosuchq"]);
    assert.equal(resumed.stderr, hint("queuectl queue set nosuchq --concurrency 0"));
    assert.deepEqual(await names(), ["nosuchq", "real"], "its limit is still set");
    assert.equal((await cli(home, ["queue", "set", "nosuchq", "--concurrency", "0"])).stderr, "");
    assert.deepEqual(await names(), ["real"]);
    await cliOk(home, ["queue", "resume", "real"]);
    assert.deepEqual(await names(), ["real"]);
    await cliOk(home, ["delete", "a"]);
    assert.deepEqual(await names(), []);
  }));

Deno.test("a queue's concurrency limit holds across several workers racing, while other queues use every slot", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    await cliOk(home, ["queue", "set", "uploads", "--concurrency", "2"]);
    await cliOk(home, ["queue", "pause", "uploads"]);
    await cliOk(home, ["queue", "pause", "builds"]);
    const ids: string[] = [];
    for (const [queue, n] of [["uploads", 12], ["builds", 6]] as const) {
      for (let i = 0; i < n; i++) {
        const id = `${queue}-${i}`;
        ids.push(id);
        const ledger = `${dir}/${queue}.ledger`;
        await cliOk(home, [
          "enqueue",
          "--id",
          id,
          "--queue",
          queue,
          `echo "S ${id}" >> ${ledger}; sleep 0.3; echo "E ${id}" >> ${ledger}`,
        ]);
      }
    }
    const workers = await startWorkers(home, 3, 3);
    try {
      // both queues resume at once: 9 slots race for them
      await cliOk(home, ["queue", "resume", "uploads"]);
      await cliOk(home, ["queue", "resume", "builds"]);
      const waited = await cli(home, ["wait", ...ids, "--timeout", "180s"]);
      assert.equal(waited.code, 0, waited.stdout + waited.stderr);
    } finally {
      await stopAll(workers);
    }
    const uploads = readLines(`${dir}/uploads.ledger`);
    assert.equal(uploads.length, 24);
    assert.ok(maxOverlap(uploads) <= 2, `uploads ran ${maxOverlap(uploads)} at once:\n${uploads.join("\n")}`);
    assert.equal(readLines(`${dir}/builds.ledger`).length, 12);
  }));

Deno.test("a paused queue's jobs wait while others run, status and list say it is paused, and resume starts them", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    await cliOk(home, ["enqueue", "--id", "running", "--queue", "deploys", `touch ${dir}/started; sleep 2`]);
    const workers = await startWorkers(home, 2, 2);
    try {
      await waitFor(() => exists(`${dir}/started`), "the deploy to start", 60_000);
      await cliOk(home, ["queue", "pause", "deploys"]);
      await cliOk(home, ["enqueue", "--id", "held", "--queue", "deploys", "true"]);
      await cliOk(home, ["enqueue", "--id", "other", "true"]);
      // a running job of a paused queue finishes; a job of another queue runs
      await untilState(home, "running", "completed", 60_000);
      await untilState(home, "other", "completed", 60_000);
      assert.equal((await cliJson(home, ["show", "held"])).state, "pending");

      const status = await cliJson(home, ["status"]);
      assert.deepEqual(status.paused_queues, ["deploys"]);
      assert.match(
        await cliOk(home, ["status"]),
        /^paused queue\(s\): deploys \(1 waiting\); `queuectl queue resume NAME` starts them again$/m,
      );
      const list = await cliOk(home, ["list"]);
      assert.match(list, /^ID\s+STATE\s+QUEUE\s+TRIES/m);
      assert.match(list, /^held\s+pending\s+deploys \(paused\)\s/m);
      assert.match(list, /^other\s+completed\s+default\s/m);
      assert.match(list, /^paused queue\(s\): deploys \(1 waiting\)/m);
      assert.deepEqual(
        (await cliJson(home, ["list", "--queue", "deploys", "--oldest-first"])).map((j: { id: string }) =>
          j.id
        ),
        [
          "running",
          "held",
        ],
      );
      assert.match(await cliOk(home, ["list", "--queue", "nothing"]), /^no jobs in queue nothing$/m);

      // wait says why nothing happens, then resume lets it run
      const waiting = cli(home, ["wait", "held", "--timeout", "120s"]);
      await cliOk(home, ["queue", "resume", "deploys"]);
      const waited = await waiting;
      assert.equal(waited.code, 0, waited.stderr);
      assert.equal(waited.stdout, "held completed\n");
    } finally {
      await stopAll(workers);
    }
  }));

Deno.test("worker start --queue claims only the jobs of those queues; worker list shows them", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "mail", "--queue", "emails", "true"]);
    await cliOk(home, ["enqueue", "--id", "pic", "--queue", "uploads", "true"]);
    await cliOk(home, ["enqueue", "--id", "plain", "true"]);
    const run = await cli(home, ["worker", "start", "--drain", "--queue", "emails,default"]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /started with 1 slot\(s\), .*queues emails,default/);
    assert.equal((await cliJson(home, ["show", "mail"])).state, "completed");
    assert.equal((await cliJson(home, ["show", "plain"])).state, "completed");
    assert.equal((await cliJson(home, ["show", "pic"])).state, "pending", "not a queue it serves");

    const workers = await startWorkers(home, 1, 1, ["--queue", "uploads", "--queue", "other"]);
    try {
      await untilState(home, "pic", "completed", 60_000);
      const listed = await cliJson(home, ["worker", "list"]);
      assert.deepEqual(listed.map((w: { queues?: string[] }) => w.queues), [["uploads", "other"]]);
      assert.match(await cliOk(home, ["worker", "list"]), /^w-\S+ \[uploads,other\]\s/m);
    } finally {
      await stopAll(workers);
    }
  }));
