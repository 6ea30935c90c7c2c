/** Live updates: the event stream, and the shared store watcher with its polling fallback. */
import assert from "node:assert/strict";
import { FileStore } from "../store/file_store.ts";
import { CSP } from "./auth.ts";
import { eventStream } from "./events.ts";
import { HomeChanges } from "../store/changes.ts";
import { waitFor, withHome } from "../../testkit/mod.ts";
import { ManualFeed, withHarness } from "./test_harness.ts";

/** Reads a text stream until `done(text)` holds, or fails after `ms`. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  done: (text: string) => boolean,
  ms = 10_000,
) {
  let text = "";
  const decoder = new TextDecoder();
  const deadline = Date.now() + ms;
  while (!done(text)) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out; got ${JSON.stringify(text)}`)),
        Math.max(1, deadline - Date.now()),
      );
    });
    try {
      const { value, done: end } = await Promise.race([reader.read(), timeout]);
      if (end) throw new Error(`stream ended; got ${JSON.stringify(text)}`);
      text += decoder.decode(value, { stream: true });
    } finally {
      clearTimeout(timer);
    }
  }
  return text;
}

const changes = (text: string) =>
  [...text.matchAll(/event: change\ndata: (\{[^\n]*\})\n\n/g)].map((m) => JSON.parse(m[1]).head);

Deno.test("GET /api/events streams the head on connect, then one change event per new head, until the client leaves", async () => {
  await withHarness(async (h) => {
    h.feed.head = 3;
    const abort = new AbortController();
    const res = await h.fetch("/api/events", { signal: abort.signal });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.equal(res.headers.get("content-security-policy"), CSP);
    const reader = res.body!.getReader();
    let text = await readUntil(reader, (t) => changes(t).length === 1);
    assert.ok(text.startsWith("retry: 1000\n\n"));
    assert.deepEqual(changes(text), [3]);
    assert.equal(h.feed.subs.size, 1);
    h.feed.announce(3); // the same head: nothing to say
    h.feed.announce(7);
    h.feed.announce(8);
    text += await readUntil(reader, (t) => changes(t).length === 2);
    assert.deepEqual(changes(text), [3, 7, 8]);
    abort.abort();
    await reader.cancel().catch(() => {});
    assert.equal(h.feed.subs.size, 0, "unsubscribed");
  });
});

Deno.test("the event stream sends a ping comment every interval, and ends when told the server stops", async () => {
  const feed = new ManualFeed(1);
  const stop = new AbortController();
  const res = eventStream(feed, stop.signal, 30);
  const reader = res.body!.getReader();
  const text = await readUntil(reader, (t) => t.split(": ping\n\n").length > 3);
  assert.deepEqual(changes(text), [1]);
  stop.abort();
  assert.equal(feed.subs.size, 0);
  let ended = false;
  while (!ended) ended = (await reader.read()).done;
});

Deno.test("HomeChanges tells every subscriber of a write by another process's store, coalescing bursts", () =>
  withHome(async (home) => {
    const mine = new FileStore(home);
    const theirs = new FileStore(home);
    const feed = new HomeChanges({ head: () => mine.head(), dir: home });
    const a: number[] = [];
    const b: number[] = [];
    const offA = feed.subscribe((head) => a.push(head));
    const offB = feed.subscribe((head) => b.push(head));
    try {
      await waitFor(() => a.length === 1, "the first look", 30_000, 10); // head 0
      await theirs.enqueue([{ id: "x", command: "true" }], { max_retries: 3 });
      await waitFor(() => a.at(-1) === 1 && b.at(-1) === 1, "the change", 30_000, 10);
      const before = a.length;
      const t1 = Date.now();
      for (let i = 0; i < 40; i++) {
        await theirs.enqueue([{ id: `burst-${i}`, command: "true" }], { max_retries: 3 });
      }
      await waitFor(() => a.at(-1) === 41, "the end of the burst", 30_000, 10);
      const seconds = (Date.now() - t1) / 1000;
      assert.ok(
        a.length - before <= Math.ceil(seconds * 10) + 2,
        `${a.length - before} events in ${seconds} s`,
      );
      assert.deepEqual(b, a);
    } finally {
      offA();
      offB();
      feed.close();
      mine.close();
      theirs.close();
    }
  }, { prefix: "qctl-dash-events-", create: true }));

Deno.test("HomeChanges falls back to polling when it cannot watch (the home did not exist yet)", () =>
  withHome(async (home) => {
    const mine = new FileStore(home);
    const theirs = new FileStore(home);
    const seen: number[] = [];
    const feed = new HomeChanges({ head: () => mine.head(), dir: home, pollMs: 200 });
    const off = feed.subscribe((head) => seen.push(head));
    try {
      await waitFor(() => seen.length === 1, "the first look", 10_000, 10);
      await theirs.enqueue([{ id: "x", command: "true" }], { max_retries: 3 }); // creates the home
      await waitFor(() => seen.at(-1) === 1, "the change, by polling", 10_000, 10);
      await theirs.enqueue([{ id: "y", command: "true" }], { max_retries: 3 });
      await waitFor(() => seen.at(-1) === 2, "the next change", 10_000, 10);
    } finally {
      off();
      feed.close();
      mine.close();
      theirs.close();
    }
  }, { prefix: "qctl-dash-events-" }));
