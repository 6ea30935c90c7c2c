/**
 * Live updates for the page: a `text/event-stream` of the store's change events. The events come
 * from the store's change feed (store/changes.ts: one watcher of the home, polling as the
 * fallback, spaced on the monotonic clock), shared with the workers' wake-ups and `wait`.
 */
export type { ChangeFeed } from "../store/changes.ts";
import type { ChangeFeed } from "../store/changes.ts";

const encoder = new TextEncoder();

export const PING_MS = 15_000;

/** A `text/event-stream` of `change` events: the head now, then every change; a ping comment every 15 s. */
export function eventStream(feed: ChangeFeed, signal: AbortSignal, pingMs = PING_MS): Response {
  let cleanup = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let open = true;
      const send = (text: string) => {
        if (!open) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          cleanup();
        }
      };
      let sent: number | null = null;
      // the first head may come both from `current()` and from the feed's first look: send it once
      const change = (head: number) => {
        if (head === sent) return;
        sent = head;
        send(`event: change\ndata: ${JSON.stringify({ head })}\n\n`);
      };
      const unsubscribe = feed.subscribe(change);
      const ping = setInterval(() => send(": ping\n\n"), pingMs);
      cleanup = () => {
        if (!open) return;
        open = false;
        unsubscribe();
        clearInterval(ping);
        signal.removeEventListener("abort", cleanup);
        try {
          controller.close();
        } catch { /* already closed or cancelled */ }
      };
      signal.addEventListener("abort", cleanup);
      // browsers reconnect after `retry` ms when the stream drops
      send("retry: 1000\n\n");
      feed.current().then(change, () => {});
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "x-accel-buffering": "no" },
  });
}
