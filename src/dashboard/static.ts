/**
 * The page's files, compiled into the program: each is imported as text (so `deno compile` embeds
 * it and the page works from the binary) into a fixed map of names. A request names an entry of
 * that map; nothing here touches the file system, so no request path can reach a file outside it.
 * The files themselves live in `page/`, and the job log's format, which the worker writes and the
 * page reads, in `../joblog.js`: where fmt, lint and the type checker see them.
 */
import APP_CSS from "./page/app.css" with { type: "text" };
import APP_JS from "./page/app.js" with { type: "text" };
import CORE_JS from "./page/core.js" with { type: "text" };
import FAVICON_SVG from "./page/favicon.svg" with { type: "text" };
import INDEX_HTML from "./page/index.html" with { type: "text" };
import JOBLOG_JS from "../joblog.js" with { type: "text" };
import { HttpError } from "./respond.ts";

export interface Asset {
  /** The Content-Type header to serve it with. */
  type: string;
  body: string;
}

export type Assets = Record<string, Asset>;

const JS = "text/javascript; charset=utf-8";

/** `GET /assets/<name>` answers `ASSETS[name]`, and nothing else. */
export const ASSETS: Assets = {
  "index.html": { type: "text/html; charset=utf-8", body: INDEX_HTML },
  "app.js": { type: JS, body: APP_JS },
  "core.js": { type: JS, body: CORE_JS },
  "joblog.js": { type: JS, body: JOBLOG_JS },
  "app.css": { type: "text/css; charset=utf-8", body: APP_CSS },
  "favicon.svg": { type: "image/svg+xml", body: FAVICON_SVG },
};

export function asset(name: string, assets: Assets = ASSETS): Response {
  if (!Object.hasOwn(assets, name)) {
    throw new HttpError(404, `No such asset: ${JSON.stringify(name.slice(0, 100))}`);
  }
  const { type, body } = assets[name];
  return new Response(body, { headers: { "content-type": type } });
}

/** Every page path serves the one page; it routes on the client. */
export function page(assets: Assets = ASSETS): Response {
  return asset("index.html", assets);
}
