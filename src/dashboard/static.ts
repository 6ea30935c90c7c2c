/**
 * The page's files, compiled into the program as strings (assets/mod.ts), so the page works from
 * the `deno compile` binary. A request names an entry of that map; nothing here touches the file
 * system, so no request path can reach a file outside it.
 */
import { ASSETS } from "./assets/mod.ts";
import { HttpError } from "./respond.ts";

export type Assets = Record<string, { type: string; body: string }>;

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
