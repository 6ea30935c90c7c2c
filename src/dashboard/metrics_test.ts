/** /metrics through the handler, read back with a small parser of the Prometheus text format 0.0.4. */
import assert from "node:assert/strict";
import { JOB_STATES } from "../job.ts";
import { labelValue, renderMetrics } from "./metrics.ts";
import { runJobs, withHarness } from "./test_harness.ts";
import { durationsOf } from "./throughput.ts";
import { claimFor } from "../../testkit/store.ts";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Parsed {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Sample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\["\\\\n])*)"`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?\\})? (\\S+)$`);
const VALUE = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/;

/** Parses the exposition text, failing on any line that is not well-formed. */
function parse(text: string): Parsed {
  assert.ok(text.endsWith("\n"), "ends with a newline");
  const out: Parsed = { help: new Map(), type: new Map(), samples: [] };
  for (const line of text.slice(0, -1).split("\n")) {
    const meta = new RegExp(`^# (HELP|TYPE) (${NAME}) (.+)$`).exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      if (kind === "TYPE") {
        assert.match(rest, /^(counter|gauge|histogram|summary|untyped)$/, line);
        assert.ok(!out.type.has(name), `one TYPE for ${name}`);
        assert.ok(!out.samples.some((s) => s.name.startsWith(name)), `TYPE of ${name} before its samples`);
        out.type.set(name, rest);
      } else out.help.set(name, rest);
      continue;
    }
    const m = SAMPLE.exec(line);
    assert.ok(m, `well-formed sample line: ${JSON.stringify(line)}`);
    assert.match(m![m!.length - 1], VALUE, line);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m![2] ?? "").matchAll(new RegExp(LABEL, "g"))) labels[k] = v;
    const raw = m![m!.length - 1];
    out.samples.push({ name: m![1], labels, value: raw === "+Inf" ? Infinity : Number(raw) });
  }
  return out;
}

function family(p: Parsed, sample: string): string {
  return [...p.type.keys()].find((f) =>
    sample === f || (p.type.get(f) === "histogram" && /^(.*)_(bucket|sum|count)$/.exec(sample)?.[1] === f)
  )!;
}

function one(p: Parsed, name: string, labels: Record<string, string> = {}): number {
  const found = p.samples.filter((s) =>
    s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels)
  );
  assert.equal(found.length, 1, `${name} ${JSON.stringify(labels)}`);
  return found[0].value;
}

Deno.test("/metrics is well-formed text 0.0.4 whose numbers match the store's counts", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue([
      { id: "ok-1", command: "true" },
      { id: "ok-2", command: "true" },
      { id: "again", command: "false", max_retries: 2 },
      { id: "dead", command: "false", max_retries: 0 },
      { id: "busy", command: "sleep 9" },
      { id: "wait-1", command: "true" },
      { id: "wait-2", command: "true", run_at: "2099-01-01T00:00:00Z" },
    ], { max_retries: 3 });
    await runJobs(h, ["ok-1", "ok-2"], 0, 2);
    await h.store.compact(); // ok-1 and ok-2 are archived now
    await runJobs(h, ["again", "dead"], 1, 0.5);
    await claimFor(h.store, "w1", 1, 600); // busy
    h.clock.now = new Date(h.clock.now.getTime() + 10_000);
    h.workers.push({
      id: "w1",
      pid: 1,
      slots: 1,
      started_at: "",
      heartbeat_at: "",
      jobs: ["busy"],
      stopping: false,
    });
    const res = await h.fetch("/metrics");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const p = parse(await res.text());
    for (const s of p.samples) {
      const f = family(p, s.name);
      assert.ok(f, `${s.name} belongs to a declared family`);
      assert.ok(p.help.has(f), `HELP for ${f}`);
    }
    const counts = await h.store.counts();
    assert.deepEqual(counts, { pending: 2, processing: 1, completed: 2, failed: 1, dead: 1 });
    for (const state of JOB_STATES) assert.equal(one(p, "queuectl_jobs", { state }), counts[state], state);
    assert.equal(p.type.get("queuectl_jobs"), "gauge");
    assert.equal(one(p, "queuectl_jobs_completed_total"), counts.completed);
    assert.equal(one(p, "queuectl_jobs_dead_total"), counts.dead);
    assert.equal(one(p, "queuectl_jobs_failed_total"), 2, "one failed attempt each of `again` and `dead`");
    for (const c of ["completed", "failed", "dead"]) {
      assert.equal(p.type.get(`queuectl_jobs_${c}_total`), "counter");
    }
    assert.equal(one(p, "queuectl_workers"), 1);
    assert.equal(
      one(p, "queuectl_oldest_pending_age_seconds"),
      12.5,
      "wait-1, due since 12:00:30, 2 + 0.5 + 10 s ago",
    );
    const h1 = "queuectl_job_duration_seconds";
    assert.equal(p.type.get(h1), "histogram");
    const buckets = p.samples.filter((s) => s.name === `${h1}_bucket`);
    assert.equal(buckets.at(-1)!.labels.le, "+Inf");
    for (let i = 1; i < buckets.length; i++) {
      assert.ok(Number(buckets[i].labels.le.replace("+Inf", "Infinity")) > Number(buckets[i - 1].labels.le));
      assert.ok(buckets[i].value >= buckets[i - 1].value);
    }
    assert.equal(one(p, `${h1}_count`), 4, "ok-1, ok-2 (archived), again, dead");
    assert.equal(buckets.at(-1)!.value, 4);
    assert.equal(one(p, `${h1}_sum`), 5);
    assert.equal(one(p, `${h1}_bucket`, { le: "0.5" }), 2);
    assert.equal(one(p, `${h1}_bucket`, { le: "2.5" }), 4);
  });
});

Deno.test("renderMetrics writes +Inf and fractional values as Prometheus reads them", () => {
  const p = parse(renderMetrics({
    counts: { pending: 0, processing: 0, completed: 0, failed: 0, dead: 0 },
    queues: [],
    failedAttempts: 0,
    workers: 0,
    oldestPendingAgeSeconds: null,
    durations: durationsOf([0.05, 1234.5]),
  }));
  assert.equal(one(p, "queuectl_oldest_pending_age_seconds"), 0);
  assert.equal(one(p, "queuectl_job_duration_seconds_sum"), 1234.55);
  assert.equal(one(p, "queuectl_job_duration_seconds_bucket", { le: "0.1" }), 1);
  assert.equal(one(p, "queuectl_job_duration_seconds_bucket", { le: "+Inf" }), 2);
});

Deno.test("/metrics labels jobs by queue, says which queues are paused and their limits, and the sums agree", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue([
      { id: "u1", command: "true", queue: "uploads" },
      { id: "u2", command: "true", queue: "uploads" },
      { id: "d1", command: "true" },
    ], { max_retries: 0 });
    await claimFor(h.store, "w1", 1, 600); // u1
    await h.store.setQueue("uploads", { concurrency: 1, paused: true });
    await h.store.setQueue("reports", { paused: false, concurrency: 3 }); // a queue named by a setting only
    const p = parse(await (await h.fetch("/metrics")).text());
    assert.equal(p.type.get("queuectl_queue_jobs"), "gauge");
    assert.equal(one(p, "queuectl_queue_jobs", { queue: "uploads", state: "processing" }), 1);
    assert.equal(one(p, "queuectl_queue_jobs", { queue: "uploads", state: "pending" }), 1);
    assert.equal(one(p, "queuectl_queue_jobs", { queue: "default", state: "pending" }), 1);
    assert.equal(one(p, "queuectl_queue_jobs", { queue: "reports", state: "pending" }), 0);
    for (const state of JOB_STATES) {
      const sum = p.samples.filter((s) => s.name === "queuectl_queue_jobs" && s.labels.state === state)
        .reduce((a, s) => a + s.value, 0);
      assert.equal(sum, one(p, "queuectl_jobs", { state }), `queuectl_jobs{state="${state}"} is the sum`);
    }
    assert.equal(one(p, "queuectl_queue_paused", { queue: "uploads" }), 1);
    assert.equal(one(p, "queuectl_queue_paused", { queue: "default" }), 0);
    assert.equal(one(p, "queuectl_queue_paused", { queue: "reports" }), 0);
    assert.equal(one(p, "queuectl_queue_concurrency_limit", { queue: "uploads" }), 1);
    assert.equal(one(p, "queuectl_queue_concurrency_limit", { queue: "default" }), 0);
    assert.equal(one(p, "queuectl_queue_concurrency_limit", { queue: "reports" }), 3);
  });
});

Deno.test("promtool check metrics finds no problem in /metrics, with queues and without", async () => {
  await withHarness(async (h) => {
    const check = async (what: string) => {
      const text = await (await h.fetch("/metrics")).text();
      const child = new Deno.Command("promtool", {
        args: ["check", "metrics"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(text));
      await writer.close();
      const out = await child.output();
      const said = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, `promtool on ${what}: ${said}\n${text}`);
      assert.equal(said.trim(), "", `promtool on ${what}`);
    };
    await check("an empty home");
    await h.store.enqueue([{ id: "u1", command: "true", queue: "uploads" }, { id: "d1", command: "true" }], {
      max_retries: 0,
    });
    await runJobs(h, ["u1"], 0);
    await h.store.setQueue("uploads", { concurrency: 1, paused: true });
    await check("a home with two queues, one paused");
  });
});

Deno.test("a label value is escaped as the text format wants", () => {
  assert.equal(labelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
});
