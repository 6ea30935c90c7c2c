/** The page's files as served: what they name is there, and they keep to the CSP. */
import assert from "node:assert/strict";
import { STATES } from "./page/core.js";
import { ASSETS } from "./static.ts";

Deno.test("every file the page names is in ASSETS, with a content type", () => {
  const html = ASSETS["index.html"].body;
  const named = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1]);
  const imported = Object.entries(ASSETS).filter(([name]) => name.endsWith(".js")).flatMap(([, asset]) =>
    [...asset.body.matchAll(/from "(?:\.\/|\/assets\/)([^"]+)"/g)].map((m) => m[1])
  );
  assert.deepEqual(
    [...new Set([...named, ...imported])].sort(),
    Object.keys(ASSETS).filter((n) => n !== "index.html").sort(),
  );
  assert.deepEqual([...new Set(imported)].sort(), ["core.js", "joblog.js"]);
  for (const [name, asset] of Object.entries(ASSETS)) {
    assert.ok(asset.body.length > 0, name);
    assert.match(asset.type, /^(text\/(html|javascript|css); charset=utf-8|image\/svg\+xml)$/, name);
  }
});

Deno.test("the page obeys its CSP: no inline script, no inline style, nothing from another host", () => {
  const html = ASSETS["index.html"].body;
  for (const tag of html.matchAll(/<script\b[^>]*>/g)) assert.match(tag[0], / src="\/assets\//, tag[0]);
  assert.doesNotMatch(html, /<script\b[^>]*>[^<]/, "a script with a body");
  assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i);
  for (const asset of Object.values(ASSETS)) {
    assert.doesNotMatch(
      asset.body,
      /(?:src|href|url\()\s*=?\s*["']?(?:https?:)?\/\//,
      "an external reference",
    );
  }
});

Deno.test("the scripts never build markup from strings", () => {
  for (const name of ["app.js", "core.js", "joblog.js"]) {
    const js = ASSETS[name].body;
    assert.doesNotMatch(
      js,
      /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/,
      name,
    );
    assert.doesNotMatch(js, /\.style\.|setAttribute\("style"/, `${name} sets an inline style`);
  }
});

Deno.test("every element app.js looks up by id is in index.html, as the kind it expects", () => {
  const html = ASSETS["index.html"].body;
  const js = ASSETS["app.js"].body;
  const tagOf = (id: string) => new RegExp(`<([a-z0-9]+)\\b[^>]*\\bid="${id}"`).exec(html)?.[1];
  const asked = [
    ...[...js.matchAll(/\$\("([^"]+)"\)/g)].map((m) => [m[1], "HTMLElement"]),
    ...[...js.matchAll(/\$of\("([^"]+)", (\w+)\)/g)].map((m) => [m[1], m[2]]),
    ...STATES.map((state) => [`count-${state}`, "HTMLElement"]),
  ];
  assert.ok(asked.length > 30, `only ${asked.length} lookups found`);
  const kinds: Record<string, (tag: string) => boolean> = {
    HTMLElement: (tag) => !["svg", "desc", "title", "rect", "text"].includes(tag),
    HTMLButtonElement: (tag) => tag === "button",
    HTMLSelectElement: (tag) => tag === "select",
    HTMLInputElement: (tag) => tag === "input",
    HTMLFormElement: (tag) => tag === "form",
    SVGSVGElement: (tag) => tag === "svg",
    SVGElement: (tag) => ["desc", "title", "rect", "text", "svg"].includes(tag),
  };
  for (const [id, kind] of asked) {
    const tag = tagOf(id);
    assert.ok(tag, `app.js asks for #${id}, which index.html does not have`);
    assert.ok(kinds[kind]?.(tag), `app.js expects #${id} to be an ${kind}; index.html has a <${tag}>`);
  }
});

Deno.test("deno compile embeds every page file: each is in main.ts's module graph, and served as it is", async () => {
  const root = new URL("../../", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "info",
      "--json",
      "--config",
      new URL("deno.json", root).pathname,
      new URL("main.ts", root).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const graph = JSON.parse(new TextDecoder().decode(out.stdout));
  const inGraph = new Set<string>(graph.modules.map((m: { specifier: string }) => m.specifier));
  const files = [...Deno.readDirSync(new URL("page/", import.meta.url))]
    .map((e) => `page/${e.name}`)
    .filter((path) => path !== "page/browser.jsonc");
  files.push("../joblog.js");
  // login.html is /login's (auth.ts), the rest are /assets/<name>
  assert.deepEqual(
    files.map((path) => path.split("/").pop()).filter((name) => name !== "login.html").sort(),
    Object.keys(ASSETS).sort(),
    "page/ and joblog.js are exactly the served files",
  );
  for (const path of files) {
    const name = path.split("/").pop()!;
    const url = new URL(path, import.meta.url);
    assert.ok(inGraph.has(url.href), `${url.href} is not in main.ts's module graph`);
    if (name !== "login.html") {
      assert.equal(ASSETS[name].body, Deno.readTextFileSync(url), `${name} is not served as it is on disk`);
    }
  }
});
