/**
 * Properties of the job state machine (transition() in job.ts, with decideFinish() choosing where
 * a finished attempt goes): for random event sequences (claims by several workers, starts and
 * finishes by the holder, by a rescuer and by a late worker, renewals, DLQ retries) a job never
 * reaches an invalid state, never runs more than max_retries + 1 attempts between DLQ retries,
 * is dead only once its attempts are exhausted, and a refused event leaves it untouched.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Job, JOB_STATES, type JobEvent, newJob, transition, TransitionError } from "./job.ts";
import { decideFinish } from "./store/decide.ts";
import { QueueState } from "./store/state.ts";

const BACKOFF = { backoff_base: 2, backoff_max: 60 };
const T0 = Date.parse("2026-01-01T00:00:00Z");

const arbEvent = fc.oneof(
  fc.record({ k: fc.constant("claim" as const), worker: fc.constantFrom("w1", "w2") }),
  fc.record({ k: fc.constant("started" as const), late: fc.boolean() }),
  fc.constant({ k: "renew" as const }),
  fc.record({
    k: fc.constant("finish" as const),
    by: fc.constantFrom("holder", "holder", "rescuer", "late", "stranger"),
    ok: fc.boolean(),
  }),
  fc.constant({ k: "retry" as const }),
);
type Ev = typeof arbEvent extends fc.Arbitrary<infer T> ? T : never;

/** The job event for `ev`, as the store would record it; null when the store would write nothing. */
function eventFor(job: Job, ev: Ev, now: Date): JobEvent | null {
  const lease_until = new Date(now.getTime() + 30_000).toISOString();
  switch (ev.k) {
    case "claim":
      return { type: "claim", worker: ev.worker, lease_until };
    case "started":
      return {
        type: "started",
        worker: job.worker ?? "w1",
        attempt: job.attempts - (ev.late ? 1 : 0),
        pid: 42,
        pid_start: null,
      };
    case "renew":
      return { type: "renew", lease_until };
    case "retry":
      return { type: "retry" };
    case "finish": {
      const worker = ev.by === "rescuer" ? null : ev.by === "stranger" ? "w9" : job.worker ?? "w1";
      const attempt = ev.by === "late" ? job.attempts - 1 : job.attempts;
      const state = new QueueState();
      state.put(job);
      const d = decideFinish(state, {
        id: job.id,
        worker,
        attempt,
        outcome: ev.ok ? { kind: "exited", code: 0 } : { kind: "exited", code: 1 },
        tail: null,
        config: BACKOFF,
      }, now);
      if (d.records.length === 0) return null;
      const { type: _t, id: _id, ...rest } = d.records[0] as Extract<typeof d.records[0], { type: "finish" }>;
      return { type: "finish", ...rest };
    }
  }
}

function assertValid(job: Job): void {
  assert.ok((JOB_STATES as readonly string[]).includes(job.state), job.state);
  assert.ok(
    Number.isInteger(job.attempts) && job.attempts >= 0 && job.attempts <= job.max_retries + 1,
    `attempts ${job.attempts}`,
  );
  if (job.state === "dead") {
    assert.strictEqual(job.attempts, job.max_retries + 1, "dead only once attempts are exhausted");
  }
  if (job.state === "failed") assert.ok(job.attempts <= job.max_retries, "failed only while a retry is left");
  const held = job.state === "processing";
  assert.strictEqual(job.worker !== null, held, "a worker holds exactly the processing jobs");
  assert.strictEqual(job.lease_until !== null, held, "a lease exists exactly for processing jobs");
  if (job.state === "pending") assert.strictEqual(job.last_error, null);
  if (job.state === "completed") assert.strictEqual(job.exit_code, 0);
}

Deno.test("property: any event sequence keeps a job valid, its attempts bounded, and dead only after the last attempt", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 4 }),
      fc.array(arbEvent, { maxLength: 60 }),
      (maxRetries, events) => {
        let job = newJob({
          id: "j1",
          command: "true",
          max_retries: maxRetries,
          priority: 0,
          run_at: new Date(T0).toISOString(),
          timeout: null,
          cwd: null,
          seq: 1,
        }, new Date(T0).toISOString());
        let claims = 0;
        for (let i = 0; i < events.length; i++) {
          const now = new Date(T0 + (i + 1) * 1000);
          const event = eventFor(job, events[i], now);
          if (!event) {
            // decideFinish writes nothing for anyone but the holder of the current attempt
            const ev = events[i];
            assert.ok(
              ev.k === "finish" && (job.state !== "processing" || ev.by === "late" || ev.by === "stranger"),
            );
            continue;
          }
          const before = structuredClone(job);
          try {
            const next = transition(job, event, now.toISOString());
            assert.deepStrictEqual(job, before, "transition() never mutates its input");
            if (event.type === "claim") {
              assert.strictEqual(next.attempts, job.attempts + 1);
              claims++;
            }
            if (event.type === "retry") claims = 0;
            job = next;
          } catch (e) {
            assert.ok(e instanceof TransitionError, String(e));
            assert.deepStrictEqual(job, before);
          }
          assertValid(job);
          assert.strictEqual(job.attempts, claims, "attempts count the claims since the last DLQ retry");
        }
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("property: completed is final, and dead is left only by a DLQ retry", () => {
  fc.assert(
    fc.property(arbEvent, fc.constantFrom("completed", "dead"), (ev, state) => {
      const job: Job = {
        ...newJob({
          id: "j",
          command: "true",
          max_retries: 1,
          priority: 0,
          run_at: "2026-01-01T00:00:00.000Z",
          timeout: null,
          cwd: null,
          seq: 1,
        }, "2026-01-01T00:00:00.000Z"),
        state,
        attempts: state === "dead" ? 2 : 1,
        exit_code: state === "dead" ? 1 : 0,
      };
      const event = eventFor(job, ev, new Date(T0));
      if (!event) return;
      const accepted = (() => {
        try {
          transition(job, event, "2026-01-01T00:00:01.000Z");
          return true;
        } catch (e) {
          assert.ok(e instanceof TransitionError);
          return false;
        }
      })();
      assert.strictEqual(accepted, state === "dead" && event.type === "retry");
    }),
  );
});
