/**
 * The security model, in one place:
 * - A dashboard has a token unless started with --no-token (loopback only): the one given, or one
 *   generated at start (token.ts). Every request but `/login` carries it: `Authorization: Bearer T`,
 *   or the cookie `queuectl_token_<port>` that `/login` (or `?token=T` on a GET) sets; the port in
 *   its name keeps two dashboards on one host from overwriting each other's. Tokens are compared
 *   in constant time (both sides hashed, then every byte compared).
 * - A wrong token counts against the client's address (limiter.ts): too many, and it is refused
 *   for a while (429).
 * - Without a token the dashboard serves loopback only, and answers only requests whose Host is a
 *   loopback name, so a page of another site cannot reach it by DNS rebinding.
 * - Mutations are POST/DELETE only, and must come from the page itself: a browser request (one
 *   with Origin, Sec-Fetch-Site or Referer) must be same-origin; a request with none of these
 *   (a script, curl) must carry `Authorization: Bearer`, which no cross-site form can send and no
 *   cross-site fetch can send without a CORS preflight, which this server never grants.
 * - Every response carries a strict Content-Security-Policy and nosniff; nothing is cached.
 * - The server (connections.ts) bounds connections: how many, and how long a request may take to
 *   arrive.
 */
import LOGIN_HTML from "./page/login.html" with { type: "text" };

/** The token cookie's name for the dashboard a request is addressed to: one per port. */
export function cookieName(url: URL): string {
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return `queuectl_token_${port}`;
}

export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
};

/** Adds the security headers to a response (a copy when its headers are immutable). */
export function withSecurityHeaders(res: Response): Response {
  let out = res;
  try {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) out.headers.set(k, v);
  } catch {
    out = new Response(res.body, { status: res.status, statusText: res.statusText, headers: res.headers });
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) out.headers.set(k, v);
  }
  return out;
}

const encoder = new TextEncoder();

/** True when `given` equals `expected`, in time independent of where they differ. */
export async function tokenMatches(given: string | null | undefined, expected: string): Promise<boolean> {
  if (given === null || given === undefined) return false;
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

export function bearerToken(req: Request): string | null {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.get("authorization") ?? "");
  return m ? m[1].trim() : null;
}

export function cookieToken(req: Request, name: string): string | null {
  for (const part of (req.headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return null;
    }
  }
  return null;
}

export function tokenCookie(name: string, token: string): string {
  return `${name}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}

/** A Set-Cookie that makes the browser forget the cookie `name` (a wrong one, sent again and again). */
export function clearedCookie(name: string): string {
  return `${name}=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/`;
}

/** The credentials a request presents, unchecked. */
export interface Presented {
  bearer: string | null;
  cookie: string | null;
}

export function presented(req: Request, cookie: string): Presented {
  return { bearer: bearerToken(req), cookie: cookieToken(req, cookie) };
}

/**
 * What the presented credentials say: "none" when there are none, "right" when one of them is the
 * token, else "wrong" (a failed login).
 */
export async function verdict(given: Presented, token: string): Promise<"none" | "right" | "wrong"> {
  if (given.bearer === null && given.cookie === null) return "none";
  const right = await tokenMatches(given.bearer, token) || await tokenMatches(given.cookie, token);
  return right ? "right" : "wrong";
}

/** 127.0.0.0/8, ::1 and localhost: the names that never leave this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost") || h === "::1") return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return m !== null && m.slice(1).every((n) => Number(n) <= 255);
}

/**
 * Why a mutation is refused as cross-site, or null when it may proceed (see the model above).
 * `origin` is this server's own origin, as the request URL names it.
 */
export function crossSiteProblem(req: Request, origin: string): string | null {
  const from = req.headers.get("origin");
  const site = req.headers.get("sec-fetch-site");
  const referer = req.headers.get("referer");
  // a form posted from a page served with Referrer-Policy: no-referrer (this one) says Origin
  // "null"; the browser's Sec-Fetch-Site then tells where it came from
  if (from !== null && !(from === "null" && site === "same-origin")) {
    return from === origin ? null : `Refusing a cross-origin request from ${from.slice(0, 100)}`;
  }
  if (site !== null) {
    return site === "same-origin" ? null : `Refusing a ${site.slice(0, 40)} request without an Origin header`;
  }
  if (referer !== null) {
    let refOrigin = "";
    try {
      refOrigin = new URL(referer).origin;
    } catch { /* not a URL: refused below */ }
    return refOrigin === origin ? null : "Refusing a request whose Referer is another site";
  }
  return req.headers.has("authorization")
    ? null
    : "Refusing a change without an Origin header: send it from the page, or with an Authorization: Bearer header";
}

/** The login form (page/login.html), with the reason for a refusal when there is one. */
export function loginPage(
  problem: string | null,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  const note = problem ? `<p role="alert">${escapeHtml(problem)}</p>` : "";
  const body = LOGIN_HTML.replace("<!--problem-->", note);
  return new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8", ...headers } });
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
