/** The JSON endpoints through the handler, without a port: answers and every error. */
import assert from "node:assert/strict";
import { JOB_STATES } from "../job.ts";
import { parseJobJson } from "../validate.ts";
import { waitFor } from "../../testkit/mod.ts";
import type { FileStore } from "../store/file_store.ts";
import type { ListQuery, Store } from "../store/mod.ts";
import { body, ORIGIN, runJobs, withHarness } from "./test_harness.ts";
import { claimFor } from "../../testkit/store.ts";

/** The sentence the CLI prints for this job JSON (after `error: `). */
function cliSentence(text: string): string {
  try {
    parseJobJson(text);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`the CLI accepts ${text}`);
}

Deno.test("GET /api/status answers counts, workers, config, the oldest pending age and the head", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue([{ id: "a", command: "true" }, {
      id: "b",
      command: "true",
      run_at: "2099-01-01T00:00:00Z",
    }], { max_retries: 3 });
    h.clock.now = new Date(h.clock.now.getTime() + 90_000);
    h.workers.push({
      id: "w-1",
      pid: 42,
      slots: 2,
      started_at: "2026-03-01T12:00:00.000Z",
      heartbeat_at: "2026-03-01T12:01:00.000Z",
      jobs: [],
      stopping: false,
    });
    const res = await h.fetch("/api/status");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^application\/json/);
    const s = await body(res);
    assert.deepEqual(s.counts, { pending: 2, processing: 0, completed: 0, failed: 0, dead: 0 });
    assert.deepEqual(s.workers.map((w: { id: string }) => w.id), ["w-1"]);
    assert.equal(s.config.max_retries, 3);
    assert.equal(s.oldest_pending_age_seconds, 90, "the future job is not waiting");
    assert.equal(s.head, await h.store.head());
  });
});

Deno.test("GET /api/status on an empty home says so, and creates no file", async () => {
  await withHarness(async (h) => {
    const s = await body(await h.fetch("/api/status"));
    assert.deepEqual(s.counts, Object.fromEntries(JOB_STATES.map((st) => [st, 0])));
    assert.equal(s.oldest_pending_age_seconds, null);
    assert.equal(s.head, 0);
    assert.throws(() => Deno.statSync(h.home), Deno.errors.NotFound);
  });
});

Deno.test("GET /api/jobs filters by state and text, orders both ways, and totals without a text", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue([
      { id: "build-1", command: "make all" },
      { id: "test-1", command: "make TEST" },
      { id: "deploy", command: "./ship.sh" },
    ], { max_retries: 0 });
    await runJobs(h, ["build-1"], 0);
    const all = await body(await h.fetch("/api/jobs"));
    assert.deepEqual(all.jobs.map((j: { id: string }) => j.id), ["build-1", "test-1", "deploy"]);
    assert.equal(all.total, 3);
    assert.equal(all.next_cursor, null);
    assert.deepEqual(all.jobs[0], await h.store.get("build-1"), "the job as show --json prints it");
    const desc = await body(await h.fetch("/api/jobs?order=desc"));
    assert.deepEqual(desc.jobs.map((j: { id: string }) => j.id), ["deploy", "test-1", "build-1"]);
    const pending = await body(await h.fetch("/api/jobs?state=pending"));
    assert.deepEqual(pending.jobs.map((j: { id: string }) => j.id), ["test-1", "deploy"]);
    assert.equal(pending.total, 2);
    const found = await body(await h.fetch("/api/jobs?q=test"));
    assert.deepEqual(found.jobs.map((j: { id: string }) => j.id), ["test-1"]);
    assert.equal(found.total, null, "no cheap total for a text search");
    const byCommand = await body(await h.fetch("/api/jobs?q=MAKE&state=pending"));
    assert.deepEqual(byCommand.jobs.map((j: { id: string }) => j.id), ["test-1"]);
  });
});

Deno.test("GET /api/jobs refuses bad parameters with 400 and a sentence naming the parameter", async () => {
  await withHarness(async (h) => {
    const cases: Array<[string, RegExp]> = [
      ["state=done", /^Invalid state "done": expected one of pending, processing, completed, failed, dead$/],
      ["order=up", /^Invalid order "up": expected asc or desc$/],
      ["limit=0", /^Invalid limit "0": expected a whole number from 1 to 500$/],
      ["limit=501", /^Invalid limit "501"/],
      ["limit=abc", /^Invalid limit "abc"/],
      ["limit=-1", /^Invalid limit "-1"/],
      ["cursor=zzz", /^Invalid cursor "zzz"/],
      [
        `cursor=${btoa("asc:5")}&order=desc`,
        /^Invalid cursor: it continues a listing in "asc" order, not "desc"$/,
      ],
      [`q=${"x".repeat(201)}`, /^Invalid q: it is longer than 200 characters$/],
    ];
    for (const [query, sentence] of cases) {
      const res = await h.fetch(`/api/jobs?${query}`);
      assert.equal(res.status, 400, query);
      assert.match((await body(res)).error, sentence, query);
    }
  });
});

Deno.test("GET /api/jobs/:id answers the job, 404 for an unknown id, 400 for an id the CLI refuses", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue([{ id: "job.1@x", command: "true" }], { max_retries: 3 });
    const res = await h.fetch("/api/jobs/job.1%40x");
    assert.equal(res.status, 200);
    assert.deepEqual(await body(res), await h.store.get("job.1@x"));
    const missing = await h.fetch("/api/jobs/nope");
    assert.equal(missing.status, 404);
    assert.deepEqual(await body(missing), { error: 'Cannot show job "nope": no such job' });
    for (const bad of ["a%2Fb", "..%2F..%2Fetc%2Fpasswd", "-x", "a%20b", "%2E%2E%2F"]) {
      const r = await h.fetch(`/api/jobs/${bad}`);
      assert.equal(r.status, 400, bad);
      assert.match((await body(r)).error, /^Invalid job id "/, bad);
    }
    assert.equal((await h.fetch("/api/jobs/%E0%A4%A")).status, 400, "bad percent-encoding");
  });
});

Deno.test("GET /api/jobs/:id/logs answers the tail of the output, read from the end, and whether it runs", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue([{ id: "loud", command: "yes" }, { id: "quiet", command: "true" }], {
      max_retries: 3,
    });
    await claimFor(h.store, "w1", 1, 600);
    Deno.mkdirSync(h.paths.logsDir, { recursive: true });
    const head = "=== attempt 1 of 4 · 2026-03-01T12:00:30.000Z · worker w1 ===\n";
    const line = "y".repeat(1023) + "\n";
    Deno.writeTextFileSync(h.paths.jobLog("loud"), head + line.repeat(3 * 1024) + "last line: é\n");
    const size = Deno.statSync(h.paths.jobLog("loud")).size;
    const r = await body(await h.fetch("/api/jobs/loud/logs?tail=13"));
    assert.deepEqual(r, {
      id: "loud",
      state: "processing",
      attempts: 1,
      output: "ast line: é\n",
      bytes: size,
      truncated: true,
      running: true,
    });
    const cut = await body(await h.fetch("/api/jobs/loud/logs?tail=2"));
    assert.equal(cut.output, "\n", "half a character at the start is dropped");
    const whole = await body(await h.fetch("/api/jobs/loud/logs"));
    assert.equal(whole.output.length, 65_536 - 1, "the default tail, less the é's second byte");
    assert.ok(whole.output.endsWith("last line: é\n"));
    const none = await body(await h.fetch("/api/jobs/quiet/logs"));
    assert.deepEqual(none, {
      id: "quiet",
      state: "pending",
      attempts: 0,
      output: "",
      bytes: 0,
      truncated: false,
      running: false,
    });
    const missing = await h.fetch("/api/jobs/nope/logs");
    assert.equal(missing.status, 404);
    assert.equal((await body(missing)).error, 'Cannot show the output of job "nope": no such job');
    const bad = await h.fetch("/api/jobs/loud/logs?tail=2000000");
    assert.equal(bad.status, 400);
    assert.match(
      (await body(bad)).error,
      /^Invalid tail "2000000": expected a whole number from 0 to 1048576$/,
    );
  });
});

Deno.test("POST /api/jobs enqueues the JSON the CLI accepts (201), in the dashboard's directory", async () => {
  await withHarness(async (h) => {
    const res = await h.send("POST", "/api/jobs", {
      id: "j1",
      command: "echo hi",
      priority: 5,
      max_retries: 1,
    });
    assert.equal(res.status, 201);
    const job = await body(res);
    assert.equal(job.state, "pending");
    assert.equal(job.priority, 5);
    assert.equal(job.cwd, h.home.slice(0, -"/home".length));
    assert.deepEqual(job, await h.store.get("j1"));
    const generated = await body(await h.send("POST", "/api/jobs", { command: "true" }));
    assert.equal(generated.max_retries, 3, "the home's default max_retries");
    assert.match(generated.id, /^[0-9a-z]{18}$/);
  });
});

Deno.test("POST /api/jobs refuses every kind of bad job with 400 and the CLI's own sentence, writing nothing", async () => {
  await withHarness(async (h) => {
    const bad = [
      "not json",
      "[1,2]",
      '"echo"',
      "{}",
      '{"command":"true","nope":1}',
      '{"command":42}',
      '{"command":"   "}',
      '{"command":"a\\u0000b"}',
      '{"command":"true","id":"../x"}',
      '{"command":"true","id":7}',
      '{"command":"true","max_retries":-1}',
      '{"command":"true","max_retries":1.5}',
      '{"command":"true","priority":"high"}',
      '{"command":"true","run_at":"tomorrow"}',
      '{"command":"true","run_at":"2026-02-30T00:00:00Z"}',
      '{"command":"true","timeout":0}',
      '{"command":"true","timeout":"1h"}',
    ];
    for (const text of bad) {
      const res = await h.send("POST", "/api/jobs", text);
      assert.equal(res.status, 400, text);
      assert.deepEqual(await body(res), { error: cliSentence(text) }, text);
    }
    assert.equal(await h.store.head(), 0);
  });
});

Deno.test("POST /api/jobs answers 409 for an id that exists, with the CLI's sentence", async () => {
  await withHarness(async (h) => {
    await h.send("POST", "/api/jobs", { id: "same", command: "true" });
    const res = await h.send("POST", "/api/jobs", { id: "same", command: "true" });
    assert.equal(res.status, 409);
    assert.deepEqual(await body(res), {
      error: 'Cannot enqueue job "same": a job with this id already exists',
    });
  });
});

Deno.test("a job whose command is markup comes back JSON-escaped: no markup in the bytes, the same string parsed", async () => {
  await withHarness(async (h) => {
    const command = "<script>alert(1)</script>";
    const created = await h.send("POST", "/api/jobs", { id: "xss", command });
    for (const res of [created, await h.fetch("/api/jobs/xss"), await h.fetch("/api/jobs?q=script")]) {
      assert.match(res.headers.get("content-type")!, /^application\/json/);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      const text = await res.text();
      assert.ok(!text.includes("<"), text);
      assert.ok(text.includes("\\u003cscript\\u003e"), text);
      const value = JSON.parse(text);
      assert.equal((value.jobs?.[0] ?? value).command, command);
    }
  });
});

Deno.test("POST /api/jobs/:id/retry moves a dead job back to pending; 409 when not dead, 404 when unknown", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue([{ id: "d", command: "false", max_retries: 0 }, { id: "p", command: "true" }], {
      max_retries: 3,
    });
    await runJobs(h, ["d"], 1);
    assert.equal((await h.store.get("d"))!.state, "dead");
    const res = await h.send("POST", "/api/jobs/d/retry");
    assert.equal(res.status, 200);
    const job = await body(res);
    assert.equal(job.state, "pending");
    assert.equal(job.attempts, 0);
    const notDead = await h.send("POST", "/api/jobs/p/retry");
    assert.equal(notDead.status, 409);
    assert.deepEqual(await body(notDead), {
      error: 'Cannot retry job "p": it is pending, not dead (only DLQ jobs can be retried)',
    });
    const unknown = await h.send("POST", "/api/jobs/zz/retry");
    assert.equal(unknown.status, 404);
    assert.deepEqual(await body(unknown), { error: 'Cannot retry job "zz": no such job' });
  });
});

Deno.test("POST /api/dlq/retry retries every dead job", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue(["d1", "d2", "ok"].map((id) => ({ id, command: "x", max_retries: 0 })), {
      max_retries: 3,
    });
    await runJobs(h, ["d1", "d2"], 1);
    const res = await h.send("POST", "/api/dlq/retry");
    assert.equal(res.status, 200);
    assert.deepEqual(await body(res), { retried: ["d1", "d2"] });
    assert.deepEqual(await body(await h.send("POST", "/api/dlq/retry")), { retried: [] });
    assert.equal((await h.store.counts()).pending, 3);
  });
});

Deno.test("DELETE /api/jobs/:id deletes the job and its output; 409 while processing, 404 when unknown", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue([{ id: "run", command: "sleep 9" }, { id: "gone", command: "true" }], {
      max_retries: 3,
    });
    await claimFor(h.store, "w1", 1, 600);
    Deno.mkdirSync(h.paths.logsDir, { recursive: true });
    Deno.writeTextFileSync(h.paths.jobLog("gone"), "output\n");
    const res = await h.send("DELETE", "/api/jobs/gone");
    assert.equal(res.status, 200);
    assert.deepEqual(await body(res), { deleted: ["gone"] });
    assert.equal(await h.store.get("gone"), undefined);
    assert.throws(() => Deno.statSync(h.paths.jobLog("gone")), Deno.errors.NotFound);
    const busy = await h.send("DELETE", "/api/jobs/run");
    assert.equal(busy.status, 409);
    assert.deepEqual(await body(busy), {
      error: 'Cannot delete job "run": it is processing; wait for it to finish or stop its worker',
    });
    const unknown = await h.send("DELETE", "/api/jobs/gone");
    assert.equal(unknown.status, 404);
    assert.deepEqual(await body(unknown), { error: 'Cannot delete job "gone": no such job' });
  });
});

Deno.test("POST /api/workers/stop asks running workers to stop, and writes nothing when none runs", async () => {
  await withHarness(async (h) => {
    assert.deepEqual(await body(await h.send("POST", "/api/workers/stop")), { stopping: 0 });
    assert.equal(await h.store.stopSeq(), 0);
    h.workers.push(
      { id: "w-1", pid: 1, slots: 1, started_at: "", heartbeat_at: "", jobs: [], stopping: false },
      { id: "w-2", pid: 2, slots: 1, started_at: "", heartbeat_at: "", jobs: [], stopping: false },
    );
    assert.deepEqual(await body(await h.send("POST", "/api/workers/stop")), { stopping: 2 });
    assert.ok(await h.store.stopSeq() > 0);
  });
});

Deno.test("GET /api/throughput counts jobs completed and failed per minute over the hour, and their durations", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue(["a", "b", "c"].map((id) => ({ id, command: "x", max_retries: 0 })), {
      max_retries: 3,
    });
    await runJobs(h, ["a", "b"], 0, 2); // finish at 12:00:32
    h.clock.now = new Date("2026-03-01T12:05:10.000Z");
    await runJobs(h, ["c"], 1, 4); // dead at 12:05:14
    const t = await body(await h.fetch("/api/throughput"));
    assert.equal(t.minutes.length, 60);
    assert.equal(t.minutes[59].t, "2026-03-01T12:05:00.000Z");
    assert.deepEqual(t.minutes[59], { t: "2026-03-01T12:05:00.000Z", completed: 0, failed: 1 });
    assert.deepEqual(t.minutes[54], { t: "2026-03-01T12:00:00.000Z", completed: 2, failed: 0 });
    assert.equal(t.durations.count, 3);
    assert.equal(t.durations.p50, 2);
    assert.equal(t.durations.p99, 4);
    assert.deepEqual(t.durations.buckets.at(-1), { le: "+Inf", count: 3 });
  });
});

Deno.test("unknown paths answer 404 and wrong methods 405 with Allow, as JSON", async () => {
  await withHarness(async (h) => {
    const missing = await h.fetch("/api/nothing");
    assert.equal(missing.status, 404);
    assert.match((await body(missing)).error, /^No such page or endpoint: \/api\/nothing$/);
    const cases: Array<[string, string, string]> = [
      ["PUT", "/api/jobs", "GET, POST"],
      ["POST", "/api/status", "GET"],
      ["GET", "/api/dlq/retry", "POST"],
      ["PATCH", "/api/jobs/a", "GET, DELETE"],
      ["DELETE", "/metrics", "GET"],
      ["GET", "/api/jobs/a/retry", "POST"],
    ];
    for (const [method, path, allow] of cases) {
      const res = await h.fetch(path, { method, headers: { origin: ORIGIN } });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.get("allow"), allow);
      assert.match(
        (await body(res)).error,
        new RegExp(`^Method ${method} is not allowed here: use ${allow}$`),
      );
    }
  });
});

Deno.test("regression: retrying an archived completed job is a conflict (409), not 'no such job'", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue([{ id: "old", command: "true" }], { max_retries: 3 });
    await runJobs(h, ["old"], 0);
    await h.store.compact(); // "old" moves to the archive
    assert.equal((await h.store.get("old"))!.state, "completed");
    const res = await h.send("POST", "/api/jobs/old/retry");
    assert.equal(res.status, 409);
    assert.deepEqual(await body(res), {
      error: 'Cannot retry job "old": it is completed, not dead (only DLQ jobs can be retried)',
    });
  });
});

Deno.test("GET /api/throughput is kept for a while as the queue changes, then counts the new finishes", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue(["a", "b"].map((id) => ({ id, command: "x" })), { max_retries: 3 });
    await runJobs(h, ["a"], 0);
    const done = async () =>
      (await body(await h.fetch("/api/throughput"))).minutes.reduce(
        (n: number, m: { completed: number }) => n + m.completed,
        0,
      );
    assert.equal(await done(), 1);
    await runJobs(h, ["b"], 0); // the clock moves 1 s
    assert.equal(await done(), 1, "within 5 s of the last answer");
    h.clock.now = new Date(h.clock.now.getTime() + 50_000);
    assert.equal(await done(), 2, "long enough later");
  });
});

Deno.test("HEAD answers as GET does, without the body", async () => {
  await withHarness(async (h) => {
    for (const path of ["/", "/api/status", "/metrics", "/api/jobs/nope"]) {
      const get = await h.fetch(path);
      const head = await h.fetch(path, { method: "HEAD" });
      assert.equal(head.status, get.status, path);
      assert.equal(head.headers.get("content-type"), get.headers.get("content-type"), path);
      assert.equal(await head.text(), "", path);
      await get.body?.cancel();
    }
    const postOnly = await h.fetch("/api/dlq/retry", { method: "HEAD" });
    assert.equal(postOnly.status, 405);
    assert.equal(postOnly.headers.get("allow"), "POST");
    assert.equal(await postOnly.text(), "");
  });
});

/** A store whose reads of the pending jobs wait for `gate` (and report that they began). */
function gatedPending(gate: Promise<void>, began: () => void) {
  return (store: FileStore): Store =>
    new Proxy(store, {
      get(target, key) {
        if (key === "list") {
          return async (q?: ListQuery) => {
            if (q?.state === "pending") {
              began();
              await gate;
            }
            return target.list(q);
          };
        }
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
}

Deno.test("a read of the pending jobs that hangs does not hold up /api/status: it answers null, then the age", async () => {
  let release = () => {};
  const gate = new Promise<void>((resolve) => release = resolve);
  await withHarness(async (h) => {
    await h.store.enqueue([{ id: "a", command: "true" }], { max_retries: 3 });
    const first = await body(await h.fetch("/api/status"));
    assert.equal(first.oldest_pending_age_seconds, null, "not known yet");
    assert.equal(first.counts.pending, 1, "the rest of the answer is there");
    release();
    await waitFor(
      async () => (await body(await h.fetch("/api/status"))).oldest_pending_age_seconds === 0,
      "the age",
    );
  }, { wrapStore: gatedPending(gate, () => {}) });
});

Deno.test("a read of the pending jobs that ends while /api/status waits for it is in that answer", async () => {
  // the read is let go as soon as it begins: well within the PENDING_WAIT_MS the answer waits
  let release = () => {};
  const gate = new Promise<void>((resolve) => release = resolve);
  await withHarness(async (h) => {
    await h.store.enqueue([{ id: "a", command: "true" }], { max_retries: 3 });
    const first = await body(await h.fetch("/api/status"));
    assert.equal(first.oldest_pending_age_seconds, 0, "the first answer waited for the read");
  }, { wrapStore: gatedPending(gate, () => queueMicrotask(release)) });
});
