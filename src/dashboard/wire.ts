/**
 * The dashboard's HTTP/1.1 on the wire, pure: finding and parsing a request head, and writing a
 * response head. The server (connections.ts) speaks a strict subset, which is all a browser,
 * curl or a script needs of it:
 *
 * - one request per connection: every response says `Connection: close`, and the connection ends
 *   with it (so no keep-alive, no pipelining, and a streamed body simply ends at the close);
 * - a request line `METHOD /path HTTP/1.1` (or 1.0), header lines `Name: value`, each ended by
 *   CRLF, the head ended by an empty line, at most MAX_HEAD_BYTES and MAX_HEADERS lines;
 * - a request body only with `Content-Length` (a chunked one is refused with 411).
 *
 * Anything else is refused with a status and one sentence, before the handler sees it.
 */
export const MAX_HEAD_BYTES = 64 * 1024;
export const MAX_HEADERS = 100;

const CRLFCRLF = [13, 10, 13, 10];

/**
 * The index just past the empty line that ends a head in `buf`, or -1. `from` is where to start
 * looking (bytes before it were searched already; the search backs up 3 bytes for a split CRLF).
 */
export function headEnd(buf: Uint8Array, from = 0): number {
  outer: for (let i = Math.max(0, from - 3); i + 4 <= buf.length; i++) {
    for (let j = 0; j < 4; j++) if (buf[i + j] !== CRLFCRLF[j]) continue outer;
    return i + 4;
  }
  return -1;
}

export interface RequestHead {
  method: string;
  /** origin-form: starts with "/" */
  target: string;
  version: "1.0" | "1.1";
  /** in order, names as sent */
  headers: Array<[string, string]>;
  /** the Host header's value, or null (HTTP/1.0 may leave it out) */
  host: string | null;
  /** bytes of body that follow the head */
  bodyLength: number;
  /** the client waits for "100 Continue" before it sends the body */
  expectsContinue: boolean;
}

/** Why a head is refused: the status to answer and one sentence. */
export interface Refusal {
  status: number;
  error: string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Bytes as a string of the same char codes (latin1), so no byte is lost or merged. */
export function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

/** Parses a request head: the bytes up to and including its empty line (see `headEnd`). */
export function parseHead(head: Uint8Array): RequestHead | Refusal {
  const bad = (why: string): Refusal => ({ status: 400, error: `Bad request: ${why}` });
  const text = latin1(head);
  if (!text.endsWith("\r\n\r\n")) return bad("the head does not end with an empty line");
  const lines = text.slice(0, -4).split("\r\n");
  // a bare CR or LF would be read as a line break by some parsers and not by others
  if (lines.some((l) => /[\r\n\0]/.test(l))) return bad("a line break that is not CRLF, or a NUL");
  if (lines.length - 1 > MAX_HEADERS) {
    return { status: 431, error: `Refusing a request with more than ${MAX_HEADERS} header lines` };
  }
  const m = /^([^ ]+) ([^ ]+) HTTP\/1\.([01])$/.exec(lines[0]);
  if (!m || !TOKEN.test(m[1])) return bad("the request line is not METHOD /path HTTP/1.1");
  const [, method, target, minor] = m;
  if (!target.startsWith("/")) return bad("the request target must be a path starting with /");
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    if (!TOKEN.test(name)) return bad("a header line is not Name: value");
    headers.push([name, line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "")]);
  }
  const all = (name: string) => headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
  const hosts = all("host");
  if (hosts.length > 1) return bad("more than one Host header");
  if (minor === "1" && hosts.length === 0) return bad("an HTTP/1.1 request needs a Host header");
  if (all("transfer-encoding").length > 0) {
    return { status: 411, error: "Refusing a request body sent in chunks: send it with a Content-Length" };
  }
  const lengths = [...new Set(all("content-length"))];
  if (lengths.length > 1) return bad("Content-Length headers that differ");
  if (lengths.length === 1 && !/^\d{1,15}$/.test(lengths[0])) {
    return bad("a Content-Length that is not a number");
  }
  return {
    method,
    target,
    version: minor === "1" ? "1.1" : "1.0",
    headers,
    host: hosts[0] ?? null,
    bodyLength: lengths.length === 1 ? Number(lengths[0]) : 0,
    expectsContinue: all("expect").some((v) => v.toLowerCase() === "100-continue"),
  };
}

const REASONS: Record<number, string> = {
  100: "Continue",
  200: "OK",
  201: "Created",
  204: "No Content",
  303: "See Other",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  411: "Length Required",
  413: "Content Too Large",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/**
 * A response head: the status line and the headers, `Connection: close` always, and
 * `Content-Length` when the body's length is known (else the body ends at the close).
 */
export function responseHead(status: number, headers: Headers, bodyLength: number | null): string {
  const lines = [`HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}`];
  for (const [name, value] of headers) {
    if (name === "set-cookie" || name === "connection" || name === "content-length") continue;
    if (name === "transfer-encoding" || name === "keep-alive") continue;
    lines.push(`${name}: ${value}`);
  }
  for (const cookie of headers.getSetCookie()) lines.push(`set-cookie: ${cookie}`);
  if (bodyLength !== null) lines.push(`content-length: ${bodyLength}`);
  lines.push("connection: close");
  return lines.join("\r\n") + "\r\n\r\n";
}
