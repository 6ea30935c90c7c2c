/**
 * The dashboard page's files as strings, so the page works from a compiled binary with no build
 * step. The server answers `GET /assets/<name>` with `ASSETS[name]` and nothing else (no file
 * system path is ever built from a request).
 */
import { APP_CSS } from "./app_css.ts";
import { APP_JS } from "./app_js.ts";
import { CORE_JS } from "./core_js.ts";
import { FAVICON_SVG } from "./favicon_svg.ts";
import { INDEX_HTML } from "./index_html.ts";

export interface Asset {
  /** The Content-Type header to serve it with. */
  type: string;
  body: string;
}

export const ASSETS: Record<string, Asset> = {
  "index.html": { type: "text/html; charset=utf-8", body: INDEX_HTML },
  "app.js": { type: "text/javascript; charset=utf-8", body: APP_JS },
  "core.js": { type: "text/javascript; charset=utf-8", body: CORE_JS },
  "app.css": { type: "text/css; charset=utf-8", body: APP_CSS },
  "favicon.svg": { type: "image/svg+xml", body: FAVICON_SVG },
};
