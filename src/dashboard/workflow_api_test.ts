/**
 * The workflow endpoints through the handler, without a port: queues (list, pause, resume, limit),
 * schedules (list, pause, resume, remove), kill, cancel and dependencies; every refusal with its
 * status by the error's class, and every change refused cross-site before anything is written.
 */
import assert from "node:assert/strict";
import { DuplicateJobError, JobNotFoundError, JobStateError, OperationError, UsageError } from "../errors.ts";
import { ScheduleNotFoundError } from "../store/decide/schedule.ts";
import { claimFor } from "../../testkit/store.ts";
import { statusOf } from "./respond.ts";
import { body, type Harness, ORIGIN, withHarness } from "./test_harness.ts";

async function addNightly(h: Harness, paused = false): Promise<void> {
  await h.store.addSchedule({
    name: "nightly",
    cron: "0 3 * * *",
    tz: "UTC",
    paused,
    job: { command: "./backup.sh", priority: 0, timeout: null, cwd: "/", queue: "backups" },
    created_at: "2026-03-01T00:00:00.000Z",
    last_tick: null,
  });
}

Deno.test("GET /api/queues lists each queue with its limit, pause and counts; pause, resume and the limit change it", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue([
      { id: "u1", command: "true", queue: "uploads" },
      { id: "u2", command: "true", queue: "uploads" },
      { id: "d1", command: "true" },
    ], { max_retries: 0 });
    const listed = await body(await h.fetch("/api/queues"));
    assert.deepEqual(listed.queues, await h.store.queues());
    assert.deepEqual(listed.queues.map((q: { name: string }) => q.name), ["default", "uploads"]);
    assert.equal(listed.queues[1].counts.pending, 2);

    const paused = await h.send("POST", "/api/queues/uploads/pause");
    assert.equal(paused.status, 200);
    assert.deepEqual(await body(paused), { name: "uploads", concurrency: 0, paused: true });
    const limited = await h.send("POST", "/api/queues/uploads/concurrency", { concurrency: 1 });
    assert.deepEqual(await body(limited), { name: "uploads", concurrency: 1, paused: true });
    const status = await body(await h.fetch("/api/status"));
    assert.deepEqual(status.paused_queues, ["uploads"]);
    assert.deepEqual(await body(await h.send("POST", "/api/queues/uploads/resume")), {
      name: "uploads",
      concurrency: 1,
      paused: false,
    });
    // a queue no job names is listed while it has a setting other than the default, as with
    // `queue set` (store/queue_listing.ts): a limit lists it, no limit (0) lets it go
    await h.send("POST", "/api/queues/reports/concurrency", { concurrency: 2 });
    assert.deepEqual((await h.store.queues()).map((q) => q.name), ["default", "reports", "uploads"]);
    await h.send("POST", "/api/queues/reports/concurrency", { concurrency: 0 });
    assert.deepEqual((await h.store.queues()).map((q) => q.name), ["default", "uploads"]);
  });
});

Deno.test("a bad queue name or limit is answered 400 with one sentence naming it, and nothing is written", async () => {
  await withHarness(async (h) => {
    const cases: Array<[string, unknown, RegExp]> = [
      ["/api/queues/Up%20Loads/pause", undefined, /^Invalid queue name "Up Loads": use 1 to 64 lowercase/],
      [
        "/api/queues/uploads/concurrency",
        { concurrency: -1 },
        /^Invalid concurrency -1: expected a whole number/,
      ],
      ["/api/queues/uploads/concurrency", { concurrency: "2" }, /^Invalid concurrency "2": expected/],
      ["/api/queues/uploads/concurrency", { concurrency: 1.5 }, /^Invalid concurrency 1\.5/],
      [
        "/api/queues/uploads/concurrency",
        { limit: 2 },
        /^Cannot set the concurrency of queue "uploads": send/,
      ],
      ["/api/queues/uploads/concurrency", "{not json", /^Cannot set the concurrency of queue "uploads"/],
    ];
    for (const [path, payload, sentence] of cases) {
      const res = await h.send("POST", path, payload);
      assert.equal(res.status, 400, path);
      assert.match((await body(res)).error, sentence);
    }
    assert.equal(await h.store.head(), 0);
  });
});

Deno.test("GET /api/schedules lists schedules with their next run; pause, resume and remove change them", async () => {
  await withHarness(async (h) => {
    await addNightly(h);
    const [s] = (await body(await h.fetch("/api/schedules"))).schedules;
    assert.equal(s.name, "nightly");
    assert.equal(s.next_run, "2026-03-02T03:00:00.000Z", "the harness clock is 2026-03-01T12:00:30Z");
    assert.equal(s.job.queue, "backups");
    const paused = await body(await h.send("POST", "/api/schedules/nightly/pause"));
    assert.equal(paused.paused, true);
    assert.equal(paused.next_run, null);
    const resumed = await body(await h.send("POST", "/api/schedules/nightly/resume"));
    assert.equal(resumed.paused, false);
    assert.equal(resumed.next_run, "2026-03-02T03:00:00.000Z");
    assert.equal(resumed.last_tick, "2026-03-01T03:00:00.000Z", "this morning's tick counts as done");
    const removed = await h.send("DELETE", "/api/schedules/nightly");
    assert.deepEqual(await body(removed), { removed: "nightly" });
    assert.deepEqual(await h.store.schedules(), []);
    const again = await h.send("DELETE", "/api/schedules/nightly");
    assert.equal(again.status, 404);
    assert.equal((await body(again)).error, 'Cannot remove schedule "nightly": no such schedule');
    const bad = await h.send("POST", "/api/schedules/..%2Fx/pause");
    assert.equal(bad.status, 400);
    assert.match((await body(bad)).error, /^Invalid schedule name "\.\.\/x"/);
  });
});

Deno.test("kill asks for a processing job's end, cancel sends a waiting one to the DLQ; other states get 409, unknown ids 404", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue([
      { id: "busy", command: "sleep 9" },
      { id: "waiting", command: "true" },
      { id: "after-it", command: "true", after: ["waiting"] },
    ], { max_retries: 0 });
    await claimFor(h.store, "w1", 1, 600);
    const killed = await h.send("POST", "/api/jobs/busy/kill");
    assert.equal(killed.status, 200);
    const k = await body(killed);
    assert.equal(k.state, "processing", "its worker ends it");
    assert.equal(k.kill, "killed");
    assert.equal((await h.store.get("busy"))?.kill, "killed");

    const cancelled = await body(await h.send("POST", "/api/jobs/waiting/cancel"));
    assert.equal(cancelled.state, "dead");
    assert.equal(cancelled.last_error, "cancelled");
    assert.equal((await h.store.get("after-it"))?.state, "dead", "its dependent follows it to the DLQ");

    const refusals: Array<[string, number, string]> = [
      ["/api/jobs/waiting/kill", 409, 'Cannot kill job "waiting": it is dead'],
      [
        "/api/jobs/busy/cancel",
        409,
        'Cannot cancel job "busy": it is processing (use kill to stop a running job)',
      ],
      ["/api/jobs/nope/kill", 404, 'Cannot kill job "nope": no such job'],
      ["/api/jobs/nope/cancel", 404, 'Cannot cancel job "nope": no such job'],
    ];
    for (const [path, status, error] of refusals) {
      const res = await h.send("POST", path);
      assert.equal(res.status, status, path);
      assert.equal((await body(res)).error, error);
    }
    const bad = await h.send("POST", "/api/jobs/%20x/kill");
    assert.equal(bad.status, 400);
  });
});

Deno.test("GET /api/jobs/:id/dependencies names each job it waits for with its state, null once deleted", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue([
      { id: "build", command: "true" },
      { id: "test", command: "true", after: ["build"] },
      { id: "deploy", command: "true", after: ["build", "test"] },
    ], { max_retries: 0 });
    await h.store.delete(["build"]);
    const res = await body(await h.fetch("/api/jobs/deploy/dependencies"));
    assert.deepEqual(res, {
      id: "deploy",
      dependencies: [{ id: "build", state: null }, { id: "test", state: "dead" }],
    });
    assert.deepEqual((await body(await h.fetch("/api/jobs/test/dependencies"))).dependencies, [{
      id: "build",
      state: null,
    }]);
    const missing = await h.fetch("/api/jobs/nope/dependencies");
    assert.equal(missing.status, 404);
    assert.equal((await body(missing)).error, 'Cannot show job "nope": no such job');
  });
});

Deno.test("every new change is refused cross-site (403) and by GET (405) before anything is written", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue([{ id: "a", command: "true", queue: "uploads" }], { max_retries: 0 });
    await addNightly(h);
    const head = await h.store.head();
    const changes: Array<[string, string]> = [
      ["POST", "/api/queues/uploads/pause"],
      ["POST", "/api/queues/uploads/resume"],
      ["POST", "/api/queues/uploads/concurrency"],
      ["POST", "/api/schedules/nightly/pause"],
      ["POST", "/api/schedules/nightly/resume"],
      ["DELETE", "/api/schedules/nightly"],
      ["POST", "/api/jobs/a/kill"],
      ["POST", "/api/jobs/a/cancel"],
    ];
    for (const [method, path] of changes) {
      const evil = await h.fetch(path, {
        method,
        headers: { origin: "http://evil.example" },
        body: method === "POST" ? '{"concurrency":1}' : undefined,
      });
      assert.equal(evil.status, 403, path);
      await evil.body?.cancel();
      const bare = await h.fetch(path, { method, body: method === "POST" ? '{"concurrency":1}' : undefined });
      assert.equal(bare.status, 403, `${path} without an Origin`);
      await bare.body?.cancel();
      const get = await h.fetch(path);
      assert.equal(get.status, 405, `GET ${path}`);
      assert.equal(get.headers.get("allow"), method);
      await get.body?.cancel();
    }
    assert.equal(await h.store.head(), head, "nothing was written");
  });
});

Deno.test("with a token, the new changes need it too: 401 without it, done with the Bearer header", async () => {
  await withHarness(async (h) => {
    const none = await h.fetch("/api/queues/uploads/pause", { method: "POST", headers: { origin: ORIGIN } });
    assert.equal(none.status, 401);
    await none.body?.cancel();
    const ok = await h.fetch("/api/queues/uploads/pause", {
      method: "POST",
      headers: { authorization: "Bearer s3cret-token-for-tests" },
    });
    assert.equal(ok.status, 200);
    assert.equal((await h.store.queues())[0].paused, true);
  }, { token: "s3cret-token-for-tests" });
});

Deno.test("an error's status comes from its class, not its text", () => {
  const cases: Array<[Error, number]> = [
    [new UsageError("Invalid x: no such job"), 400],
    [new JobNotFoundError("show", "a"), 404],
    [new ScheduleNotFoundError("remove", "n"), 404],
    [new DuplicateJobError("a"), 409],
    [new JobStateError('Cannot kill job "a": it is dead'), 409],
    // an operational error whose text happens to end like a missing job's is still a conflict
    [new OperationError('Cannot add schedule "x": no such job'), 409],
    [new Error("boom"), 500],
  ];
  for (const [e, status] of cases) assert.equal(statusOf(e), status, `${e.constructor.name}: ${e.message}`);
});
