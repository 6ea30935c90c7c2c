/**
 * The dashboard as one function `(Request, Client) => Promise<Response>`, tested without a port.
 * Order of checks for every request: Host (DNS rebinding, when no token), token (except /login;
 * an address refused for its failed logins gets 429 for any token it sends), route and method,
 * same-origin for mutations, body size; then the endpoint. Every error is a JSON `{"error"}` (or
 * the login page, for pages), and every response gets the security headers.
 */
import * as api from "./api.ts";
import {
  clearedCookie,
  cookieName,
  crossSiteProblem,
  isLoopback,
  loginPage,
  presented,
  tokenCookie,
  tokenMatches,
  verdict,
  withSecurityHeaders,
} from "./auth.ts";
import type { DashboardDeps } from "./deps.ts";
import { eventStream } from "./events.ts";
import { LoginLimiter } from "./limiter.ts";
import { errorResponse, HttpError, redirect } from "./respond.ts";
import { asset, page } from "./static.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

function tooMany(client: Client, waitMs: number): string {
  return `Too many failed logins from ${client.address}: try again in ${seconds(waitMs)} s`;
}

/** Who sent a request, as the server saw the connection. */
export interface Client {
  /** the peer's IP address */
  address: string;
}

type Params = string[];
type Endpoint = (req: Request, url: URL, params: Params, client: Client) => Promise<Response> | Response;
interface Route {
  pattern: RegExp;
  methods: Record<string, Endpoint>;
  /** answered without the token */
  open?: boolean;
  /** a page (redirects to /login) rather than an API path (401) */
  page?: boolean;
}

/** Reads a request body of at most MAX_BODY_BYTES; a longer one is refused with 413 unread. */
export async function readBody(req: Request): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  const tooLarge = () => new HttpError(413, `Refusing a request body over ${MAX_BODY_BYTES} bytes`);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  if (!req.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  const all = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return new TextDecoder().decode(all);
}

/** A path segment, percent-decoded once (an encoded "/" stays inside the segment). */
function segment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `Invalid path segment "${raw.slice(0, 40)}": bad percent-encoding`);
  }
}

export function createHandler(
  deps: DashboardDeps,
): (req: Request, client?: Client) => Promise<Response> {
  const caches = api.newCaches();
  const limiter = deps.limiter ?? new LoginLimiter(() => deps.now().getTime());
  const ID = "([^/]+)";
  const routes: Route[] = [
    { pattern: /^\/$/, page: true, methods: { GET: () => page(deps.assets) } },
    { pattern: new RegExp(`^/jobs/${ID}$`), page: true, methods: { GET: () => page(deps.assets) } },
    {
      pattern: /^\/assets\/(.+)$/,
      page: true,
      methods: { GET: (_r, _u, [name]) => asset(name, deps.assets) },
    },
    {
      pattern: /^\/login$/,
      open: true,
      page: true,
      methods: {
        GET: () => deps.token === null ? redirect("/") : loginPage(null),
        POST: (req, url, _p, client) => login(req, url, client),
      },
    },
    { pattern: /^\/metrics$/, methods: { GET: () => api.metrics(deps, caches) } },
    { pattern: /^\/api\/status$/, methods: { GET: () => api.status(deps, caches) } },
    { pattern: /^\/api\/throughput$/, methods: { GET: () => api.throughput(deps, caches) } },
    {
      pattern: /^\/api\/events$/,
      methods: {
        GET: (req) =>
          eventStream(
            deps.changes,
            deps.shutdown ? AbortSignal.any([req.signal, deps.shutdown]) : req.signal,
          ),
      },
    },
    {
      pattern: /^\/api\/jobs$/,
      methods: {
        GET: (_r, url) => api.listJobs(deps, url),
        POST: async (req) => api.enqueue(deps, await readBody(req)),
      },
    },
    {
      pattern: new RegExp(`^/api/jobs/${ID}$`),
      methods: {
        GET: (_r, _u, [id]) => api.getJob(deps, id),
        DELETE: (_r, _u, [id]) => api.deleteJob(deps, id),
      },
    },
    {
      pattern: new RegExp(`^/api/jobs/${ID}/logs$`),
      methods: { GET: (_r, url, [id]) => api.jobLogs(deps, id, url) },
    },
    {
      pattern: new RegExp(`^/api/jobs/${ID}/retry$`),
      methods: { POST: (_r, _u, [id]) => api.retry(deps, id) },
    },
    {
      pattern: new RegExp(`^/api/jobs/${ID}/kill$`),
      methods: { POST: (_r, _u, [id]) => api.kill(deps, id) },
    },
    {
      pattern: new RegExp(`^/api/jobs/${ID}/cancel$`),
      methods: { POST: (_r, _u, [id]) => api.cancel(deps, id) },
    },
    {
      pattern: new RegExp(`^/api/jobs/${ID}/dependencies$`),
      methods: { GET: (_r, _u, [id]) => api.getDependencies(deps, id) },
    },
    { pattern: /^\/api\/queues$/, methods: { GET: () => api.queues(deps) } },
    {
      pattern: new RegExp(`^/api/queues/${ID}/pause$`),
      methods: { POST: (_r, _u, [name]) => api.queuePause(deps, name, true) },
    },
    {
      pattern: new RegExp(`^/api/queues/${ID}/resume$`),
      methods: { POST: (_r, _u, [name]) => api.queuePause(deps, name, false) },
    },
    {
      pattern: new RegExp(`^/api/queues/${ID}/concurrency$`),
      methods: { POST: async (req, _u, [name]) => api.queueConcurrency(deps, name, await readBody(req)) },
    },
    { pattern: /^\/api\/schedules$/, methods: { GET: () => api.schedules(deps) } },
    {
      pattern: new RegExp(`^/api/schedules/${ID}$`),
      methods: { DELETE: (_r, _u, [name]) => api.scheduleRemove(deps, name) },
    },
    {
      pattern: new RegExp(`^/api/schedules/${ID}/pause$`),
      methods: { POST: (_r, _u, [name]) => api.schedulePause(deps, name, true) },
    },
    {
      pattern: new RegExp(`^/api/schedules/${ID}/resume$`),
      methods: { POST: (_r, _u, [name]) => api.schedulePause(deps, name, false) },
    },
    { pattern: /^\/api\/dlq\/retry$/, methods: { POST: () => api.retryAll(deps) } },
    { pattern: /^\/api\/workers\/stop$/, methods: { POST: () => api.stopWorkers(deps) } },
  ];

  async function login(req: Request, url: URL, client: Client): Promise<Response> {
    if (deps.token === null) return redirect("/");
    const form = new URLSearchParams(await readBody(req));
    const wait = limiter.refusedFor(client.address);
    if (wait > 0) return loginPage(tooMany(client, wait), 429, { "retry-after": String(seconds(wait)) });
    if (!await tokenMatches(form.get("token"), deps.token)) {
      limiter.failed(client.address);
      return loginPage("That token is not the right one.", 401);
    }
    return redirect("/", { "set-cookie": tokenCookie(cookieName(url), deps.token) });
  }

  /**
   * Null when the request may go on to its route; else the answer: a login redirect, a 401 or a
   * 429. The token is checked only after the address's refusal, so a refused guess learns nothing.
   */
  async function gate(req: Request, url: URL, route: Route, client: Client): Promise<Response | null> {
    const token = deps.token;
    if (token === null || route.open) return null;
    const cookie = cookieName(url);
    const given = presented(req, cookie);
    const inQuery = req.method === "GET" || req.method === "HEAD" ? url.searchParams.get("token") : null;
    const wait = limiter.refusedFor(client.address);
    if (wait > 0 && (inQuery !== null || given.bearer !== null || given.cookie !== null)) {
      const retry = { "retry-after": String(seconds(wait)) };
      if (route.page && req.method === "GET") return loginPage(tooMany(client, wait), 429, retry);
      throw new HttpError(429, tooMany(client, wait), retry);
    }
    if (inQuery !== null) {
      if (await tokenMatches(inQuery, token)) {
        url.searchParams.delete("token");
        return redirect(url.pathname + url.search, { "set-cookie": tokenCookie(cookie, token) });
      }
      limiter.failed(client.address);
    }
    const said = await verdict(given, token);
    if (said === "right") return null;
    if (said === "wrong") limiter.failed(client.address);
    // a wrong cookie (say, of an earlier run of this dashboard) is forgotten, not sent again
    const forget: Record<string, string> = given.cookie !== null
      ? { "set-cookie": clearedCookie(cookie) }
      : {};
    if (route.page && req.method === "GET") return redirect("/login", forget);
    throw new HttpError(
      401,
      "Authentication required: send the token in an Authorization: Bearer header, or log in at /login",
      { "www-authenticate": 'Bearer realm="queuectl"', ...forget },
    );
  }

  async function route(req: Request, client: Client): Promise<Response> {
    const url = new URL(req.url);
    if (deps.token === null && !isLoopback(url.hostname)) {
      throw new HttpError(
        403,
        `Refusing a request for host ${
          url.host.slice(0, 100)
        }: without a token only loopback names are served`,
      );
    }
    const found = routes.map((r) => ({ r, m: r.pattern.exec(url.pathname) })).find(({ m }) => m !== null);
    if (!found) throw new HttpError(404, `No such page or endpoint: ${url.pathname.slice(0, 100)}`);
    const { r, m } = found;
    const refused = await gate(req, url, r, client);
    if (refused !== null) return refused;
    // HEAD is GET without the body
    const method = req.method === "HEAD" && Object.hasOwn(r.methods, "GET") ? "GET" : req.method;
    const endpoint = Object.hasOwn(r.methods, method) ? r.methods[method] : undefined;
    if (!endpoint) {
      const allow = Object.keys(r.methods).join(", ");
      throw new HttpError(405, `Method ${req.method.slice(0, 20)} is not allowed here: use ${allow}`, {
        allow,
      });
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      const problem = crossSiteProblem(req, url.origin);
      if (problem) throw new HttpError(403, problem);
    }
    return await endpoint(req, url, m!.slice(1).map(segment), client);
  }

  return async (req: Request, client: Client = { address: "unknown" }): Promise<Response> => {
    let res: Response;
    try {
      res = await route(req, client);
    } catch (e) {
      res = errorResponse(e);
    }
    if (req.method === "HEAD") {
      await res.body?.cancel();
      res = new Response(null, { status: res.status, headers: res.headers });
    }
    return withSecurityHeaders(res);
  };
}
