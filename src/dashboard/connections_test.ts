/**
 * The connection layer on a real port: deadlines for heads and bodies, the cap and its eviction,
 * streams that outlive every deadline, and the refusals on the wire. Waits are for conditions,
 * with generous deadlines; the server's own deadlines are made short instead.
 */
import assert from "node:assert/strict";
import { CSP } from "./auth.ts";
import { type Limits, serveConnections } from "./connections.ts";
import type { Client } from "./handler.ts";
import { serveDashboard } from "./serve.ts";
import { FileStore } from "../store/file_store.ts";
import { systemClock } from "../clock.ts";
import { waitFor, withHome } from "../../testkit/mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const OPTS = { sanitizeOps: false, sanitizeResources: false };

/** What the test server's handler saw and can be told. */
interface Probe {
  port: number;
  clients: Client[];
  bodies: string[];
  bodyErrors: string[];
  /** pushes a line to every open /stream response */
  push(line: string): void;
  /** /stream responses cancelled (their client went away, or the server stopped) */
  cancelled: number;
}

async function withServer(limits: Partial<Limits>, fn: (p: Probe) => Promise<void>): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const probe: Probe = {
    port: listener.addr.port,
    clients: [],
    bodies: [],
    bodyErrors: [],
    push: (line) => {
      for (const c of streams) c.enqueue(enc.encode(line + "\n"));
    },
    cancelled: 0,
  };
  const handler = async (req: Request, client: Client) => {
    probe.clients.push(client);
    const path = new URL(req.url).pathname;
    if (path === "/stream") {
      let me: ReadableStreamDefaultController<Uint8Array>;
      return new Response(
        new ReadableStream<Uint8Array>({
          start(c) {
            me = c;
            streams.add(c);
            c.enqueue(enc.encode("open\n"));
          },
          cancel() {
            streams.delete(me);
            probe.cancelled++;
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      );
    }
    if (req.method === "POST") {
      try {
        probe.bodies.push(await req.text());
      } catch (e) {
        probe.bodyErrors.push((e as Error).message);
      }
      return new Response("got it");
    }
    return new Response("hi", { headers: { "x-path": path } });
  };
  const stop = new AbortController();
  const served = serveConnections({ listener, handler, limits, signal: stop.signal });
  try {
    await fn(probe);
  } finally {
    stop.abort();
    await served;
  }
}

const connect = (port: number) => Deno.connect({ hostname: "127.0.0.1", port });

/** Everything the server sends until it closes, or fails after `ms`. */
async function untilClosed(conn: Deno.Conn, ms = 20_000): Promise<string> {
  let text = "";
  const buf = new Uint8Array(4096);
  const timer = setTimeout(() => conn.close(), ms);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return text;
      text += dec.decode(buf.subarray(0, n));
    }
  } catch (e) {
    if (e instanceof Deno.errors.ConnectionReset) return text;
    throw new Error(`not closed within ${ms} ms; got ${JSON.stringify(text)}`);
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

/** Reads from `conn` until `done(text)`, or fails after `ms`. */
async function readUntil(conn: Deno.Conn, done: (text: string) => boolean, ms = 20_000): Promise<string> {
  let text = "";
  const buf = new Uint8Array(4096);
  const end = Date.now() + ms;
  while (!done(text)) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      conn.read(buf),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out; got ${JSON.stringify(text)}`)),
          end - Date.now(),
        );
      }),
    ]).finally(() => clearTimeout(timer));
    if (n === null) throw new Error(`closed; got ${JSON.stringify(text)}`);
    text += dec.decode(buf.subarray(0, n));
  }
  return text;
}

const get = (path: string) => enc.encode(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);

Deno.test({
  ...OPTS,
  name:
    "connections that send nothing or half a head are closed with a 408 after the head deadline; a real request is answered meanwhile",
  fn: () =>
    // the deadline is generous: on a loaded machine the real request itself may take a while to arrive
    withServer({ headMs: 5000 }, async (p) => {
      const idle = await Promise.all(Array.from({ length: 30 }, () => connect(p.port)));
      const half = await Promise.all(Array.from({ length: 30 }, () => connect(p.port)));
      for (const c of half) await c.write(enc.encode("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
      const res = await fetch(`http://127.0.0.1:${p.port}/real`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "hi");
      assert.equal(res.headers.get("x-path"), "/real");
      for (const c of [...idle, ...half]) {
        const text = await untilClosed(c);
        assert.match(text, /^HTTP\/1\.1 408 Request Timeout\r\n/);
        assert.match(text, /\{"error":"Request head not received within 5 s"\}\n$/);
      }
      assert.deepEqual(p.clients.map((c) => c.address), ["127.0.0.1"], "the handler saw only the real one");
    }),
});

Deno.test({
  ...OPTS,
  name:
    "at the cap the oldest connection yet to send its request makes room: a flood never keeps a real request out, nor cuts a response under way",
  fn: () =>
    withServer({ headMs: 60_000, maxConnections: 8 }, async (p) => {
      const stream = await connect(p.port);
      await stream.write(get("/stream"));
      await readUntil(stream, (t) => t.endsWith("open\n"));
      const flood: Deno.Conn[] = [];
      for (let i = 0; i < 40; i++) flood.push(await connect(p.port));
      const res = await fetch(`http://127.0.0.1:${p.port}/`);
      assert.equal(res.status, 200);
      await res.body?.cancel();
      // the oldest of the flood were closed to make room; the stream was not
      for (const c of flood.slice(0, 40 - 8)) assert.equal(await untilClosed(c), "");
      p.push("after the flood");
      await readUntil(stream, (t) => t.endsWith("after the flood\n"));
      for (const c of [stream, ...flood.slice(40 - 8)]) c.close();
    }),
});

Deno.test({
  ...OPTS,
  name: "when every connection is busy answering, a newcomer is refused with a 503 sentence",
  fn: () =>
    withServer({ maxConnections: 2 }, async (p) => {
      const busy = await Promise.all([connect(p.port), connect(p.port)]);
      for (const c of busy) {
        await c.write(get("/stream"));
        await readUntil(c, (t) => t.endsWith("open\n"));
      }
      const text = await untilClosed(await connect(p.port));
      assert.match(text, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
      assert.match(text, /\{"error":"Too many connections: try again shortly"\}\n$/);
      for (const c of busy) c.close();
    }),
});

Deno.test({
  ...OPTS,
  name: "a response streams past every deadline, and its handler learns when the client has gone",
  fn: () =>
    // deadlines a loaded machine's real request still meets; the idle connection waits them out
    withServer({ headMs: 2000, bodyMs: 2000 }, async (p) => {
      const stream = await connect(p.port);
      await stream.write(get("/stream"));
      const head = await readUntil(stream, (t) => t.endsWith("open\n"));
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(head, /\r\nconnection: close\r\n/);
      assert.doesNotMatch(head, /content-length/, "its length is not known: it ends with the connection");
      // an idle connection opened after it is closed by the head deadline: that much time has passed
      assert.match(await untilClosed(await connect(p.port)), /^HTTP\/1\.1 408/);
      p.push("still here");
      await readUntil(stream, (t) => t.endsWith("still here\n"));
      stream.close();
      // the next write finds the client gone, and cancels the response's stream
      await waitFor(
        () => {
          p.push("anyone?");
          return p.cancelled === 1;
        },
        "the stream to be cancelled",
        20_000,
        20,
      );
    }),
});

Deno.test({
  ...OPTS,
  name: "a body arrives in pieces within its deadline, with 100 Continue when asked; one that stalls is cut",
  fn: () =>
    withServer({ bodyMs: 3000 }, async (p) => {
      const c = await connect(p.port);
      await c.write(
        enc.encode(
          "POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n",
        ),
      );
      await readUntil(c, (t) => t === "HTTP/1.1 100 Continue\r\n\r\n");
      await c.write(enc.encode("01234"));
      await c.write(enc.encode("56789"));
      assert.match(await untilClosed(c), /\r\n\r\ngot it$/);
      assert.deepEqual(p.bodies, ["0123456789"]);

      const stalled = await connect(p.port);
      await stalled.write(
        enc.encode("POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n01234"),
      );
      await untilClosed(stalled);
      await waitFor(() => p.bodyErrors.length === 1, "the handler's read of the body to fail");
      assert.deepEqual(p.bodies, ["0123456789"]);
    }),
});

Deno.test({
  ...OPTS,
  name:
    "on the wire: a head parsers could read two ways gets 400, a chunked body 411, a huge head 431; GET gets its length, HEAD no body",
  fn: () =>
    withServer({}, async (p) => {
      const ask = async (raw: string) => {
        const c = await connect(p.port);
        await c.write(enc.encode(raw));
        return await untilClosed(c);
      };
      const smuggled = await ask("GET / HTTP/1.1\r\nHost: 127.0.0.1\nX: 1\r\n\r\n");
      assert.match(smuggled, /^HTTP\/1\.1 400 Bad Request\r\n/);
      assert.ok(smuggled.includes(`\r\ncontent-security-policy: ${CSP}\r\n`), smuggled);
      assert.match(smuggled, /\{"error":"Bad request: a line break that is not CRLF, or a NUL"\}\n$/);
      const chunked = await ask(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      );
      assert.match(chunked, /^HTTP\/1\.1 411 Length Required\r\n/);
      const badHost = await ask("GET / HTTP/1.1\r\nHost: evil.example/x?\r\n\r\n");
      assert.match(badHost, /^HTTP\/1\.1 400 Bad Request\r\n.*the Host header is not a host/s);
      const huge = await ask(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: ${"a".repeat(70_000)}\r\n\r\n`);
      assert.match(huge, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
      const trace = await ask("TRACE / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assert.match(trace, /^HTTP\/1\.1 400 Bad Request\r\n/);
      const whole = await ask("GET /w HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assert.match(whole, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(
        whole,
        /\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi$/,
        "a body that ends is sent whole",
      );
      const head = await ask("HEAD /h HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      assert.ok(head.endsWith("\r\n\r\n"), `a body after the head: ${JSON.stringify(head)}`);
      assert.deepEqual(p.clients.length, 2, "only the GET and the HEAD reached the handler");
    }),
});

Deno.test({
  ...OPTS,
  name:
    "the dashboard's event stream is not cut by the head deadline: a change made long after it still arrives",
  fn: () =>
    withHome(async (home) => {
      const stop = new AbortController();
      let port = 0;
      const served = serveDashboard({
        home,
        host: "127.0.0.1",
        port: 0,
        token: null,
        cwd: home,
        clock: systemClock,
        signal: stop.signal,
        onListen: (addr) => port = addr.port,
        limits: { headMs: 200 },
      });
      const theirs = new FileStore(home);
      try {
        await waitFor(() => port !== 0, "the dashboard to listen");
        const events = await connect(port);
        await events.write(get("/api/events"));
        await readUntil(events, (t) => t.includes('data: {"head":0}\n\n'));
        // an idle connection made after it is closed by the head deadline: that much time has passed
        assert.match(await untilClosed(await connect(port)), /^HTTP\/1\.1 408/);
        await theirs.enqueue([{ id: "later", command: "true" }], { max_retries: 3 });
        await readUntil(events, (t) => t.includes('data: {"head":1}\n\n'));
        events.close();
      } finally {
        theirs.close();
        stop.abort();
        await served;
      }
    }, { prefix: "qctl-dash-conn-", create: true }),
});
