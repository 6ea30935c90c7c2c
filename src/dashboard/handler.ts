/**
 * The dashboard as one function `(Request) => Promise<Response>`, tested without a port.
 * Order of checks for every request: Host (DNS rebinding, when no token), token (except /login),
 * route and method, same-origin for mutations, body size; then the endpoint. Every error is a
 * JSON `{"error"}` (or the login page, for pages), and every response gets the security headers.
 */
import * as api from "./api.ts";
import {
  authorized,
  crossSiteProblem,
  isLoopback,
  loginPage,
  tokenCookie,
  tokenMatches,
  withSecurityHeaders,
} from "./auth.ts";
import type { DashboardDeps } from "./deps.ts";
import { eventStream } from "./events.ts";
import { errorResponse, HttpError, redirect } from "./respond.ts";
import { asset, page } from "./static.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

type Params = string[];
type Endpoint = (req: Request, url: URL, params: Params) => Promise<Response> | Response;
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

export function createHandler(deps: DashboardDeps): (req: Request) => Promise<Response> {
  const caches = api.newCaches();
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
        POST: (req) => login(req),
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
    { pattern: /^\/api\/dlq\/retry$/, methods: { POST: () => api.retryAll(deps) } },
    { pattern: /^\/api\/workers\/stop$/, methods: { POST: () => api.stopWorkers(deps) } },
  ];

  async function login(req: Request): Promise<Response> {
    if (deps.token === null) return redirect("/");
    const form = new URLSearchParams(await readBody(req));
    if (!await tokenMatches(form.get("token"), deps.token)) {
      return loginPage("That token is not the right one.", 401);
    }
    return redirect("/", { "set-cookie": tokenCookie(deps.token) });
  }

  async function route(req: Request): Promise<Response> {
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
    if (deps.token !== null && !r.open) {
      const given = url.searchParams.get("token");
      if (req.method === "GET" && given !== null && await tokenMatches(given, deps.token)) {
        url.searchParams.delete("token");
        return redirect(url.pathname + url.search, { "set-cookie": tokenCookie(deps.token) });
      }
      if (!await authorized(req, deps.token)) {
        if (r.page && req.method === "GET") return redirect("/login");
        throw new HttpError(
          401,
          "Authentication required: send the token in an Authorization: Bearer header, or log in at /login",
          {
            "www-authenticate": 'Bearer realm="queuectl"',
          },
        );
      }
    }
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
    return await endpoint(req, url, m!.slice(1).map(segment));
  }

  return async (req: Request): Promise<Response> => {
    let res: Response;
    try {
      res = await route(req);
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
