/**
 * The Store conformance suite: what every Store (src/store/mod.ts) must do, whatever keeps its
 * data. `storeConformance(name, makeStore)` registers one Deno.test per behaviour; each test
 * gets a brand-new, empty store built by `makeStore(clock)` and closes it at the end. Time is
 * the injected manual clock only: the store must take "now" from it for every decision.
 */
import assert from "node:assert/strict";
import type { BackoffConfig } from "../../src/backoff.ts";
import { OperationError } from "../../src/errors.ts";
import { idProblem } from "../../src/ids.ts";
import type { Job, Outcome } from "../../src/job.ts";
import type { Clock } from "../../src/clock.ts";
import type { JobSpec, Store } from "../../src/store/mod.ts";

export const T0 = Date.parse("2030-01-01T00:00:00.000Z");
const CONFIG: BackoffConfig = { backoff_base: 2, backoff_max: 100 };

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  current: number;
  #elapsed = 0;
  #sleepers: Array<{ until: number; wake: () => void }> = [];
  constructor(start = T0) {
    this.current = start;
  }
  now(): Date {
    return new Date(this.current);
  }
  monotonic(): number {
    return this.#elapsed;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (ms <= 0 || signal?.aborted) return resolve();
      const sleeper = { until: this.#elapsed + ms, wake: resolve };
      this.#sleepers.push(sleeper);
      signal?.addEventListener("abort", () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        resolve();
      }, { once: true });
    });
  }
  /** Moves both clocks on by `ms` and wakes the sleepers that are due. */
  advance(ms: number): void {
    this.current += ms;
    this.#elapsed += ms;
    const due = this.#sleepers.filter((s) => s.until <= this.#elapsed);
    this.#sleepers = this.#sleepers.filter((s) => s.until > this.#elapsed);
    for (const s of due) s.wake();
  }
  /** ISO time `ms` from T0 */
  static at(ms: number): string {
    return new Date(T0 + ms).toISOString();
  }
}

const at = ManualClock.at;
const S = 1000;

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

function refusal(pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof OperationError, `an OperationError expected, got ${e}`);
    assert.match(e.message, pattern);
    return true;
  };
}

async function end(
  store: Store,
  worker: string | null,
  job: Job,
  outcome: Outcome,
  tail: string | null = null,
): Promise<Job | null> {
  return await store.finish({ worker, id: job.id, attempt: job.attempts, outcome, tail, config: CONFIG });
}

const ok: Outcome = { kind: "exited", code: 0 };
const exit = (code: number): Outcome => ({ kind: "exited", code });
const never = () => false;

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

  test("enqueue returns the jobs as stored, and get, list and counts agree", async ({ store }) => {
    const jobs = await store.enqueue([
      spec("a"),
      spec("b", { priority: 5, max_retries: 1, timeout: 10, cwd: "/tmp", run_at: at(60 * S) }),
    ], 3);
    assert.equal(jobs.length, 2);
    const [a, b] = jobs;
    assert.deepEqual(
      { ...a, seq: 0 },
      {
        id: "a",
        command: "echo a",
        state: "pending",
        attempts: 0,
        max_retries: 3,
        priority: 0,
        run_at: at(0),
        timeout: null,
        cwd: null,
        created_at: at(0),
        updated_at: at(0),
        exit_code: null,
        last_error: null,
        worker: null,
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
    assert.ok(a.seq < b.seq, "enqueue order follows the batch");

    assert.deepEqual(await store.get("a"), a);
    assert.deepEqual(await store.get("b"), b);
    assert.equal(await store.get("nope"), undefined);
    assert.deepEqual(await store.list(), [a, b]);
    assert.deepEqual(await store.list({ state: "pending" }), [a, b]);
    assert.deepEqual(await store.list({ state: "completed" }), []);
    assert.deepEqual(await store.list({ limit: 1 }), [a]);
    assert.deepEqual(await store.counts(), { pending: 2, processing: 0, completed: 0, failed: 0, dead: 0 });

    const [c] = await store.enqueue([spec("c")], 3);
    assert.ok(c.seq > b.seq, "enqueue order continues across batches");
    assert.deepEqual(ids(await store.list()), ["a", "b", "c"]);
  });

  test("enqueue without an id generates distinct valid ids; an empty batch changes nothing", async ({ store }) => {
    const [x, y] = await store.enqueue([{ command: "echo x" }, { command: "echo y" }], 3);
    assert.equal(idProblem(x.id), null);
    assert.equal(idProblem(y.id), null);
    assert.notEqual(x.id, y.id);
    assert.deepEqual(await store.get(x.id), x);
    const head = await store.head();
    assert.deepEqual(await store.enqueue([], 3), []);
    assert.equal(await store.head(), head);
    assert.equal((await store.list()).length, 2);
  });

  test("a duplicate id refuses the whole batch and writes nothing", async ({ store }) => {
    await store.enqueue([spec("a")], 3);
    const head = await store.head();
    await assert.rejects(store.enqueue([spec("c"), spec("a")], 3), refusal(/"a"/));
    assert.equal(await store.get("c"), undefined, "the rest of the batch is not enqueued");
    await assert.rejects(store.enqueue([spec("d"), spec("d")], 3), refusal(/"d"/));
    assert.equal(await store.get("d"), undefined);
    assert.equal(await store.head(), head, "a refusal commits nothing");
    assert.deepEqual(ids(await store.list()), ["a"]);
    assert.deepEqual(await store.counts(), { pending: 1, processing: 0, completed: 0, failed: 0, dead: 0 });
  });

  test("claim takes higher priority first, then earlier run_at, then enqueue order", async ({ store, clock }) => {
    await store.enqueue([spec("neg", { priority: -1, run_at: at(-3600 * S) })], 3);
    await store.enqueue([spec("late", { run_at: at(-10 * S) })], 3);
    await store.enqueue([spec("same1", { run_at: at(-10 * S) }), spec("same2", { run_at: at(-10 * S) })], 3);
    await store.enqueue([spec("early", { run_at: at(-20 * S) })], 3);
    await store.enqueue([spec("high", { priority: 5 })], 3);

    const first = await store.claim("w1", 2, 30);
    assert.deepEqual(ids(first), ["high", "early"]);
    for (const job of first) {
      assert.equal(job.state, "processing");
      assert.equal(job.attempts, 1);
      assert.equal(job.worker, "w1");
      assert.equal(job.lease_until, at(30 * S));
      const stored = await store.get(job.id);
      assert.equal(stored?.state, "processing");
      assert.equal(stored?.worker, "w1");
      assert.equal(stored?.attempts, 1);
      assert.equal(stored?.lease_until, at(30 * S));
    }
    clock.advance(1);
    assert.deepEqual(ids(await store.claim("w2", 10, 30)), ["late", "same1", "same2", "neg"]);
    assert.deepEqual(await store.claim("w3", 10, 30), [], "nothing is claimed twice");
    assert.deepEqual(await store.counts(), { pending: 0, processing: 6, completed: 0, failed: 0, dead: 0 });
    assert.equal((await store.list({ state: "processing" })).length, 6);
  });

  test("a job whose run_at is in the future is not claimed until the clock reaches it", async ({ store, clock }) => {
    await store.enqueue([spec("f", { run_at: at(60 * S) })], 3);
    assert.deepEqual(await store.claim("w1", 1, 30), []);
    assert.equal(await store.hasWork(), false);
    assert.equal(await store.nextDue(), at(60 * S));
    clock.advance(60 * S - 1);
    assert.deepEqual(await store.claim("w1", 1, 30), []);
    clock.advance(1);
    assert.deepEqual(ids(await store.claim("w1", 1, 30)), ["f"]);
    assert.equal(await store.nextDue(), null);
    assert.equal(await store.hasWork(), false, "a processing job is not work for another worker");
  });

  test("finish with exit code 0 completes the job and records its end", async ({ store, clock }) => {
    await store.enqueue([spec("a")], 3);
    const [job] = await store.claim("w1", 1, 30);
    clock.advance(3 * S);
    const done = await end(store, "w1", job, ok, "hello\n");
    assert.ok(done);
    assert.equal(done.state, "completed");
    assert.equal(done.exit_code, 0);
    assert.equal(done.last_error, null);
    assert.equal(done.worker, null);
    assert.equal(done.lease_until, null);
    assert.equal(done.finished_at, at(3 * S));
    assert.equal(done.output_tail, "hello\n");
    assert.equal(done.attempts, 1);
    assert.deepEqual(await store.get("a"), done);
    assert.deepEqual(await store.counts(), { pending: 0, processing: 0, completed: 1, failed: 0, dead: 0 });
    assert.equal(await store.hasWork(), false);
  });

  test("a failed attempt waits out its backoff, and the job is dead once its retries are spent", async ({ store, clock }) => {
    await store.enqueue([spec("r", { max_retries: 2 })], 3);
    // attempt 1 fails at T0+5s: retry due 2^1 s later
    let [job] = await store.claim("w1", 1, 30);
    clock.advance(5 * S);
    let after = await end(store, "w1", job, exit(3));
    assert.equal(after?.state, "failed");
    assert.equal(after?.exit_code, 3);
    assert.equal(after?.last_error, "exit code 3");
    assert.equal(after?.run_at, at(7 * S));
    assert.equal(after?.worker, null);
    assert.deepEqual(await store.get("r"), after);
    assert.equal(await store.hasWork(), true, "a failed job waiting for its retry is work");
    assert.equal(await store.nextDue(), at(7 * S));
    clock.advance(2 * S - 1);
    assert.deepEqual(await store.claim("w1", 1, 30), [], "not before its backoff");
    clock.advance(1);
    [job] = await store.claim("w1", 1, 30);
    assert.equal(job?.id, "r");
    assert.equal(job.attempts, 2);

    // attempt 2 times out: retry due 2^2 s later
    after = await end(store, "w1", job, { kind: "timeout", after: 10 });
    assert.equal(after?.state, "failed");
    assert.equal(after?.exit_code, null);
    assert.equal(after?.last_error, "timed out after 10s");
    assert.equal(after?.run_at, at(11 * S));
    clock.advance(4 * S);
    [job] = await store.claim("w1", 1, 30);
    assert.equal(job?.attempts, 3);

    // attempt 3 = 1 + max_retries fails: dead
    after = await end(store, "w1", job, exit(1));
    assert.equal(after?.state, "dead");
    assert.equal(after?.attempts, 3);
    assert.equal(after?.last_error, "exit code 1");
    assert.deepEqual(await store.get("r"), after);
    assert.deepEqual(await store.counts(), { pending: 0, processing: 0, completed: 0, failed: 0, dead: 1 });
    assert.equal(await store.hasWork(), false);
    assert.equal(await store.nextDue(), null);
    assert.deepEqual(await store.claim("w1", 1, 30), [], "a dead job is never claimed");
  });

  test("the backoff is capped by backoff_max, and max_retries 0 goes straight to dead", async ({ store }) => {
    await store.enqueue([spec("capped", { max_retries: 5 }), spec("once", { max_retries: 0 })], 3);
    const jobs = await store.claim("w1", 2, 30);
    const byId = new Map(jobs.map((j) => [j.id, j]));
    const capped = await store.finish({
      worker: "w1",
      id: "capped",
      attempt: 1,
      outcome: exit(1),
      tail: null,
      config: { backoff_base: 10, backoff_max: 5 },
    });
    assert.equal(capped?.run_at, at(5 * S));
    assert.equal(
      (await end(store, "w1", byId.get("once")!, { kind: "killed", signal: "SIGTERM" }))?.state,
      "dead",
    );
  });

  test("finish and started by another worker or for a stale attempt return null and change nothing", async ({ store, clock }) => {
    await store.enqueue([spec("j", { max_retries: 3 })], 3);
    const [job] = await store.claim("w1", 1, 30);
    const held = await store.get("j");
    const head = await store.head();
    assert.equal(await end(store, "w2", job, ok), null, "another worker");
    assert.equal(
      await store.finish({ worker: "w1", id: "j", attempt: 2, outcome: ok, tail: null, config: CONFIG }),
      null,
      "a later attempt number",
    );
    assert.equal(
      await store.finish({ worker: "w1", id: "nope", attempt: 1, outcome: ok, tail: null, config: CONFIG }),
      null,
      "an unknown job",
    );
    assert.equal(await store.started("w2", "j", 1, 4321, null), false);
    assert.equal(await store.started("w1", "j", 2, 4321, null), false);
    assert.deepEqual(await store.get("j"), held);
    assert.equal(await store.head(), head, "refused guards commit nothing");

    assert.equal(await store.started("w1", "j", 1, 4321, 99), true);
    const running = await store.get("j");
    assert.equal(running?.pid, 4321);
    assert.equal(running?.pid_start, 99);

    // the lease runs out, the job is taken back and claimed by w2: w1's late finish is stale
    clock.advance(31 * S);
    const [lost] = await store.lost(never);
    assert.equal((await store.takeBack(lost, never, CONFIG))?.state, "failed");
    clock.advance(2 * S);
    const [again] = await store.claim("w2", 1, 30);
    assert.equal(again?.attempts, 2);
    assert.equal(await end(store, "w1", job, ok), null, "w1's attempt 1 is over");
    assert.equal(await store.started("w1", "j", 1, 4321, 99), false);
    const now = await store.get("j");
    assert.equal(now?.state, "processing");
    assert.equal(now?.worker, "w2");
    assert.equal((await end(store, "w2", again, ok))?.state, "completed");
  });

  test("renew extends the leases of the worker's own jobs, all or the ones named", async ({ store, clock }) => {
    await store.enqueue([spec("a"), spec("b"), spec("c")], 3);
    assert.deepEqual(ids(await store.claim("w1", 2, 30)), ["a", "b"]);
    assert.deepEqual(ids(await store.claim("w2", 1, 30)), ["c"]);
    clock.advance(20 * S);
    await store.renew("w1", 30);
    assert.equal((await store.get("a"))?.lease_until, at(50 * S));
    assert.equal((await store.get("b"))?.lease_until, at(50 * S));
    assert.equal((await store.get("c"))?.lease_until, at(30 * S), "another worker's lease is untouched");
    clock.advance(5 * S);
    await store.renew("w1", 60, ["a"]);
    assert.equal((await store.get("a"))?.lease_until, at(85 * S));
    assert.equal((await store.get("b"))?.lease_until, at(50 * S), "only the named job");
    await store.renew("w1", 60, ["c"]);
    assert.equal(
      (await store.get("c"))?.lease_until,
      at(30 * S),
      "a job held by another worker is not renewed",
    );
    const head = await store.head();
    await store.renew("w3", 60);
    assert.equal(await store.head(), head, "a worker holding nothing renews nothing");
    clock.advance(6 * S); // T0+31s
    assert.deepEqual(ids(await store.lost(never)), ["c"]);
  });

  test("lost() finds expired leases and takeBack() counts them as failed attempts, then dead", async ({ store, clock }) => {
    await store.enqueue([spec("j", { max_retries: 1 })], 3);
    const [job] = await store.claim("w1", 1, 30);
    clock.advance(30 * S);
    assert.deepEqual(await store.lost(never), [], "a lease is valid up to and including lease_until");
    clock.advance(1);
    const lost = await store.lost(never);
    assert.deepEqual(ids(lost), ["j"]);
    assert.equal(lost[0].worker, "w1");
    assert.equal(lost[0].attempts, 1);

    const back = await store.takeBack(lost[0], never, CONFIG);
    assert.ok(back);
    assert.equal(back.state, "failed");
    assert.equal(back.last_error, "worker lost");
    assert.equal(back.exit_code, null);
    assert.equal(back.worker, null);
    assert.equal(back.lease_until, null);
    assert.equal(back.run_at, new Date(T0 + 30 * S + 1 + 2 * S).toISOString());
    assert.deepEqual(await store.get("j"), back);
    assert.equal(await store.takeBack(lost[0], never, CONFIG), null, "only once");
    assert.equal(await end(store, "w1", job, ok), null, "the lost worker's finish is refused");
    assert.deepEqual(await store.lost(never), []);

    clock.advance(2 * S);
    const [second] = await store.claim("w2", 1, 10);
    assert.equal(second.attempts, 2);
    clock.advance(10 * S + 1);
    const [lostAgain] = await store.lost(never);
    assert.equal((await store.takeBack(lostAgain, never, CONFIG))?.state, "dead");
    assert.deepEqual(await store.counts(), { pending: 0, processing: 0, completed: 0, failed: 0, dead: 1 });
  });

  test("lost() and takeBack() recognise a dead worker before its lease expires", async ({ store }) => {
    await store.enqueue([spec("a"), spec("b")], 3);
    await store.claim("w1", 1, 300);
    await store.claim("w2", 1, 300);
    const w1Dead = (w: string) => w === "w1";
    assert.deepEqual(await store.lost(never), []);
    const lost = await store.lost(w1Dead);
    assert.deepEqual(ids(lost), ["a"]);
    const back = await store.takeBack(lost[0], w1Dead, CONFIG);
    assert.equal(back?.state, "failed");
    assert.equal(back?.last_error, "worker lost");
    const b = (await store.get("b"))!;
    assert.equal(
      await store.takeBack(b, w1Dead, CONFIG),
      null,
      "a live worker's job with a valid lease stays",
    );
    assert.equal((await store.get("b"))?.state, "processing");
    assert.equal((await store.get("b"))?.worker, "w2");
  });

  test("an expired lease is final: renew does not revive it, started is refused, and takeBack proceeds", async ({ store, clock }) => {
    await store.enqueue([spec("j")], 3);
    await store.claim("w1", 1, 10);
    clock.advance(11 * S);
    const [lost] = await store.lost(never);
    assert.equal(lost.id, "j");
    await store.renew("w1", 30);
    assert.equal((await store.get("j"))?.lease_until, at(10 * S), "the expired lease is not revived");
    assert.equal(await store.started("w1", "j", 1, 4242, null), false);
    const back = await store.takeBack(lost, never, CONFIG);
    assert.equal(back?.state, "failed");
    assert.equal(back?.last_error, "worker lost");
  });

  test("takeBack refuses a job whose lease was renewed while still valid since lost() saw it", async ({ store, clock }) => {
    await store.enqueue([spec("j")], 3);
    await store.claim("w1", 1, 10);
    clock.advance(5 * S);
    const [lost] = await store.lost(() => true); // w1 looked dead to the rescuer...
    assert.equal(lost.id, "j");
    await store.renew("w1", 30); // ...but renews in time
    assert.equal(await store.takeBack(lost, never, CONFIG), null);
    const j = await store.get("j");
    assert.equal(j?.state, "processing");
    assert.equal(j?.worker, "w1");
    assert.equal(j?.lease_until, at(35 * S));
  });

  test("retryDead moves dead jobs back to pending with fresh attempts and refuses anything else", async ({ store, clock }) => {
    await store.enqueue([spec("d1", { max_retries: 0 }), spec("d2", { max_retries: 0 }), spec("c")], 3);
    for (const job of await store.claim("w1", 3, 30)) {
      await end(store, "w1", job, job.id === "c" ? ok : exit(2));
    }
    assert.deepEqual(ids(await store.list({ state: "dead" })), ["d1", "d2"]);
    const head = await store.head();
    await assert.rejects(store.retryDead(["d1", "c"]), refusal(/"c"/));
    await assert.rejects(store.retryDead(["nope"]), refusal(/"nope"/));
    assert.equal(await store.head(), head);
    assert.deepEqual(ids(await store.list({ state: "dead" })), ["d1", "d2"], "all or nothing");

    clock.advance(9 * S);
    assert.deepEqual(ids(await store.retryDead(["d1"])), ["d1"]);
    const d1 = await store.get("d1");
    assert.equal(d1?.state, "pending");
    assert.equal(d1?.attempts, 0);
    assert.equal(d1?.exit_code, null);
    assert.equal(d1?.last_error, null);
    assert.equal(d1?.run_at, at(9 * S));
    assert.deepEqual(ids(await store.retryDead("all")), ["d2"]);
    assert.deepEqual(await store.retryDead("all"), []);
    assert.deepEqual(await store.counts(), { pending: 2, processing: 0, completed: 1, failed: 0, dead: 0 });
    assert.deepEqual(ids(await store.claim("w1", 5, 30)), ["d1", "d2"]);
  });

  test("delete removes waiting and finished jobs, refuses processing ones, all or nothing", async ({ store }) => {
    await store.enqueue([
      spec("run"),
      spec("done"),
      spec("dead", { max_retries: 0 }),
      spec("fail", { max_retries: 1 }),
    ], 3);
    for (const job of await store.claim("w1", 4, 30)) {
      if (job.id === "done") await end(store, "w1", job, ok);
      if (job.id === "dead" || job.id === "fail") await end(store, "w1", job, exit(1));
    }
    await store.enqueue([spec("wait")], 3);
    assert.deepEqual(await store.counts(), { pending: 1, processing: 1, completed: 1, failed: 1, dead: 1 });

    const head = await store.head();
    await assert.rejects(store.delete(["wait", "run"]), refusal(/"run".*processing/));
    await assert.rejects(store.delete(["nope"]), refusal(/"nope"/));
    await assert.rejects(store.delete(["wait"], ["dead"]), refusal(/"wait"/));
    assert.equal(await store.head(), head, "refusals commit nothing");
    assert.equal((await store.get("wait"))?.state, "pending");
    assert.equal((await store.get("run"))?.state, "processing");

    assert.deepEqual(ids(await store.delete(["dead"], ["dead"])), ["dead"]);
    assert.deepEqual(ids(await store.delete(["wait", "done", "fail", "wait"])), ["wait", "done", "fail"]);
    for (const id of ["wait", "done", "fail", "dead"]) assert.equal(await store.get(id), undefined);
    assert.deepEqual(ids(await store.list()), ["run"]);
    assert.deepEqual(await store.counts(), { pending: 0, processing: 1, completed: 0, failed: 0, dead: 0 });
    // an id is free again once its job is deleted
    assert.deepEqual(ids(await store.enqueue([spec("done")], 3)), ["done"]);
  });

  test("delete refuses a processing job even when the caller allows the processing state", async ({ store }) => {
    await store.enqueue([spec("run"), spec("wait")], 3);
    await store.claim("w1", 1, 30);
    const head = await store.head();
    await assert.rejects(
      store.delete(["wait", "run"], ["pending", "processing"]),
      refusal(/"run".*processing/),
    );
    assert.equal(await store.head(), head);
    assert.equal((await store.get("run"))?.state, "processing");
    assert.equal((await store.get("wait"))?.state, "pending");
  });

  test("requestStop is seen by workers that started before it, not by those that start after", async ({ store }) => {
    await store.enqueue([spec("a")], 3);
    const seenByOld = await store.head();
    assert.ok(await store.stopSeq() <= seenByOld, "no stop is pending at first");
    const stop = await store.requestStop();
    assert.ok(stop > seenByOld);
    assert.equal(await store.stopSeq(), stop);
    assert.ok(await store.stopSeq() > seenByOld, "an old worker stops");
    const seenByNew = await store.head();
    assert.ok(seenByNew >= stop);
    await store.enqueue([spec("b")], 3);
    assert.equal(await store.stopSeq(), stop, "other writes do not move the stop request");
    assert.ok(await store.stopSeq() <= seenByNew, "a new worker keeps running");
    const again = await store.requestStop();
    assert.ok(again > stop);
    assert.equal(await store.stopSeq(), again);
  });

  test("head advances with every committed change and not with reads or empty claims", async ({ store }) => {
    const h0 = await store.head();
    await store.enqueue([spec("a")], 3);
    const h1 = await store.head();
    assert.ok(h1 > h0);
    await store.get("a");
    await store.list();
    await store.counts();
    await store.hasWork();
    await store.nextDue();
    await store.lost(never);
    assert.equal(await store.head(), h1);
    const [job] = await store.claim("w1", 1, 30);
    const h2 = await store.head();
    assert.ok(h2 > h1);
    assert.deepEqual(await store.claim("w1", 1, 30), []);
    assert.equal(await store.head(), h2);
    await end(store, "w1", job, ok);
    assert.ok(await store.head() > h2);
  });

  test("hasWork and nextDue describe what is waiting", async ({ store, clock }) => {
    assert.equal(await store.hasWork(), false);
    assert.equal(await store.nextDue(), null);
    await store.enqueue([spec("f", { run_at: at(100 * S) }), spec("g", { run_at: at(50 * S) })], 3);
    assert.equal(await store.hasWork(), false, "only future jobs");
    assert.equal(await store.nextDue(), at(50 * S));
    await store.enqueue([spec("n")], 3);
    assert.equal(await store.hasWork(), true);
    assert.equal(await store.nextDue(), at(50 * S), "a due job is not in the future");
    const [n] = await store.claim("w1", 1, 30);
    assert.equal(n.id, "n");
    assert.equal(await store.hasWork(), false);
    clock.advance(1 * S);
    await end(store, "w1", n, exit(1));
    assert.equal(await store.hasWork(), true, "a failed job waiting for its retry");
    assert.equal(await store.nextDue(), at(3 * S));
    clock.advance(50 * S);
    assert.equal(await store.nextDue(), at(100 * S));
    assert.deepEqual(ids(await store.claim("w1", 5, 30)), ["n", "g"]);
    clock.advance(50 * S);
    assert.equal(await store.nextDue(), null);
    assert.equal(await store.hasWork(), true);
  });
}
