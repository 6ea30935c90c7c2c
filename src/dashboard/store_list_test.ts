/**
 * The store's listing as the dashboard pages through it (ListQuery order, past, text): live and
 * archived jobs merged in enqueue order both ways, across many archive segments, with tombstones.
 */
import assert from "node:assert/strict";
import type { Job } from "../job.ts";
import { FileStore } from "../store/file_store.ts";
import type { ListQuery } from "../store/mod.ts";
import { withHome } from "../../testkit/mod.ts";
import { claimFor } from "../../testkit/store.ts";

const CONFIG = { backoff_base: 2, backoff_max: 60 };
const FUTURE = "2099-01-01T00:00:00.000Z";

async function complete(store: FileStore, ids: string[]): Promise<void> {
  await store.enqueue(ids.map((id) => ({ id, command: `echo ${id}` })), { max_retries: 3 });
  const claimed = await claimFor(store, "w", ids.length, 600);
  assert.deepEqual(claimed.map((j) => j.id), ids);
  await Promise.all(claimed.map((job) =>
    store.finish({
      worker: "w",
      id: job.id,
      claim: job.claim,
      outcome: { kind: "exited", code: 0 },
      tail: null,
      config: CONFIG,
    })
  ));
}

/** Every page of `query`, each resuming past the last job of the one before. */
async function pages(store: FileStore, query: ListQuery, size: number): Promise<Job[]> {
  const out: Job[] = [];
  let past: number | undefined;
  for (;;) {
    const page = await store.list({ ...query, past, limit: size });
    out.push(...page);
    if (page.length < size) return out;
    past = page[page.length - 1].seq;
  }
}

/** A home of archived completed jobs (many segments) interleaved with live ones that never run. */
function mixedHome(
  fn: (store: FileStore, live: string[], done: string[]) => Promise<void>,
): Promise<void> {
  return withHome(async (home) => {
    const store = new FileStore(home, { compactAfterBytes: 2048 });
    try {
      const live: string[] = [];
      const done: string[] = [];
      for (let b = 0; b < 24; b++) {
        const ids = Array.from({ length: 10 }, (_, i) => `c-${b}-${i}`);
        await complete(store, ids);
        done.push(...ids);
        const later = Array.from({ length: 3 }, (_, i) => `p-${b}-${i}`);
        await store.enqueue(later.map((id) => ({ id, command: `sleep ${b}`, run_at: FUTURE })), {
          max_retries: 3,
        });
        live.push(...later);
      }
      await store.compact();
      await fn(store, live, done);
    } finally {
      store.close();
    }
  }, { prefix: "qctl-dash-list-", create: true });
}

const ids = (jobs: Job[]) => jobs.map((j) => j.id);

Deno.test("list() pages live and archived jobs in enqueue order, oldest or newest first, without gaps or repeats", async () => {
  await mixedHome(async (store, live, done) => {
    const all = await store.list();
    assert.equal(all.length, live.length + done.length);
    const seqs = all.map((j) => j.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "ascending seq");
    assert.equal(new Set(seqs).size, seqs.length);
    for (const size of [1, 7, 50, 1000]) {
      assert.deepEqual(ids(await pages(store, {}, size)), ids(all), `asc pages of ${size}`);
      assert.deepEqual(
        ids(await pages(store, { order: "desc" }, size)),
        ids(all).reverse(),
        `desc pages of ${size}`,
      );
    }
    const completed = all.filter((j) => j.state === "completed");
    assert.deepEqual(
      ids(await pages(store, { state: "completed", order: "desc" }, 9)),
      ids(completed).reverse(),
    );
    assert.deepEqual(ids(await pages(store, { state: "pending" }, 4)), live);
  });
});

Deno.test("list() with text matches the id or the command, ignoring case, live and archived, both orders", async () => {
  await mixedHome(async (store) => {
    const all = await store.list();
    const hit = (j: Job) => j.id.toLowerCase().includes("-1") || j.command.toLowerCase().includes("-1");
    const want = all.filter(hit);
    assert.ok(want.some((j) => j.state === "completed") && want.some((j) => j.state === "pending"));
    assert.deepEqual(ids(await pages(store, { text: "-1" }, 5)), ids(want));
    assert.deepEqual(ids(await pages(store, { text: "-1", order: "desc" }, 5)), ids(want).reverse());
    assert.deepEqual(
      ids(await store.list({ text: "SLEEP 2" })),
      ids(all.filter((j) => j.command.startsWith("sleep 2"))),
    );
    assert.deepEqual(await store.list({ text: "no such text" }), []);
  });
});

Deno.test("list() newest first hides a deleted archived job, and shows a job re-enqueued under its id once", async () => {
  await mixedHome(async (store) => {
    await store.delete(["c-3-4", "c-20-0"]);
    await store.enqueue([{ id: "c-3-4", command: "again", run_at: FUTURE }], { max_retries: 3 });
    const desc = await pages(store, { order: "desc" }, 6);
    assert.equal(desc[0].id, "c-3-4", "the new copy is the newest job");
    assert.equal(desc[0].command, "again");
    assert.equal(ids(desc).filter((id) => id === "c-3-4").length, 1);
    assert.ok(!ids(desc).includes("c-20-0"));
    assert.deepEqual(ids(await pages(store, {}, 6)), ids(desc).reverse());
  });
});

Deno.test("a page cursor stays valid while jobs are enqueued: they come after the last page (oldest first)", async () => {
  await mixedHome(async (store) => {
    const first = await store.list({ limit: 100 });
    await store.enqueue([{ id: "late-1", command: "true", run_at: FUTURE }], { max_retries: 3 });
    const rest = await pages(store, {}, 100).then((all) => all.slice(100));
    const again = await store.list({ past: first[first.length - 1].seq });
    assert.deepEqual(ids(again), ids(rest));
    assert.equal(again[again.length - 1].id, "late-1");
  });
});

Deno.test("list() newest first reads archived lines longer than its read chunk", () =>
  withHome(async (home) => {
    const store = new FileStore(home);
    try {
      const big = (n: number) => `echo ${String(n).repeat(150_000)}`;
      await complete(store, ["small-1", "small-2"]);
      await store.enqueue([1, 2, 3].map((n) => ({ id: `big-${n}`, command: big(n) })), { max_retries: 3 });
      const claimed = await claimFor(store, "w", 3, 600);
      for (const job of claimed) {
        await store.finish({
          worker: "w",
          id: job.id,
          claim: job.claim,
          outcome: { kind: "exited", code: 0 },
          tail: null,
          config: CONFIG,
        });
      }
      await store.compact();
      const desc = await store.list({ order: "desc" });
      assert.deepEqual(ids(desc), ["big-3", "big-2", "big-1", "small-2", "small-1"]);
      assert.equal(desc[0].command, big(3));
      assert.equal(desc[2].command, big(1));
      // a cursor inside the segment is found by bisection among lines longer than its probe reads
      assert.deepEqual(ids(await pages(store, { order: "desc" }, 1)), ids(desc));
      assert.deepEqual(ids(await pages(store, {}, 1)), ids(desc).reverse());
      assert.deepEqual(ids(await pages(store, {}, 2)), ids(desc).reverse());
    } finally {
      store.close();
    }
  }, { prefix: "qctl-dash-list-", create: true }));
