/**
 * The Store conformance suite: what every Store (the file store now, PostgreSQL later) must do,
 * through the Store interface only, on a clock the test moves. `storeConformance(name, make)` runs
 * it against one implementation.
 */
import assert from "node:assert/strict";
import type { BackoffConfig } from "../../src/backoff.ts";
import type { Clock } from "../../src/clock.ts";
import {
  DependencyNotFoundError,
  DuplicateJobError,
  JobNotFoundError,
  JobStateError,
  OperationError,
  UsageError,
} from "../../src/errors.ts";
import { idProblem } from "../../src/ids.ts";
import type { Job, Outcome } from "../../src/job.ts";
import type { ClaimRequest, JobSpec, Schedule, Store } from "../../src/store/mod.ts";
import { ManualClock, T0 } from "../../testkit/clock.ts";

export { ManualClock, T0 };

const CONFIG: BackoffConfig = { backoff_base: 2, backoff_max: 100 };
const DEFAULTS = { max_retries: 3 };
const S = 1000;
const at = (ms: number) => new Date(T0 + ms).toISOString();

interface Ctx {
  store: Store;
  clock: ManualClock;
}

function spec(id: string, extra: Partial<JobSpec> = {}): JobSpec {
  return { id, command: `echo ${id}`, ...extra };
}

function ids(jobs: Job[]): string[] {
  return jobs.map((j) => j.id);
}

async function enqueue(store: Store, specs: JobSpec[]): Promise<Job[]> {
  return (await store.enqueue(specs, DEFAULTS)).map((r) => r.job);
}

function claimOf(worker: string, slots: number, extra: Partial<ClaimRequest> = {}): ClaimRequest {
  return {
    worker,
    slots: Array.from(
      { length: slots },
      (_, i) => ({ sid: [1000 + i, 5], out: [`${worker}-${i}.out`, 10 * i] }),
    ),
    leaseSeconds: 30,
    ...extra,
  };
}

async function claim(
  store: Store,
  worker: string,
  slots: number,
  extra: Partial<ClaimRequest> = {},
): Promise<Job[]> {
  return await store.claim(claimOf(worker, slots, extra));
}

async function end(
  store: Store,
  worker: string | null,
  job: Job,
  outcome: Outcome,
  tail: string | null = null,
) {
  return await store.finish({
    worker,
    id: job.id,
    claim: job.claim,
    outcome,
    tail,
    out_end: 99,
    config: CONFIG,
  });
}

function rejectsAs(type: new (...a: never[]) => Error, pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof type, `a ${type.name} expected, got ${e}`);
    assert.match((e as Error).message, pattern);
    return true;
  };
}

const ok: Outcome = { kind: "exited", code: 0 };
const exit = (code: number): Outcome => ({ kind: "exited", code });
const zero = { pending: 0, processing: 0, completed: 0, failed: 0, dead: 0 };

export function storeConformance(name: string, makeStore: (clock: Clock) => Store): void {
  const test = (title: string, fn: (ctx: Ctx) => Promise<void>) =>
    Deno.test(`${name}: ${title}`, async () => {
      const clock = new ManualClock();
      const store = makeStore(clock);
      try {
        await fn({ store, clock });
      } finally {
        store.close();
      }
    });

  // ---- enqueue and reads

  test("enqueue returns the jobs as stored, and get, list and counts agree", async ({ store }) => {
    const [a, b] = await enqueue(store, [
      spec("a"),
      spec("b", { priority: 5, max_retries: 1, timeout: 10, cwd: "/tmp", run_at: at(60 * S), queue: "q1" }),
    ]);
    assert.deepEqual(
      { ...a, seq: 0 },
      {
        id: "a",
        command: "echo a",
        queue: "default",
        state: "pending",
        attempts: 0,
        max_retries: 3,
        priority: 0,
        run_at: null,
        timeout: null,
        cwd: null,
        created_at: at(0),
        updated_at: at(0),
        exit_code: null,
        last_error: null,
        worker: null,
        claim: null,
        lease_until: null,
        pid: null,
        pid_start: null,
        started_at: null,
        finished_at: null,
        output_tail: null,
        seq: 0,
      },
    );
    assert.equal(b.priority, 5);
    assert.equal(b.max_retries, 1);
    assert.equal(b.timeout, 10);
    assert.equal(b.cwd, "/tmp");
    assert.equal(b.run_at, at(60 * S));
    assert.equal(b.queue, "q1");
    assert.ok(a.seq < b.seq, "enqueue order follows the batch");
    assert.deepEqual(await store.get("a"), a);
    assert.deepEqual(await store.get("b"), b);
    assert.equal(await store.get("nope"), undefined);
    assert.deepEqual(await store.list(), [a, b]);
    assert.deepEqual(await store.list({ order: "desc" }), [b, a]);
    assert.deepEqual(await store.list({ state: "pending" }), [a, b]);
    assert.deepEqual(await store.list({ queue: "q1" }), [b]);
    assert.deepEqual(await store.list({ state: "completed" }), []);
    assert.deepEqual(await store.list({ limit: 1 }), [a]);
    assert.deepEqual(await store.counts(), { ...zero, pending: 2 });
    const [c] = await enqueue(store, [spec("c")]);
    assert.ok(c.seq > b.seq, "enqueue order continues across batches");
    assert.deepEqual(ids(await store.list()), ["a", "b", "c"]);
  });

  test("env, cwd and argv travel with a job as given", async ({ store }) => {
    const [j] = await enqueue(store, [{
      id: "e",
      command: "'ls' '-la'",
      argv: ["ls", "-la"],
      env: { A: "1", B: "two words" },
      cwd: "/srv",
    }]);
    assert.deepEqual((await store.get("e"))?.env, { A: "1", B: "two words" });
    assert.deepEqual((await store.get("e"))?.argv, ["ls", "-la"]);
    assert.equal((await store.get("e"))?.cwd, "/srv");
    assert.deepEqual(await store.get("e"), j);
  });

  test("enqueue without an id generates distinct valid ids; an empty batch changes nothing", async ({ store }) => {
    const [x, y] = await enqueue(store, [{ command: "echo x" }, { command: "echo y" }]);
    assert.equal(idProblem(x.id), null);
    assert.equal(idProblem(y.id), null);
    assert.notEqual(x.id, y.id);
    assert.deepEqual(await store.get(x.id), x);
    const head = await store.head();
    assert.deepEqual(await store.enqueue([], DEFAULTS), []);
    assert.equal(await store.head(), head);
    assert.equal((await store.list()).length, 2);
  });

  test("a duplicate id refuses the whole batch and writes nothing", async ({ store }) => {
    await enqueue(store, [spec("a")]);
    const head = await store.head();
    await assert.rejects(enqueue(store, [spec("c"), spec("a")]), rejectsAs(DuplicateJobError, /"a"/));
    assert.equal(await store.get("c"), undefined, "the rest of the batch is not enqueued");
    await assert.rejects(enqueue(store, [spec("d"), spec("d")]), rejectsAs(DuplicateJobError, /"d"/));
    assert.equal(await store.get("d"), undefined);
    assert.equal(await store.head(), head, "a refusal commits nothing");
    assert.deepEqual(await store.counts(), { ...zero, pending: 1 });
  });

  test("idsWithPrefix finds live and finished jobs by the start of their id", async ({ store }) => {
    await enqueue(store, [spec("alpha-1"), spec("alpha-2"), spec("beta")]);
    const [j] = await claim(store, "w1", 1);
    await end(store, "w1", j, ok);
    assert.deepEqual(await store.idsWithPrefix("alpha", 10), ["alpha-1", "alpha-2"]);
    assert.deepEqual(await store.idsWithPrefix("alpha", 1), ["alpha-1"]);
    assert.deepEqual(await store.idsWithPrefix("b", 10), ["beta"]);
    assert.deepEqual(await store.idsWithPrefix("zz", 10), []);
  });

  // ---- claims

  test("claim takes higher priority first, then enqueue order; run_at only decides when a job is due", async ({ store }) => {
    await enqueue(store, [spec("neg", { priority: -1 })]);
    await enqueue(store, [spec("old", { run_at: at(-3600 * S) })]);
    await enqueue(store, [spec("a"), spec("b")]);
    await enqueue(store, [spec("high", { priority: 5 })]);
    const first = await claim(store, "w1", 2);
    assert.deepEqual(ids(first), ["high", "old"]);
    for (const job of first) {
      assert.equal(job.state, "processing");
      assert.equal(job.attempts, 1);
      assert.equal(job.worker, "w1");
      assert.equal(job.lease_until, at(30 * S));
      assert.deepEqual(await store.get(job.id), job, "claim returns the job as stored");
    }
    assert.deepEqual(ids(await claim(store, "w2", 5)), ["a", "b", "neg"]);
    assert.deepEqual(await claim(store, "w3", 5), []);
  });

  test("each claim has its own token, and the slot's session and output start are recorded", async ({ store }) => {
    await enqueue(store, [spec("a"), spec("b"), spec("c")]);
    const [a, b] = await claim(store, "w1", 2);
    const [c] = await claim(store, "w1", 1);
    assert.ok(a.claim !== null && c.claim !== null);
    assert.equal(a.claim, b.claim, "jobs of one claim share its token");
    assert.notEqual(a.claim, c.claim);
    assert.equal(a.pid, 1000);
    assert.equal(b.pid, 1001);
    assert.equal(a.pid_start, 5);
    assert.deepEqual(a.runs?.[0].out, ["w1-0.out", 0, null]);
    assert.deepEqual(b.runs?.[0].out, ["w1-1.out", 10, null]);
  });

  test("a future run_at is not claimed until the clock reaches it; a job enqueued for now ignores clock steps", async ({ store, clock }) => {
    await enqueue(store, [spec("later", { run_at: at(60 * S) })]);
    assert.deepEqual(await claim(store, "w1", 1), []);
    clock.advance(59 * S);
    assert.deepEqual(await claim(store, "w1", 1), []);
    clock.advance(1 * S);
    assert.deepEqual(ids(await claim(store, "w1", 1)), ["later"]);
    // "as soon as possible" stays so when the wall clock steps back an hour
    await enqueue(store, [spec("now")]);
    clock.step(-3600 * S);
    assert.deepEqual(ids(await claim(store, "w1", 1)), ["now"]);
  });

  test("a claim serves only the queues it names, and never a paused queue", async ({ store }) => {
    await enqueue(store, [spec("a", { queue: "builds" }), spec("b", { queue: "uploads" }), spec("c")]);
    await store.setQueue("uploads", { paused: true });
    assert.deepEqual(ids(await claim(store, "w1", 5, { queues: ["uploads"] })), []);
    assert.deepEqual(ids(await claim(store, "w1", 5, { queues: ["builds", "uploads"] })), ["a"]);
    assert.deepEqual(ids(await claim(store, "w2", 5)), ["c"], "a paused queue is skipped by everyone");
    await store.setQueue("uploads", { paused: false });
    assert.deepEqual(ids(await claim(store, "w2", 5)), ["b"]);
  });

  test("a queue's concurrency limit holds across workers and claims", async ({ store }) => {
    await enqueue(store, [
      spec("u1", { queue: "uploads" }),
      spec("u2", { queue: "uploads" }),
      spec("u3", { queue: "uploads" }),
      spec("x"),
    ]);
    const settings = await store.setQueue("uploads", { concurrency: 2 });
    assert.deepEqual(settings, { concurrency: 2, paused: false });
    const first = await claim(store, "w1", 1);
    assert.deepEqual(ids(first), ["u1"]);
    assert.deepEqual(ids(await claim(store, "w2", 5)), ["u2", "x"], "one more upload, then the limit");
    assert.deepEqual(await claim(store, "w3", 5), []);
    await end(store, "w1", first[0], ok);
    assert.deepEqual(ids(await claim(store, "w3", 5)), ["u3"]);
    const queues = await store.queues();
    const uploads = queues.find((q) => q.name === "uploads")!;
    assert.deepEqual(uploads, {
      name: "uploads",
      concurrency: 2,
      paused: false,
      counts: { ...zero, processing: 2, completed: 1 },
    });
    assert.deepEqual(queues.find((q) => q.name === "default")?.counts, { ...zero, processing: 1 });
  });

  test("queues lists a queue while it has a job (deleted ones gone) or a setting other than the default", async ({ store }) => {
    const names = async () => (await store.queues()).map((q) => q.name);
    // a pause before any job is legitimate, and lists the queue
    assert.deepEqual(await store.setQueue("typo", { paused: true }), { concurrency: 0, paused: true });
    await store.setQueue("limited", { concurrency: 3 });
    assert.deepEqual(await names(), ["limited", "typo"]);
    // back to the defaults: gone
    await store.setQueue("typo", { paused: false });
    assert.deepEqual(await names(), ["limited"]);
    await store.setQueue("limited", { concurrency: 0 });
    assert.deepEqual(await names(), []);
    // a resume of a queue nothing names lists nothing either
    assert.deepEqual(await store.setQueue("never", { paused: false }), { concurrency: 0, paused: false });
    assert.deepEqual(await names(), []);
    // a job lists its queue, whatever its settings, until it is deleted
    await enqueue(store, [spec("a", { queue: "jobs" })]);
    await store.setQueue("jobs", { paused: true });
    await store.setQueue("jobs", { paused: false });
    assert.deepEqual(await names(), ["jobs"]);
    await store.delete(["a"]);
    assert.deepEqual(await names(), []);
  });

  // ---- finishing

  test("finish with exit code 0 completes the job and records the run", async ({ store, clock }) => {
    await enqueue(store, [spec("a")]);
    const [job] = await claim(store, "w1", 1);
    clock.advance(2 * S);
    const done = await end(store, "w1", job, ok, "hello\n");
    assert.equal(done?.state, "completed");
    assert.equal(done?.exit_code, 0);
    assert.equal(done?.last_error, null);
    assert.equal(done?.worker, null);
    assert.equal(done?.claim, null);
    assert.equal(done?.output_tail, "hello\n");
    assert.equal(done?.started_at, at(0));
    assert.equal(done?.finished_at, at(2 * S));
    assert.deepEqual(done?.runs, [{
      attempt: 1,
      worker: "w1",
      started_at: at(0),
      finished_at: at(2 * S),
      out: ["w1-0.out", 0, 99],
      result: "exit code 0",
    }]);
    assert.deepEqual(await store.get("a"), done);
    assert.deepEqual(await store.counts(), { ...zero, completed: 1 });
  });

  test("a failed attempt waits out its backoff, and the job is dead once its retries are spent", async ({ store, clock }) => {
    await enqueue(store, [spec("f", { max_retries: 2 })]);
    let [job] = await claim(store, "w1", 1);
    let after = await end(store, "w1", job, exit(3));
    assert.equal(after?.state, "failed");
    assert.equal(after?.last_error, "exit code 3");
    assert.equal(after?.run_at, at(2 * S), "2^1 seconds after the first failure");
    assert.deepEqual(await claim(store, "w1", 1), []);
    assert.equal(await store.hasWork(), true, "a retry is waiting");
    assert.equal(await store.nextDue(), at(2 * S));
    clock.advance(2 * S);
    [job] = await claim(store, "w1", 1);
    assert.equal(job.attempts, 2);
    after = await end(store, "w1", job, exit(3));
    assert.equal(after?.run_at, at(2 * S + 4 * S), "2^2 seconds after the second");
    clock.advance(4 * S);
    [job] = await claim(store, "w1", 1);
    after = await end(store, "w1", job, { kind: "timeout", after: 5 });
    assert.equal(after?.state, "dead");
    assert.equal(after?.last_error, "timed out after 5s");
    assert.equal(after?.attempts, 3);
    assert.equal(after?.runs?.length, 3);
    assert.deepEqual(await store.counts(), { ...zero, dead: 1 });
  });

  test("the backoff is capped by backoff_max, and max_retries 0 goes straight to dead", async ({ store }) => {
    await enqueue(store, [spec("z", { max_retries: 0 }), spec("c", { max_retries: 20 })]);
    const [z, c] = await claim(store, "w1", 2);
    assert.equal((await end(store, "w1", z, exit(1)))?.state, "dead");
    const failed = await store.finish({
      worker: "w1",
      id: c.id,
      claim: c.claim,
      outcome: exit(1),
      tail: null,
      config: { backoff_base: 1000, backoff_max: 7 },
    });
    assert.equal(failed?.run_at, at(7 * S));
  });

  test("a finish by another worker or with a stale claim token returns null and changes nothing", async ({ store, clock }) => {
    await enqueue(store, [spec("a", { max_retries: 5 })]);
    const [first] = await claim(store, "w1", 1);
    assert.equal(await end(store, "w2", first, ok), null);
    // the job is taken back (its worker is gone), retried, and claimed again by the same worker
    await end(store, null, first, { kind: "lost" });
    clock.advance(10 * S);
    const [second] = await claim(store, "w1", 1);
    assert.notEqual(second.claim, first.claim);
    const head = await store.head();
    assert.equal(await end(store, "w1", first, exit(137)), null, "the old attempt's end is refused");
    assert.equal(await store.head(), head);
    assert.equal((await store.get("a"))?.state, "processing");
    assert.equal((await end(store, "w1", second, ok))?.state, "completed");
  });

  test("renew extends the leases of the attempts still held under the claims named", async ({ store, clock }) => {
    await enqueue(store, [spec("a"), spec("b"), spec("c")]);
    const [a, b] = await claim(store, "w1", 2);
    const [c] = await claim(store, "w2", 1);
    clock.advance(10 * S);
    await store.renew("w1", 30, [[a.id, a.claim!], [b.id, b.claim! + 1000], [c.id, c.claim!]]);
    assert.equal((await store.get("a"))?.lease_until, at(40 * S));
    assert.equal((await store.get("b"))?.lease_until, at(30 * S), "a stale token renews nothing");
    assert.equal((await store.get("c"))?.lease_until, at(30 * S), "another worker's job is not renewed");
  });

  test("processing() lists running jobs; a take-back counts the attempt as lost", async ({ store }) => {
    await enqueue(store, [spec("a", { max_retries: 1 })]);
    const [a] = await claim(store, "w1", 1);
    assert.deepEqual(ids(await store.processing()), ["a"]);
    const back = await end(store, null, a, { kind: "lost" });
    assert.equal(back?.state, "failed");
    assert.equal(back?.last_error, "worker lost");
    assert.deepEqual(await store.processing(), []);
    assert.equal(await end(store, null, a, { kind: "lost" }), null, "a second take-back changes nothing");
  });

  test("unclaim gives an attempt back without counting it", async ({ store, clock }) => {
    await enqueue(store, [spec("a", { max_retries: 1 })]);
    const [a] = await claim(store, "w1", 1);
    const back = await store.unclaim("w1", "a", a.claim!);
    assert.equal(back?.state, "pending");
    assert.equal(back?.attempts, 0);
    assert.equal(back?.runs, undefined);
    assert.equal(await store.unclaim("w1", "a", a.claim!), null);
    const [again] = await claim(store, "w1", 1);
    await end(store, "w1", again, exit(1));
    clock.advance(10 * S);
    const [third] = await claim(store, "w1", 1);
    const back2 = await store.unclaim("w1", "a", third.claim!);
    assert.equal(back2?.state, "failed", "a job that had failed goes back to waiting for its retry");
    assert.equal(back2?.attempts, 1);
    assert.equal(back2?.last_error, "exit code 1");
  });

  // ---- the user's commands

  test("retryDead moves dead jobs back to pending with fresh attempts and refuses anything else", async ({ store }) => {
    await enqueue(store, [spec("d", { max_retries: 0 }), spec("p")]);
    const [d] = await claim(store, "w1", 1);
    await end(store, "w1", d, exit(1));
    const [retried] = await store.retryDead(["d"]);
    assert.equal(retried.id, "d");
    const now = await store.get("d");
    assert.equal(now?.state, "pending");
    assert.equal(now?.attempts, 0);
    assert.equal(now?.last_error, null);
    await assert.rejects(store.retryDead(["p"]), rejectsAs(JobStateError, /"p": it is pending, not dead/));
    await assert.rejects(store.retryDead(["nope"]), rejectsAs(JobNotFoundError, /"nope": no such job/));
    assert.deepEqual(await store.retryDead("all"), []);
  });

  test("rerun enqueues a copy of a finished job under a new id, and refuses a job that is not finished", async ({ store, clock }) => {
    const shape = {
      argv: ["sh", "-c", "exit $CODE"],
      queue: "q1",
      env: { CODE: "0" },
      cwd: "/tmp",
      priority: 4,
      max_retries: 0,
      timeout: 9,
      unique: "k",
    };
    await enqueue(store, [spec("c", shape), spec("d", { max_retries: 0 }), spec("p", { after: ["c"] })]);
    const [c] = await claim(store, "w1", 1, { queues: ["q1"] });
    await end(store, "w1", c, ok);
    const [d] = await claim(store, "w1", 1, { queues: ["default"] });
    await end(store, "w1", d, exit(1));
    clock.advance(5 * S);
    const head = await store.head();
    const copy = await store.rerun("c");
    assert.notEqual(copy.id, "c");
    assert.equal(idProblem(copy.id), null);
    const { argv, queue, env, cwd, priority, max_retries, timeout, unique, command } = copy;
    assert.deepEqual(
      { argv, queue, env, cwd, priority, max_retries, timeout, unique, command },
      { ...shape, command: c.command },
    );
    assert.equal(copy.state, "pending");
    assert.equal(copy.attempts, 0);
    assert.equal(copy.run_at, null, "due at once");
    assert.equal(copy.created_at, at(5 * S));
    assert.deepEqual(await store.get(copy.id), copy);
    assert.equal((await store.get("c"))?.state, "completed", "the original stays as it was");
    assert.ok(copy.seq > (await store.get("p"))!.seq, "the copy is the newest job");
    assert.ok((await store.head()) > head);
    const dead = await store.rerun("d");
    assert.equal(dead.state, "pending");
    assert.equal(dead.max_retries, 0);
    // the copy of c holds c's unique key now: another rerun of c would only be absorbed
    await assert.rejects(
      store.rerun("c"),
      rejectsAs(JobStateError, /"c": its unique key "k" is held by live job/),
    );
    await assert.rejects(store.rerun("p"), rejectsAs(JobStateError, /"p": it is pending, not finished/));
    await assert.rejects(store.rerun("nope"), rejectsAs(JobNotFoundError, /"nope": no such job/));
    assert.deepEqual(await store.counts(), { ...zero, pending: 3, completed: 1, dead: 1 });
  });

  test("delete removes waiting and finished jobs, refuses processing ones, all or nothing", async ({ store }) => {
    await enqueue(store, [spec("a"), spec("b"), spec("c")]);
    const [a] = await claim(store, "w1", 1);
    await assert.rejects(store.delete(["b", "a"]), rejectsAs(JobStateError, /"a": it is processing/));
    assert.ok(await store.get("b"), "nothing deleted when one is refused");
    await assert.rejects(store.delete(["nope"]), rejectsAs(JobNotFoundError, /no such job/));
    await store.delete(["b"]);
    assert.equal(await store.get("b"), undefined);
    await end(store, "w1", a, ok);
    await store.delete(["a"], ["completed"]);
    await assert.rejects(
      store.delete(["c"], ["dead"]),
      rejectsAs(JobStateError, /"c": it is pending, not dead/),
    );
    assert.deepEqual(ids(await store.list()), ["c"]);
    assert.deepEqual(await store.counts(), { ...zero, pending: 1 });
  });

  test("cancel sends waiting jobs to the DLQ as cancelled and refuses others naming their state", async ({ store }) => {
    await enqueue(store, [spec("a"), spec("b", { max_retries: 2 }), spec("c")]);
    const [b] = await claim(store, "w1", 1, { queues: ["default"] });
    assert.equal(b.id, "a");
    await assert.rejects(store.cancel(["a"]), rejectsAs(JobStateError, /"a": it is processing \(use kill/));
    const { jobs: [cancelled], dependents } = await store.cancel(["b"]);
    assert.deepEqual(dependents, []);
    assert.equal(cancelled.state, "dead");
    assert.equal(cancelled.last_error, "cancelled");
    assert.equal((await store.get("b"))?.last_error, "cancelled");
    await assert.rejects(store.cancel(["b"]), rejectsAs(JobStateError, /"b": it is dead/));
    await assert.rejects(store.cancel(["zz"]), rejectsAs(JobNotFoundError, /no such job/));
  });

  test("kill asks the holder to kill an attempt, which then ends dead without a retry", async ({ store }) => {
    await enqueue(store, [spec("a", { max_retries: 5 }), spec("b")]);
    const [a] = await claim(store, "w1", 1);
    await assert.rejects(store.kill(["b"]), rejectsAs(JobStateError, /"b": it is pending \(use cancel/));
    const [asked] = await store.kill(["a"]);
    assert.equal(asked.kill, "killed");
    assert.deepEqual(ids(await store.killRequests("w1")), ["a"]);
    assert.deepEqual(await store.killRequests("w2"), []);
    const head = await store.head();
    await store.kill(["a"]);
    assert.equal(await store.head(), head, "asking twice records nothing more");
    const after = await end(store, "w1", a, { kind: "exited", code: 143 });
    assert.equal(after?.state, "dead");
    assert.equal(after?.last_error, "killed");
    assert.equal(after?.kill, undefined);
    assert.deepEqual(await store.killRequests("w1"), []);
  });

  test("requestStop is seen by workers that started before it, not by those that start after", async ({ store }) => {
    const before = await store.stopSeq();
    const seq = await store.requestStop();
    assert.ok(seq > before);
    assert.equal(await store.stopSeq(), seq);
    const later = await store.head();
    assert.ok(later >= seq);
  });

  test("a claim naming the head it started at claims nothing once a stop request came after it", async ({ store }) => {
    await enqueue(store, [spec("a"), spec("b")]);
    const start = await store.head();
    const slot = { sid: null, out: null };
    const request = { worker: "w1", slots: [slot], leaseSeconds: 60, stopsAfter: start };
    assert.deepEqual((await store.claim(request)).map((j) => j.id), ["a"], "no stop yet");
    await store.requestStop();
    const head = await store.head();
    assert.deepEqual(await store.claim(request), [], "stopped after the worker's start");
    assert.equal(await store.head(), head, "nothing written");
    assert.equal((await store.get("b"))!.state, "pending");
    // a worker that started after the stop request claims as usual
    const later = await store.claim({ ...request, worker: "w2", stopsAfter: head });
    assert.deepEqual(later.map((j) => j.id), ["b"]);
  });

  test("head advances with every committed change and not with reads or empty claims", async ({ store }) => {
    const h0 = await store.head();
    await enqueue(store, [spec("a")]);
    const h1 = await store.head();
    assert.ok(h1 > h0);
    await store.get("a");
    await store.list();
    await store.counts();
    await store.hasWork();
    await store.nextDue();
    await store.processing();
    await store.queues();
    assert.equal(await store.head(), h1);
    const [job] = await claim(store, "w1", 1);
    const h2 = await store.head();
    assert.ok(h2 > h1);
    assert.deepEqual(await claim(store, "w1", 1), []);
    assert.equal(await store.head(), h2);
    await end(store, "w1", job, ok);
    assert.ok(await store.head() > h2);
  });

  test("hasWork and nextDue describe what is waiting", async ({ store, clock }) => {
    assert.equal(await store.hasWork(), false);
    assert.equal(await store.nextDue(), null);
    await enqueue(store, [spec("later", { run_at: at(30 * S) })]);
    assert.equal(await store.hasWork(), false, "a job due later is not work now");
    assert.equal(await store.nextDue(), at(30 * S));
    await enqueue(store, [spec("now", { queue: "q" })]);
    assert.equal(await store.hasWork(), true);
    assert.equal(await store.hasWork(["other"]), false, "only the queues asked about");
    await store.setQueue("q", { paused: true });
    assert.equal(await store.hasWork(), false, "a paused queue's jobs are not work");
    clock.advance(30 * S);
    assert.equal(await store.hasWork(), true);
    assert.equal(await store.nextDue(), null);
  });

  // ---- dependencies

  test("a job with dependencies waits until all of them completed", async ({ store }) => {
    await enqueue(store, [spec("build"), spec("test")]);
    await enqueue(store, [spec("deploy", { after: ["build", "test"], priority: 9 })]);
    const first = await claim(store, "w1", 5);
    assert.deepEqual(ids(first), ["build", "test"], "deploy is not runnable yet, whatever its priority");
    await end(store, "w1", first[0], ok);
    assert.deepEqual(await claim(store, "w1", 5), []);
    await end(store, "w1", first[1], ok);
    assert.deepEqual(ids(await claim(store, "w1", 5)), ["deploy"]);
  });

  test("unknown dependencies are refused as not found, a later one of the batch as bad input; a batch may name ids enqueued before it in the batch", async ({ store }) => {
    const head = await store.head();
    await assert.rejects(
      enqueue(store, [spec("x", { after: ["nope"] })]),
      rejectsAs(DependencyNotFoundError, /"nope" does not exist/),
    );
    await assert.rejects(
      enqueue(store, [spec("x", { after: ["y"] }), spec("y")]),
      rejectsAs(UsageError, /"y" comes later in this batch/),
    );
    assert.equal(await store.head(), head);
    const jobs = await enqueue(store, [spec("a"), spec("b", { after: ["a"] })]);
    assert.deepEqual(jobs[1].after, ["a"]);
  });

  test("a dependency that ends dead, is cancelled or deleted sends its dependents to the DLQ, naming it", async ({ store }) => {
    await enqueue(store, [spec("a", { max_retries: 0 }), spec("c1"), spec("d1")]);
    await enqueue(store, [spec("b", { after: ["a"] }), spec("b2", { after: ["b"] })]);
    await enqueue(store, [spec("c2", { after: ["c1"] }), spec("d2", { after: ["d1"] })]);
    const [a] = await claim(store, "w1", 1);
    await end(store, "w1", a, exit(1));
    assert.equal((await store.get("b"))?.state, "dead");
    assert.equal((await store.get("b"))?.last_error, 'dependency "a" is dead');
    assert.equal((await store.get("b2"))?.last_error, 'dependency "b" is dead', "and theirs, transitively");
    await enqueue(store, [spec("c3", { after: ["c2"] })]);
    const cancelled = await store.cancel(["c1"]);
    assert.deepEqual(cancelled.jobs.map((j) => [j.id, j.state, j.last_error]), [["c1", "dead", "cancelled"]]);
    assert.deepEqual(
      cancelled.dependents.map((j) => [j.id, j.state, j.last_error]),
      [["c2", "dead", 'dependency "c1" was cancelled'], ["c3", "dead", 'dependency "c2" is dead']],
      "cancel returns the dependents it sent to the DLQ, transitively, as they are now",
    );
    assert.deepEqual(cancelled.dependents[0], await store.get("c2"));
    assert.equal((await store.get("c2"))?.last_error, 'dependency "c1" was cancelled');
    const deleted = await store.delete(["d1"]);
    assert.deepEqual(deleted.jobs.map((j) => j.id), ["d1"]);
    assert.deepEqual(
      deleted.dependents.map((j) => [j.id, j.state, j.last_error]),
      [["d2", "dead", 'dependency "d1" was deleted']],
      "delete returns the dependents it sent to the DLQ, as they are now",
    );
    assert.deepEqual(deleted.dependents[0], await store.get("d2"));
    assert.deepEqual(await store.counts(), { ...zero, dead: 7 }, "a, b, b2, c1, c2, c3, d2");
  });

  test("dependents lists the waiting jobs that go to the DLQ with a job that ends dead, as they are now", async ({ store }) => {
    await enqueue(store, [spec("a"), spec("z")]);
    await enqueue(store, [spec("b", { after: ["a"] }), spec("c", { after: ["a", "z"] })]);
    await enqueue(store, [spec("d", { after: ["b"] }), spec("e", { after: ["z"] })]);
    assert.deepEqual(ids(await store.dependents(["a"])), ["b", "c", "d"], "directly or not, each once");
    assert.deepEqual((await store.dependents(["a"]))[0], await store.get("b"));
    assert.deepEqual(await store.dependents(["d", "nope"]), [], "none, or no such job");
    const head = await store.head();
    const [a] = await claim(store, "w1", 1);
    assert.equal(a.id, "a");
    const [asked] = await store.kill(["a"]);
    assert.equal(asked.kill, "killed");
    assert.deepEqual(ids(await store.dependents(["a"])), ["b", "c", "d"], "a kill asked buries nothing yet");
    assert.ok((await store.head()) > head);
    await end(store, "w1", a, { kind: "exited", code: 143 });
    assert.deepEqual(
      [(await store.get("b"))?.last_error, (await store.get("d"))?.last_error],
      ['dependency "a" is dead', 'dependency "b" is dead'],
    );
    assert.deepEqual(await store.dependents(["a"]), [], "they no longer wait");
    assert.deepEqual(ids(await store.dependents(["z"])), ["e"]);
  });

  test("a job enqueued after a dead dependency goes to the DLQ at once; dlq retry re-checks dependencies", async ({ store }) => {
    await enqueue(store, [spec("a", { max_retries: 0 })]);
    const [a] = await claim(store, "w1", 1);
    await end(store, "w1", a, exit(1));
    const [b] = await enqueue(store, [spec("b", { after: ["a"] })]);
    assert.equal(b.state, "dead");
    assert.equal((await store.get("b"))?.last_error, 'dependency "a" is dead');
    await assert.rejects(store.retryDead(["b"]), rejectsAs(JobStateError, /"a" is dead; retry it first/));
    const retried = await store.retryDead(["a", "b"]);
    assert.deepEqual(ids(retried).sort(), ["a", "b"]);
    assert.deepEqual(ids(await claim(store, "w1", 5)), ["a"], "b waits for a again");
  });

  test("a job enqueued after two dead dependencies goes to the DLQ once, naming the first dead one in its list; so does its dependent in the batch", async ({ store }) => {
    await enqueue(store, [spec("a", { max_retries: 0 }), spec("b", { max_retries: 0 })]);
    for (const job of await claim(store, "w1", 2)) await end(store, "w1", job, exit(1));
    const jobs = await enqueue(store, [spec("c", { after: ["a", "b"] }), spec("d", { after: ["c", "a"] })]);
    assert.deepEqual(jobs.map((j) => [j.id, j.state, j.last_error]), [
      ["c", "dead", 'dependency "a" is dead'],
      ["d", "dead", 'dependency "c" is dead'],
    ]);
    assert.equal((await store.get("c"))?.last_error, 'dependency "a" is dead');
    assert.equal((await store.get("d"))?.state, "dead");
    assert.deepEqual(await store.counts(), { ...zero, dead: 4 });
  });

  // ---- unique keys

  test("a unique key absorbs enqueues while its job is live, and is free again once it ends", async ({ store }) => {
    const [first] = await store.enqueue([spec("a", { unique: "sync" })], DEFAULTS);
    assert.equal(first.existing, false);
    const [again] = await store.enqueue([spec("b", { unique: "sync" })], DEFAULTS);
    assert.equal(again.existing, true);
    assert.equal(again.job.id, "a");
    assert.equal(await store.get("b"), undefined, "nothing was created");
    const batch = await store.enqueue(
      [spec("c", { unique: "other" }), spec("d", { unique: "other" })],
      DEFAULTS,
    );
    assert.deepEqual(batch.map((r) => [r.job.id, r.existing]), [["c", false], ["c", true]]);
    const [a] = await claim(store, "w1", 1);
    const [still] = await store.enqueue([spec("e", { unique: "sync" })], DEFAULTS);
    assert.equal(still.job.id, "a", "processing holds the key too");
    await end(store, "w1", a, ok);
    const [free] = await store.enqueue([spec("f", { unique: "sync" })], DEFAULTS);
    assert.equal(free.existing, false);
    assert.equal(free.job.id, "f");
  });

  // ---- retention

  /** Runs `id` (enqueued in `queue`) to `outcome` at the clock's time: completed on 0, dead otherwise. */
  async function finished(store: Store, id: string, outcome: Outcome, queue = "default"): Promise<void> {
    await enqueue(store, [spec(id, { max_retries: 0, queue })]);
    const [job] = await claim(store, "w1", 1);
    assert.equal(job.id, id);
    await end(store, "w1", job, outcome);
  }

  test("prune removes the completed and dead jobs that finished before their cutoffs, and nothing else", async ({ store, clock }) => {
    await finished(store, "c-old", ok, "q1");
    await finished(store, "d-old", exit(1));
    clock.advance(3600 * S);
    await finished(store, "c-new", ok, "q1");
    await finished(store, "d-new", exit(2), "q1");
    await enqueue(store, [spec("waiting", { after: ["c-old"] }), spec("later", { run_at: at(99_999 * S) })]);
    const [busy] = await claim(store, "w2", 1);
    assert.equal(busy.id, "waiting", "its dependency completed");
    const cutoff = at(1800 * S);
    const r = await store.prune({ completedBefore: cutoff, deadBefore: cutoff });
    // how archived jobs go (segments dropped whole) is the store's own business
    assert.deepEqual([r.completed, r.dead, r.more], [1, 1, false]);
    assert.equal(await store.get("c-old"), undefined);
    assert.equal(await store.get("d-old"), undefined);
    assert.deepEqual(ids(await store.list()), ["c-new", "d-new", "waiting", "later"]);
    assert.deepEqual(await store.counts(), { ...zero, completed: 1, dead: 1, processing: 1, pending: 1 });
    const queues = Object.fromEntries((await store.queues()).map((q) => [q.name, q.counts]));
    assert.deepEqual(queues.q1, { ...zero, completed: 1, dead: 1 });
    assert.deepEqual(queues.default, { ...zero, processing: 1, pending: 1 });
    // the rest: a cutoff for one state only touches that state
    const dead = await store.prune({ completedBefore: null, deadBefore: at(7200 * S) });
    assert.deepEqual([dead.completed, dead.dead], [0, 1]);
    assert.ok(await store.get("c-new"));
    assert.deepEqual(await store.counts(), { ...zero, completed: 1, processing: 1, pending: 1 });
    // a job whose dependency was pruned still ends normally
    assert.ok(await end(store, "w2", busy, ok));
    const none = await store.prune({ completedBefore: at(0), deadBefore: at(0) });
    assert.deepEqual([none.completed, none.dead, none.more], [0, 0, false], "nothing finished before T0");
  });

  test("prune works in batches: `more` until every old job is gone, counts exact after each", async ({ store, clock }) => {
    for (let i = 0; i < 3; i++) await finished(store, `c${i}`, ok);
    // dead jobs are never archived: removed by id, at most `limit` per batch
    for (let i = 0; i < 7; i++) await finished(store, `d${i}`, exit(1));
    clock.advance(60 * S);
    const before = clock.now().toISOString();
    let batches = 0;
    let removed = 0;
    for (;;) {
      const r = await store.prune({ completedBefore: before, deadBefore: before, limit: 4 });
      batches++;
      removed += r.completed + r.dead;
      const c = await store.counts();
      assert.equal(c.completed + c.dead, 10 - removed, `after batch ${batches}`);
      if (!r.more) break;
      assert.ok(batches < 10, "it ends");
    }
    assert.equal(removed, 10);
    assert.ok(batches >= 2, `${batches} batch(es) of at most 4 jobs by id`);
    assert.deepEqual(await store.counts(), zero);
    assert.deepEqual(await store.list(), []);
  });

  test("a pruned job's id can be enqueued again", async ({ store, clock }) => {
    await finished(store, "again", ok);
    clock.advance(10 * S);
    await store.prune({ completedBefore: clock.now().toISOString(), deadBefore: null });
    const [job] = await enqueue(store, [spec("again")]);
    assert.equal(job.state, "pending");
    assert.deepEqual(ids(await store.list()), ["again"]);
  });

  // ---- schedules

  test("schedules are added, listed, paused and removed; a name is taken once", async ({ store }) => {
    const nightly: Schedule = {
      name: "nightly",
      cron: "0 3 * * *",
      tz: "UTC",
      paused: false,
      job: { command: "backup", max_retries: 1, priority: 0, timeout: null, cwd: null },
      created_at: at(0),
      last_tick: null,
    };
    await store.addSchedule(nightly);
    await assert.rejects(store.addSchedule(nightly), rejectsAs(OperationError, /already exists/));
    assert.deepEqual(await store.schedules(), [nightly]);
    assert.equal((await store.pauseSchedule("nightly", true)).paused, true);
    assert.equal((await store.schedules())[0].paused, true);
    await store.pauseSchedule("nightly", false);
    await store.removeSchedule("nightly");
    assert.deepEqual(await store.schedules(), []);
    await assert.rejects(store.removeSchedule("nightly"), rejectsAs(OperationError, /no such schedule/));
  });

  test("a tick enqueues its job once, however many workers see it, and never for an older tick", async ({ store }) => {
    const tick = at(3600 * S);
    await store.addSchedule({
      name: "hourly",
      cron: "@hourly",
      tz: "UTC",
      paused: false,
      job: { command: "report", max_retries: 0, priority: 0, timeout: null, cwd: null, queue: "reports" },
      created_at: at(0),
      last_tick: null,
    });
    const first = await store.tick("hourly", tick, 3);
    assert.equal(first.job?.id, "hourly@2030-01-01T01:00Z");
    assert.equal(first.job?.queue, "reports");
    assert.equal((await store.tick("hourly", tick, 3)).job, null, "the same tick again: nothing");
    assert.equal((await store.tick("hourly", at(0), 3)).job, null, "an older tick: nothing");
    assert.equal((await store.schedules())[0].last_tick, tick);
    await store.pauseSchedule("hourly", true);
    assert.equal((await store.tick("hourly", at(7200 * S), 3)).job, null, "a paused schedule does not fire");
    assert.deepEqual(ids(await store.list()), ["hourly@2030-01-01T01:00Z"]);
  });

  test("a resume given the latest missed tick counts the ticks missed while paused as done", async ({ store }) => {
    await store.addSchedule({
      name: "hourly",
      cron: "@hourly",
      tz: "UTC",
      paused: true,
      job: { command: "report", priority: 0, timeout: null, cwd: null },
      created_at: at(0),
      last_tick: null,
    });
    const resumed = await store.pauseSchedule("hourly", false, at(3 * 3600 * S));
    assert.equal(resumed.paused, false);
    assert.equal(resumed.last_tick, at(3 * 3600 * S));
    assert.equal(
      (await store.tick("hourly", at(3 * 3600 * S), 3)).job,
      null,
      "the skipped tick does not run",
    );
    const next = await store.tick("hourly", at(4 * 3600 * S), 3);
    assert.equal(next.job?.id, "hourly@2030-01-01T04:00Z");
    assert.equal(next.job?.max_retries, 3, "a schedule without max_retries takes the ticker's default");
    // resuming a schedule that is not paused changes nothing, skip or not
    assert.equal((await store.pauseSchedule("hourly", false, at(9 * 3600 * S))).last_tick, at(4 * 3600 * S));
  });
}
