/** Paging through thousands of jobs with the cursor of GET /api/jobs, while the queue moves. */
import assert from "node:assert/strict";
import { body, type Harness, runJobs, withHarness } from "./test_harness.ts";

const N = 2_600;

async function page(
  h: Harness,
  query: string,
): Promise<{ jobs: Array<{ id: string; seq: number }>; next_cursor: string | null; total: number | null }> {
  const res = await h.fetch(`/api/jobs?${query}`);
  assert.equal(res.status, 200, query);
  return await body(res);
}

/** Every page of a listing; `between` runs after each page (to change the queue meanwhile). */
async function walk(
  h: Harness,
  query: string,
  between: (n: number) => Promise<void> = async () => {},
): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let n = 0;; n++) {
    const p = await page(h, query + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""));
    seen.push(...p.jobs.map((j) => j.id));
    cursor = p.next_cursor;
    if (cursor === null) return seen;
    await between(n);
  }
}

const id = (i: number) => `job-${String(i).padStart(5, "0")}`;

Deno.test(`paging ${N} jobs oldest first with the cursor sees each once, in order, and jobs enqueued meanwhile at the end`, async () => {
  await withHarness(async (h) => {
    await h.store.enqueue(Array.from({ length: N }, (_, i) => ({ id: id(i), command: `echo ${i}` })), {
      max_retries: 3,
    });
    let extra = 0;
    const seen = await walk(h, "limit=97", async (n) => {
      if (n % 5 === 0) {
        await h.store.enqueue([{ id: `late-${extra++}`, command: "true" }], { max_retries: 3 });
      }
    });
    const want = [
      ...Array.from({ length: N }, (_, i) => id(i)),
      ...Array.from({ length: extra }, (_, i) => `late-${i}`),
    ];
    assert.equal(new Set(seen).size, seen.length, "no job twice");
    assert.deepEqual(seen, want, "no gaps, enqueue order");
  });
});

Deno.test(`paging ${N} jobs newest first is stable while jobs are enqueued: the new ones are before page one`, async () => {
  await withHarness(async (h) => {
    await h.store.enqueue(Array.from({ length: N }, (_, i) => ({ id: id(i), command: `echo ${i}` })), {
      max_retries: 3,
    });
    const first = await page(h, "order=desc&limit=500");
    assert.equal(first.total, N);
    assert.equal(first.jobs[0].id, id(N - 1));
    let extra = 0;
    const seen = await walk(h, "order=desc&limit=500", async () => {
      await h.store.enqueue([{ id: `late-${extra++}`, command: "true" }], { max_retries: 3 });
    });
    assert.ok(extra >= 5);
    assert.deepEqual(seen, Array.from({ length: N }, (_, i) => id(N - 1 - i)));
  });
});

Deno.test("paging by state and by text: totals are per-state counts, and a text search pages too", async () => {
  await withHarness(async (h) => {
    await h.store.enqueue(
      Array.from({ length: N }, (_, i) => ({ id: id(i), command: i % 3 === 0 ? "make fizz" : "true" })),
      { max_retries: 3 },
    );
    await runJobs(h, Array.from({ length: 1000 }, (_, i) => id(i)), 0);
    const done = await walk(h, "state=completed&limit=333");
    assert.deepEqual(done, Array.from({ length: 1000 }, (_, i) => id(i)));
    assert.equal((await page(h, "state=completed")).total, 1000);
    assert.equal((await page(h, "state=pending")).total, N - 1000);
    const fizz = await walk(h, "q=FIZZ&order=desc&limit=200");
    const want = Array.from({ length: N }, (_, i) => i).filter((i) => i % 3 === 0).reverse().map(id);
    assert.deepEqual(fizz, want);
    assert.equal((await page(h, "q=fizz")).total, null);
  });
});

Deno.test("a text search examines a bounded window per request; its cursor continues until every match is found", async () => {
  await withHarness(async (h) => {
    const total = 45_000;
    const needles = new Set([9, 25_000, 44_999]);
    await h.store.enqueue(
      Array.from(
        { length: total },
        (_, i) => ({ id: id(i), command: needles.has(i) ? "find the NEEDLE" : "true" }),
      ),
      { max_retries: 3 },
    );
    for (const order of ["asc", "desc"]) {
      let requests = 0;
      const seen = await walk(h, `q=needle&limit=50&order=${order}`, () => Promise.resolve(void requests++));
      const want = [...needles].map(id);
      assert.deepEqual(seen, order === "asc" ? want : want.reverse(), order);
      assert.ok(requests >= 2, `${order}: the search took ${requests + 1} requests`);
    }
    const first = await page(h, "q=needle&limit=50");
    assert.deepEqual(first.jobs.map((j) => j.id), [id(9)], "the first window holds one match");
    assert.notEqual(first.next_cursor, null, "and the search goes on");
  });
});
