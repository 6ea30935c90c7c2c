/**
 * Properties of the job state machine (transition() in job.ts, with decideFinish() and settle()
 * choosing how an attempt ends): for random event sequences (claims by several workers under
 * fresh tokens, starts, renewals, finishes by the holder, by a rescuer, by a late worker with an
 * old token and by a stranger, unclaims, kill requests, burials, DLQ retries) a job never reaches
 * an invalid state, never runs more than max_retries + 1 counted attempts between DLQ retries, is
 * dead only for a reason (its last attempt, a kill, a burial), keeps a run open exactly while it
 * is processing, and a refused event leaves it untouched.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Job,
  JOB_STATES,
  type JobEvent,
  newJob,
  type Outcome,
  transition,
  TransitionError,
} from "./job.ts";
import { decideFinish } from "./store/decide/finish.ts";
import { QueueState } from "./store/state.ts";

const BACKOFF = { backoff_base: 2, backoff_max: 60 };
const T0 = Date.parse("2026-01-01T00:00:00Z");

const arbOutcome: fc.Arbitrary<Outcome> = fc.oneof(
  fc.constant({ kind: "exited" as const, code: 0 }),
  fc.integer({ min: 1, max: 3 }).map((code) => ({ kind: "exited" as const, code })),
  fc.constant({ kind: "timeout" as const, after: 5 }),
  fc.constant({ kind: "lost" as const }),
);

/** Which token an event names: the job's current one, or an older one (a late writer). */
const arbToken = fc.constantFrom("current", "current", "current", "stale");

const arbEvent = fc.oneof(
  fc.record({ k: fc.constant("claim" as const), worker: fc.constantFrom("w1", "w2") }),
  fc.record({ k: fc.constant("started" as const), late: fc.boolean() }),
  fc.constant({ k: "renew" as const }),
  fc.record({
    k: fc.constant("finish" as const),
    by: fc.constantFrom("holder", "holder", "rescuer", "stranger"),
    token: arbToken,
    outcome: arbOutcome,
  }),
  fc.record({ k: fc.constant("unclaim" as const), token: arbToken }),
  fc.record({ k: fc.constant("kill" as const), token: arbToken }),
  fc.constant({ k: "bury" as const }),
  fc.constant({ k: "retry" as const }),
);
type Ev = typeof arbEvent extends fc.Arbitrary<infer T> ? T : never;

/** The job event for `ev`, as the store would record it; null when the store would write nothing. */
function eventFor(job: Job, ev: Ev, now: Date, nextToken: number): JobEvent | null {
  const lease_until = new Date(now.getTime() + 30_000).toISOString();
  // a token no attempt of this job holds now (a claim token is never reused)
  const token = (t: "current" | "stale") =>
    t === "current" && job.claim !== null ? job.claim : (job.claim ?? 0) - 1;
  switch (ev.k) {
    case "claim":
      return {
        type: "claim",
        worker: ev.worker,
        claim: nextToken,
        lease_until,
        pid: 7,
        pid_start: 1,
        out: ["o", 0],
      };
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
    case "unclaim":
      return { type: "unclaim", claim: token(ev.token) };
    case "kill":
      return { type: "kill", claim: token(ev.token), reason: "killed" };
    case "bury":
      return { type: "bury", error: "cancelled" };
    case "retry":
      return { type: "retry" };
    case "finish": {
      const worker = ev.by === "rescuer" ? null : ev.by === "stranger" ? "w9" : job.worker ?? "w1";
      const state = new QueueState();
      state.put(job);
      const d = decideFinish(state, {
        id: job.id,
        worker,
        claim: token(ev.token),
        outcome: ev.outcome,
        tail: null,
        out_end: 10,
        config: BACKOFF,
      }, now);
      if (d.records.length === 0) return null;
      const r = d.records[0] as Extract<typeof d.records[0], { type: "finish" }>;
      return {
        type: "finish",
        worker: r.worker,
        claim: r.claim ?? null,
        to: r.to,
        exit_code: r.exit_code,
        error: r.error,
        run_at: r.run_at,
        tail: r.tail,
        out_end: r.out_end ?? null,
      };
    }
  }
}

function assertValid(job: Job): void {
  assert.ok((JOB_STATES as readonly string[]).includes(job.state), job.state);
  assert.ok(
    Number.isInteger(job.attempts) && job.attempts >= 0 && job.attempts <= job.max_retries + 1,
    `attempts ${job.attempts}`,
  );
  if (job.state === "failed") assert.ok(job.attempts <= job.max_retries, "failed only while a retry is left");
  if (job.state === "pending") {
    assert.strictEqual(job.attempts, 0, "a pending job has no attempt counted");
    assert.strictEqual(job.last_error, null);
  }
  const held = job.state === "processing";
  assert.strictEqual(job.worker !== null, held, "a worker holds exactly the processing jobs");
  assert.strictEqual(job.claim !== null, held, "a claim token exists exactly for processing jobs");
  assert.strictEqual(job.lease_until !== null, held, "a lease exists exactly for processing jobs");
  if (job.kill !== undefined) assert.ok(held, "a kill request only stands while the attempt runs");
  if (job.state === "completed") assert.strictEqual(job.exit_code, 0);
  const runs = job.runs ?? [];
  runs.slice(0, -1).forEach((r) =>
    assert.notStrictEqual(r.finished_at, null, "only the last run may be open")
  );
  assert.strictEqual(
    runs.at(-1)?.finished_at === null,
    held,
    "a run is open exactly while the job is processing",
  );
  if (held) assert.strictEqual(runs.at(-1)?.attempt, job.attempts, "the open run is the counted attempt");
}

function freshJob(maxRetries: number): Job {
  return newJob({
    id: "j1",
    command: "true",
    max_retries: maxRetries,
    priority: 0,
    run_at: null,
    timeout: null,
    cwd: null,
    seq: 1,
  }, new Date(T0).toISOString());
}

Deno.test("property: any event sequence keeps a job valid, its attempts bounded, and dead only for a reason", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 4 }),
      fc.array(arbEvent, { maxLength: 60 }),
      (maxRetries, events) => {
        let job = freshJob(maxRetries);
        let attempts = 0;
        let token = 100;
        for (let i = 0; i < events.length; i++) {
          const now = new Date(T0 + (i + 1) * 1000);
          const ev = events[i];
          const event = eventFor(job, ev, now, ++token);
          if (!event) {
            // decideFinish writes nothing for anyone but the holder of the current attempt, or a rescuer
            assert.ok(
              ev.k === "finish" &&
                (job.state !== "processing" || ev.token === "stale" || ev.by === "stranger"),
              `a finish was refused: ${JSON.stringify(ev)} on ${job.state}`,
            );
            continue;
          }
          const before = structuredClone(job);
          try {
            const next = transition(job, event, now.toISOString());
            assert.deepStrictEqual(job, before, "transition() never mutates its input");
            if (event.type === "claim") attempts++;
            if (event.type === "unclaim") attempts--;
            if (event.type === "retry") attempts = 0;
            if (event.type === "finish" && next.state === "dead") {
              assert.ok(
                before.kill !== undefined || before.attempts === before.max_retries + 1,
                "an attempt ends dead only when killed or the last",
              );
            }
            if (event.type === "finish" && before.kill !== undefined) {
              const exitedZero = ev.k === "finish" && ev.outcome.kind === "exited" && ev.outcome.code === 0;
              assert.strictEqual(
                next.state,
                exitedZero ? "completed" : "dead",
                "a kill request ends the attempt",
              );
              if (!exitedZero) assert.strictEqual(next.last_error, "killed");
            }
            if (event.type === "bury") assert.strictEqual(next.last_error, "cancelled");
            job = next;
          } catch (e) {
            assert.ok(e instanceof TransitionError, String(e));
            assert.deepStrictEqual(job, before, "a refused event leaves the job untouched");
            if ((ev.k === "unclaim" || ev.k === "kill") && ev.token === "stale") continue;
            if (ev.k === "started" && ev.late) continue;
            assert.ok(
              !(job.state === "processing" && ["renew", "unclaim", "kill", "started"].includes(ev.k)),
              `${ev.k} of the current attempt is accepted`,
            );
          }
          assertValid(job);
          assert.strictEqual(
            job.attempts,
            attempts,
            "attempts count the claims kept since the last DLQ retry",
          );
        }
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("property: an unclaim right after a claim gives back the job's state, attempts, runs and retry time", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3 }),
      fc.array(arbEvent, { maxLength: 30 }),
      (maxRetries, events) => {
        let job = freshJob(maxRetries);
        let token = 100;
        for (const [i, ev] of events.entries()) {
          const now = new Date(T0 + (i + 1) * 1000);
          const event = eventFor(job, ev, now, ++token);
          try {
            if (event) job = transition(job, event, now.toISOString());
          } catch {
            // refused: the job stays as it was
          }
        }
        if (job.state !== "pending" && job.state !== "failed") return;
        const at = new Date(T0 + 1000 * 1000).toISOString();
        const claimed = transition(job, {
          ...eventFor(job, { k: "claim", worker: "w1" }, new Date(at), 999)!,
        }, at);
        const back = transition(claimed, { type: "unclaim", claim: 999 }, at);
        const fields = (j: Job) => [j.state, j.attempts, j.run_at, j.last_error, j.exit_code, j.runs ?? []];
        assert.deepStrictEqual(fields(back), fields(job));
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("property: completed is final, and dead is left only by a DLQ retry", () => {
  fc.assert(
    fc.property(arbEvent, fc.constantFrom("completed", "dead"), (ev, state) => {
      const job: Job = {
        ...freshJob(1),
        state,
        attempts: state === "dead" ? 2 : 1,
        exit_code: state === "dead" ? 1 : 0,
      };
      const event = eventFor(job, ev, new Date(T0), 500);
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
