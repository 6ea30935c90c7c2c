import assert from "node:assert/strict";
import { headEnd, MAX_HEADERS, parseHead, type RequestHead, responseHead } from "./wire.ts";

const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const parse = (text: string) => parseHead(bytes(text));
const ok = (text: string) => {
  const head = parse(text);
  assert.ok(!("error" in head), JSON.stringify(head));
  return head as RequestHead;
};
const refusal = (text: string) => {
  const head = parse(text);
  assert.ok("error" in head, `accepted: ${JSON.stringify(text)}`);
  return head;
};

Deno.test("headEnd() finds the empty line that ends a head, also when it arrives split", () => {
  const text = bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody");
  assert.equal(headEnd(text), 27);
  assert.equal(headEnd(text.subarray(0, 26)), -1);
  // searched from where the last read began: a CRLFCRLF split across reads is still found
  for (let from = 0; from < 27; from++) assert.equal(headEnd(text, from), 27, `after ${from} bytes`);
  assert.equal(headEnd(bytes("GET / HTTP/1.1\n\n")), -1, "bare LFs do not end a head");
});

Deno.test("parseHead() reads the request line, the headers, the Host and the body's length", () => {
  const head = ok(
    "POST /api/jobs?x=1 HTTP/1.1\r\nHost: 127.0.0.1:7700\r\nContent-Length: 12\r\nX-Empty:\r\nA:  spaced  \r\n\r\n",
  );
  assert.equal(head.method, "POST");
  assert.equal(head.target, "/api/jobs?x=1");
  assert.equal(head.version, "1.1");
  assert.equal(head.host, "127.0.0.1:7700");
  assert.equal(head.bodyLength, 12);
  assert.equal(head.expectsContinue, false);
  assert.deepEqual(head.headers, [
    ["Host", "127.0.0.1:7700"],
    ["Content-Length", "12"],
    ["X-Empty", ""],
    ["A", "spaced"],
  ]);
  const old = ok("GET / HTTP/1.0\r\n\r\n");
  assert.equal(old.host, null, "HTTP/1.0 needs no Host");
  assert.equal(old.bodyLength, 0);
  assert.equal(ok("PUT /x HTTP/1.1\r\nHost: h\r\nexpect: 100-Continue\r\n\r\n").expectsContinue, true);
  assert.equal(
    ok("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n").bodyLength,
    5,
  );
  assert.equal(
    ok("GET /\xe9 HTTP/1.1\r\nHost: h\r\nX: caf\xe9\r\n\r\n").headers[1][1],
    "caf\xe9",
    "bytes kept",
  );
});

Deno.test("parseHead() refuses what parsers could read two ways, and what the server does not speak", () => {
  const cases: Array<[string, number, RegExp]> = [
    ["GET / HTTP/1.1\r\nHost: h\nX-Smuggled: 1\r\n\r\n", 400, /not CRLF/],
    ["GET / HTTP/1.1\r\nHost: h\rX: 1\r\n\r\n", 400, /not CRLF/],
    ["GET / HTTP/1.1\r\nHost: h\0\r\n\r\n", 400, /NUL/],
    ["GET / HTTP/1.1\r\n Folded: 1\r\nHost: h\r\n\r\n", 400, /Name: value/],
    ["GET / HTTP/1.1\r\nBad Name: 1\r\nHost: h\r\n\r\n", 400, /Name: value/],
    ["GET / HTTP/1.1\r\n: empty\r\nHost: h\r\n\r\n", 400, /Name: value/],
    ["GET / HTTP/1.1\r\n\r\n", 400, /needs a Host/],
    ["GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, /more than one Host/],
    ["GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400, /request line/],
    ["GET / HTTP/2.0\r\nHost: h\r\n\r\n", 400, /request line/],
    ["PRI * HTTP/2.0\r\n\r\n", 400, /request line/],
    ["GET http://evil/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, /path starting with \//],
    ["G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400, /request line/],
    ["POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 411, /Content-Length/],
    ["POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, /differ/],
    ["POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400, /not a number/],
    ["POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1e3\r\n\r\n", 400, /not a number/],
    [`GET / HTTP/1.1\r\nHost: h\r\n${"X: 1\r\n".repeat(MAX_HEADERS)}\r\n`, 431, /more than 100 header lines/],
  ];
  for (const [text, status, why] of cases) {
    const r = refusal(text);
    assert.equal(r.status, status, JSON.stringify(text));
    assert.match(r.error, why, JSON.stringify(text));
  }
});

Deno.test("responseHead() closes the connection, says the length when known, and keeps every cookie", () => {
  const headers = new Headers({
    "content-type": "text/plain",
    "content-length": "99",
    connection: "keep-alive",
  });
  headers.append("set-cookie", "a=1; Path=/");
  headers.append("set-cookie", "b=2; Path=/");
  assert.equal(
    responseHead(303, headers, 0),
    "HTTP/1.1 303 See Other\r\ncontent-type: text/plain\r\nset-cookie: a=1; Path=/\r\nset-cookie: b=2; Path=/\r\n" +
      "content-length: 0\r\nconnection: close\r\n\r\n",
  );
  assert.equal(
    responseHead(200, new Headers({ "content-type": "text/event-stream" }), null),
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n",
  );
  assert.match(responseHead(418, new Headers(), 0), /^HTTP\/1\.1 418 Status\r\n/);
});
