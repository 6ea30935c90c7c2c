/**
 * The dashboard's server: accepts TCP connections itself, so that it can bound them, and serves
 * one request on each (the wire format is in wire.ts). Deno.serve has neither a header timeout nor
 * a connection cap, and ends the process when accept() fails for want of file descriptors; this
 * has all three, and is what makes a dashboard survive a local user's flood without any token:
 *
 * - a connection must deliver its whole request head within `headMs` of being accepted, and its
 *   body (Content-Length bytes) within `bodyMs` after the head; else it is closed (408 first);
 * - at most `maxConnections` are open at once. When a new one arrives at the cap, the oldest that
 *   is not answering (still sending its request, or answered and waiting for the client to close)
 *   is closed to make room: a real client sends at once, so a flood of idle connections only
 *   evicts itself. When every one is answering, the newcomer is refused (503);
 * - after its answer a connection is half-closed and kept up to LINGER_MS for the client to close
 *   (closing on input unread would reset it, and a reset can lose the answer);
 * - a failed accept is reported (once per run of failures), and the loop carries on after a short
 *   pause that doubles up to 1 s. When it failed for want of file descriptors (EMFILE, ENFILE),
 *   the cap comes down to DESCRIPTOR_HEADROOM below the connections open then (never under
 *   MIN_CONNECTIONS), closing the oldest unfinished ones: the process's limit is lower than the
 *   cap allows for, and requests need descriptors of their own (the store's files);
 * - once the handler answers there is no deadline: a body that ends is sent whole, with its
 *   length; an event stream is sent as it comes, for as long as it lasts. The request's signal
 *   aborts when the connection is reset or a write to it fails (the client has gone).
 *
 * A task that fails for any reason only ends its own connection.
 */
import { SECURITY_HEADERS } from "./auth.ts";
import type { Client } from "./handler.ts";
import { headEnd, MAX_HEAD_BYTES, parseHead, type Refusal, type RequestHead, responseHead } from "./wire.ts";

export interface Limits {
  /** ms from accept to the end of the request head */
  headMs: number;
  /** ms from the end of the head to the end of the body */
  bodyMs: number;
  maxConnections: number;
}

export const DEFAULT_LIMITS: Limits = { headMs: 10_000, bodyMs: 30_000, maxConnections: 128 };

/** Descriptors left free for the work of requests when the cap is learnt from an EMFILE. */
export const DESCRIPTOR_HEADROOM = 8;

/** How long a connection is kept after its answer, for the client to read it and close. */
export const LINGER_MS = 2_000;
export const MIN_CONNECTIONS = 4;

const outOfDescriptors = (e: unknown) =>
  /os error (24|23)\b|too many open files/i.test(String((e as Error)?.message));

export interface ServeConnectionsOptions {
  listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr>;
  handler: (req: Request, client: Client) => Promise<Response>;
  limits?: Partial<Limits>;
  /** ends the server: stops accepting, closes every connection */
  signal: AbortSignal;
  /** told of a failed accept (once per run of failures), with the cap from then on */
  onAcceptError?: (e: Error, cap: number) => void;
}

/** what a connection is doing: only "response" is never closed to make room */
type Phase = "head" | "body" | "response" | "done";

interface Tracked {
  conn: Deno.TcpConn;
  phase: Phase;
  closed: boolean;
  close(): void;
}

const latin1Bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/** A response of the connection layer itself: JSON `{"error"}`, with the security headers. */
function refusalBytes(r: Refusal): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify({ error: r.error }) + "\n");
  const headers = new Headers({ "content-type": "application/json; charset=utf-8", ...SECURITY_HEADERS });
  const head = latin1Bytes(responseHead(r.status, headers, body.length));
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** Serves until `signal` aborts and every connection has ended. */
export async function serveConnections(opts: ServeConnectionsOptions): Promise<void> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  let cap = limits.maxConnections;
  const live = new Set<Tracked>();
  const running = new Set<Promise<void>>();

  /** Closes the oldest connection that is not answering; false when there is none. */
  const evictOne = (): boolean => {
    for (const t of live) { // insertion order: oldest first
      if (t.phase !== "response") {
        t.close();
        return true;
      }
    }
    return false;
  };

  const onAbort = () => {
    try {
      opts.listener.close();
    } catch { /* closed already */ }
    for (const t of live) t.close();
  };
  opts.signal.addEventListener("abort", onAbort, { once: true });

  let pause = 0;
  try {
    while (!opts.signal.aborted) {
      let conn: Deno.TcpConn;
      try {
        conn = await opts.listener.accept();
        pause = 0;
      } catch (e) {
        if (opts.signal.aborted || e instanceof Deno.errors.BadResource) break;
        if (outOfDescriptors(e)) {
          cap = Math.max(MIN_CONNECTIONS, Math.min(cap, live.size - DESCRIPTOR_HEADROOM));
          while (live.size > cap && evictOne()) { /* closing the oldest */ }
          evictOne(); // one descriptor free for the next accept, whatever the cap
        }
        if (pause === 0) opts.onAcceptError?.(e as Error, cap);
        pause = Math.min(1_000, Math.max(10, pause * 2));
        await sleep(pause, opts.signal);
        continue;
      }
      try {
        // an answer may go in more than one write: without this, Nagle's algorithm holds a write
        // back until the client acknowledges the one before, which it may delay (40 ms and more)
        conn.setNoDelay(true);
      } catch { /* the connection is gone already: its read says so */ }
      if (live.size >= cap && !evictOne()) {
        conn.write(refusalBytes({ status: 503, error: "Too many connections: try again shortly" }))
          .catch(() => {}).finally(() => conn.close());
        continue;
      }
      const t: Tracked = {
        conn,
        phase: "head",
        closed: false,
        close() {
          if (t.closed) return;
          t.closed = true;
          live.delete(t);
          try {
            conn.close();
          } catch { /* gone */ }
        },
      };
      live.add(t);
      const task = serveOne(t, opts.handler, limits).catch(() => {}).finally(() => {
        t.close();
        running.delete(task);
      });
      running.add(task);
    }
  } finally {
    opts.signal.removeEventListener("abort", onAbort);
    onAbort();
    await Promise.allSettled([...running]);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** Reads and drops what the client still sends (up to 1 MiB), until it closes its side. */
async function lingeringClose(conn: Deno.TcpConn): Promise<void> {
  await conn.closeWrite();
  const sink = new Uint8Array(4096);
  for (let dropped = 0; dropped < 1024 * 1024;) {
    const n = await conn.read(sink);
    if (n === null) return;
    dropped += n;
  }
}

/** Runs `fn` after `ms` unless cancelled; returns the canceller. */
function deadline(ms: number, fn: () => void): () => void {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
}

async function serveOne(
  t: Tracked,
  handler: (req: Request, client: Client) => Promise<Response>,
  limits: Limits,
): Promise<void> {
  const { conn } = t;
  /**
   * Answers with the connection layer's own error. `linger`: then waits for the client to close
   * (reading what it still sends, up to LINGER_MS), since closing on input unread resets the
   * connection, and a reset can lose the answer before the client reads it.
   */
  const refuse = async (r: Refusal, linger = true) => {
    // best effort: a client that reads nothing gets nothing, and is closed all the same
    const stop = deadline(LINGER_MS, () => t.close());
    try {
      await writeAll(conn, refusalBytes(r));
      t.phase = "done";
      if (linger) await lingeringClose(conn);
    } catch {
      /* gone */
    } finally {
      stop();
    }
  };

  // the head
  const buf = new Uint8Array(MAX_HEAD_BYTES);
  let got = 0;
  let end = -1;
  let timedOut = false;
  const cancelHead = deadline(limits.headMs, () => {
    timedOut = true;
    // no lingering: the loop below is reading, and a client this slow is not owed one
    refuse({ status: 408, error: `Request head not received within ${limits.headMs / 1000} s` }, false)
      .finally(() => t.close());
  });
  try {
    while (end < 0) {
      if (got === buf.length) {
        cancelHead();
        return await refuse({ status: 431, error: `Refusing a request head over ${MAX_HEAD_BYTES} bytes` });
      }
      const n = await conn.read(buf.subarray(got));
      if (n === null) return;
      end = headEnd(buf.subarray(0, got + n), got);
      got += n;
    }
  } catch {
    return; // closed: timed out, evicted, or the client went away
  } finally {
    cancelHead();
  }
  if (timedOut || t.closed) return;
  const head = parseHead(buf.subarray(0, end));
  if ("error" in head) return await refuse(head);

  const url = requestUrl(head, conn.localAddr);
  if (url === null) return await refuse({ status: 400, error: "Bad request: the Host header is not a host" });
  const headers = new Headers();
  for (const [name, value] of head.headers) headers.append(name, value);
  const withBody = head.bodyLength > 0 && head.method !== "GET" && head.method !== "HEAD";
  const body = withBody ? bodyStream(conn, buf.slice(end, got), head.bodyLength, t, limits) : null;
  t.phase = body ? "body" : "response";
  const gone = new AbortController();
  try {
    let request: Request;
    try {
      request = new Request(url, { method: head.method, headers, signal: gone.signal, body: body?.stream });
    } catch (e) {
      // CONNECT, TRACE and TRACK: no Request may carry them
      return await refuse({ status: 400, error: `Bad request: ${(e as Error).message.split("\n")[0]}` });
    }
    if (head.expectsContinue && body) await writeAll(conn, latin1Bytes("HTTP/1.1 100 Continue\r\n\r\n"));
    let res: Response;
    try {
      res = await handler(request, { address: conn.remoteAddr.hostname });
    } catch (e) {
      return await refuse({ status: 500, error: `Internal error: ${(e as Error)?.message}` });
    }
    t.phase = "response";
    if (t.closed) {
      await res.body?.cancel().catch(() => {});
      return;
    }
    const readSide = watchForReset(conn, gone);
    await writeResponse(conn, res, head.method === "HEAD", gone);
    // the end of a body of unknown length is the close: say it, then wait for the client's
    t.phase = "done";
    const stop = deadline(LINGER_MS, () => t.close());
    try {
      await conn.closeWrite();
      await readSide;
    } catch {
      /* gone */
    } finally {
      stop();
    }
  } finally {
    body?.stop();
  }
}

/** The request's URL, from its Host (or the address it came to) and its path; null for a bad Host. */
export function requestUrl(head: RequestHead, local: Deno.NetAddr): URL | null {
  const host = head.host ??
    (local.hostname.includes(":") ? `[${local.hostname}]:${local.port}` : `${local.hostname}:${local.port}`);
  let url: URL;
  try {
    url = new URL(`http://${host}${head.target}`);
  } catch {
    return null;
  }
  // a Host with a path, a user or another scheme in it makes another URL than it says
  const said = host.toLowerCase();
  return url.host === said || `${url.host}:80` === said ? url : null;
}

/**
 * Exactly `length` bytes of body: what came with the head, then the rest, within `bodyMs` of
 * now; `stop` ends the deadline (the handler may never read the body).
 */
function bodyStream(
  conn: Deno.TcpConn,
  leftover: Uint8Array,
  length: number,
  t: Tracked,
  limits: Limits,
): { stream: ReadableStream<Uint8Array>; stop(): void } {
  let remaining = length;
  let first: Uint8Array | null = leftover.subarray(0, Math.min(leftover.length, length));
  const cancelBody = deadline(limits.bodyMs, () => {
    if (remaining > 0) t.close();
  });
  const done = () => {
    cancelBody();
    if (t.phase === "body") t.phase = "response";
  };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (first !== null && first.length > 0) {
        const chunk = first;
        first = null;
        remaining -= chunk.length;
        controller.enqueue(chunk);
        if (remaining === 0) {
          done();
          controller.close();
        }
        return;
      }
      first = null;
      const buf = new Uint8Array(Math.min(64 * 1024, remaining));
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch (e) {
        done();
        controller.error(e);
        return;
      }
      if (n === null) {
        done();
        controller.error(new Error("The client closed the connection before sending the whole body"));
        return;
      }
      remaining -= n;
      controller.enqueue(buf.subarray(0, n));
      if (remaining === 0) {
        done();
        controller.close();
      }
    },
    cancel() {
      done();
    },
  });
  return { stream, stop: done };
}

/**
 * Aborts `gone` when the connection is reset, so that a stream with no end (the event stream) is
 * cancelled at once. A client's end of input is not the end: it may have only half-closed, and
 * still be reading; a client that left is found by the next write, which fails. What a client
 * sends after its request is read and dropped, up to 1 MiB.
 */
function watchForReset(conn: Deno.TcpConn, gone: AbortController): Promise<void> {
  return (async () => {
    const sink = new Uint8Array(4096);
    try {
      for (let dropped = 0; dropped < 1024 * 1024;) {
        const n = await conn.read(sink);
        if (n === null) return;
        dropped += n;
      }
    } catch {
      gone.abort(); // reset, or closed by us
    }
  })();
}

/** Bodies up to this size are sent whole, with their length, in the same write as the head. */
export const WHOLE_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Writes the response. A body is read whole first, and sent with its Content-Length in one write
 * with the head, unless it is an event stream (it has no end) or grows past WHOLE_BODY_BYTES: then
 * it is written as it comes, and ends with the connection.
 */
async function writeResponse(conn: Deno.TcpConn, res: Response, isHead: boolean, gone: AbortController) {
  const reader = res.body?.getReader();
  const cancel = () => reader?.cancel().catch(() => {});
  gone.signal.addEventListener("abort", cancel, { once: true });
  try {
    const streaming = /^text\/event-stream\b/i.test(res.headers.get("content-type") ?? "");
    const held: Uint8Array[] = [];
    let size = 0;
    let done = reader === undefined || isHead;
    while (!done && !streaming && size <= WHOLE_BODY_BYTES) {
      const next = await reader!.read();
      if (next.done) done = true;
      else {
        held.push(next.value);
        size += next.value.length;
      }
    }
    const declared = res.headers.get("content-length");
    const length = isHead
      ? (declared !== null && /^\d+$/.test(declared) ? Number(declared) : null)
      : done
      ? size
      : null;
    const head = latin1Bytes(responseHead(res.status, res.headers, length));
    const first = new Uint8Array(head.length + (isHead ? 0 : size));
    first.set(head);
    if (!isHead) {
      let off = head.length;
      for (const chunk of held) {
        first.set(chunk, off);
        off += chunk.length;
      }
    }
    await writeAll(conn, first);
    if (isHead) await reader?.cancel();
    while (!done) {
      const next = await reader!.read();
      if (next.done) break;
      await writeAll(conn, next.value);
    }
  } catch {
    gone.abort(); // the client is gone: let the handler's stream know
    await reader?.cancel().catch(() => {});
  } finally {
    gone.signal.removeEventListener("abort", cancel);
  }
}
