/** The shared use-cases over a real file store: what they change, what they refuse, and with which error. */
import assert from "node:assert/strict";
import { wallClock } from "../clock.ts";
import { JobNotFoundError, JobStateError, UsageError } from "../errors.ts";
import { FileStore } from "../store/file_store.ts";
import { ScheduleNotFoundError } from "../store/decide/schedule.ts";
import { homePaths } from "../store/paths.ts";
import { claimFor, withHome } from "../../testkit/mod.ts";
import { cancelJobs, deleteJobs, dependenciesOf, requestKill, retryDead } from "./jobs.ts";
import {
  changeQueue,
  checkConcurrency,
  MAX_CONCURRENCY,
  pauseQueue,
  resumeQueue,
  setConcurrency,
} from "./queues.ts";
import { listSchedules, pauseSchedule, removeSchedule } from "./schedules.ts";
import { stopWorkers } from "./workers.ts";

const NOW = new Date("2026-12-06T02:30:10.000Z");

async function withStore(fn: (store: FileStore, home: string) => Promise<void>): Promise<void> {
  await withHome(async (home) => {
    const store = new FileStore(home, { clock: wallClock(() => NOW) });
    try {
      await fn(store, home);
    } finally {
      store.close();
    }
  }, { prefix: "qctl-usecases-" });
}

Deno.test("cancel sends a pending job and the job waiting for it to the DLQ; kill is refused for it", async () => {
  await withStore(async (store) => {
    await store.enqueue([{ id: "build", command: "true" }, {
      id: "deploy",
      command: "true",
      after: ["build"],
    }], {
      max_retries: 0,
    });
    assert.deepEqual(await dependenciesOf(store, (await store.get("deploy"))!), [{
      id: "build",
      state: "pending",
    }]);
    await assert.rejects(requestKill(store, ["build"]), JobStateError);
    const { jobs: [cancelled] } = await cancelJobs(store, ["build"]);
    assert.equal(cancelled.state, "dead");
    assert.equal(cancelled.last_error, "cancelled");
    assert.equal((await store.get("deploy"))?.state, "dead");
    assert.deepEqual(await dependenciesOf(store, (await store.get("deploy"))!), [{
      id: "build",
      state: "dead",
    }]);
    await assert.rejects(cancelJobs(store, ["nope"]), JobNotFoundError);
  });
});

Deno.test("kill records the request on a processing job; retry brings dead jobs back; delete takes them away", async () => {
  await withStore(async (store, home) => {
    await store.enqueue([{ id: "run", command: "sleep 9" }, { id: "gone", command: "true" }], {
      max_retries: 0,
    });
    const [claimed] = await claimFor(store, "w1", 1);
    assert.equal(claimed.id, "run");
    const [asked] = await requestKill(store, ["run"]);
    assert.equal(asked.state, "processing");
    assert.equal(asked.kill, "killed");
    await cancelJobs(store, ["gone"]);
    assert.deepEqual((await retryDead(store, "all")).map((j) => j.id), ["gone"]);
    await assert.rejects(deleteJobs({ store, paths: homePaths(home) }, ["run"]), JobStateError);
    assert.deepEqual((await deleteJobs({ store, paths: homePaths(home) }, ["gone"])).jobs.map((j) => j.id), [
      "gone",
    ]);
    assert.equal(await store.get("gone"), undefined);
    // a job deleted is a dependency no longer there
    assert.deepEqual(await dependenciesOf(store, { ...asked, after: ["gone"] }), [{
      id: "gone",
      state: null,
    }]);
  });
});

Deno.test("queue changes apply one setting and keep the other; bad names and limits are refused before any write", async () => {
  await withStore(async (store) => {
    assert.deepEqual(await setConcurrency(store, "uploads", 2), {
      name: "uploads",
      concurrency: 2,
      paused: false,
    });
    assert.deepEqual(await pauseQueue(store, "uploads"), { name: "uploads", concurrency: 2, paused: true });
    assert.deepEqual(await resumeQueue(store, "uploads"), { name: "uploads", concurrency: 2, paused: false });
    const head = await store.head();
    await assert.rejects(changeQueue(store, "Bad Name", { paused: true }), UsageError);
    await assert.rejects(
      setConcurrency(store, "uploads", -1),
      /^UsageError: Invalid concurrency -1: expected/,
    );
    await assert.rejects(setConcurrency(store, "uploads", 1.5), UsageError);
    await assert.rejects(setConcurrency(store, "uploads", MAX_CONCURRENCY + 1), UsageError);
    assert.throws(() => checkConcurrency("2"), /Invalid concurrency "2": expected a whole number from 0 to/);
    assert.equal(await store.head(), head, "nothing written");
    const [q] = await store.queues();
    assert.deepEqual([q.name, q.concurrency, q.paused], ["uploads", 2, false]);
  });
});

Deno.test("a schedule resumed skips the ticks missed while paused; list shows the next run; remove keeps its jobs", async () => {
  await withStore(async (store) => {
    await store.addSchedule({
      name: "nightly",
      cron: "0 * * * *",
      tz: "UTC",
      paused: false,
      job: { command: "true", priority: 0, timeout: null, cwd: "/" },
      created_at: "2026-12-06T00:00:00.000Z",
      last_tick: "2026-12-06T00:00:00.000Z",
    });
    const [listed] = await listSchedules(store, NOW);
    assert.equal(listed.next_run, "2026-12-06T03:00:00.000Z");
    const paused = await pauseSchedule(store, "nightly", true, NOW);
    assert.equal(paused.paused, true);
    assert.equal(paused.next_run, null);
    const resumed = await pauseSchedule(store, "nightly", false, NOW);
    assert.equal(resumed.last_tick, "2026-12-06T02:00:00.000Z", "the ticks of 01:00 and 02:00 are skipped");
    assert.equal(resumed.next_run, "2026-12-06T03:00:00.000Z");
    await assert.rejects(pauseSchedule(store, "x/y", true, NOW), UsageError);
    assert.equal((await removeSchedule(store, "nightly")).name, "nightly");
    await assert.rejects(removeSchedule(store, "nightly"), ScheduleNotFoundError);
  });
});

Deno.test("stopping workers writes a stop request only when a worker runs", async () => {
  await withStore(async (store) => {
    assert.equal(await stopWorkers(store, []), 0);
    assert.equal(await store.head(), 0, "nothing written with no worker");
    assert.equal(await stopWorkers(store, [{ id: "w1" }]), 1);
    assert.ok(await store.stopSeq() > 0);
  });
});
