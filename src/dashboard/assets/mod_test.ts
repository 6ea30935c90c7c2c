import assert from "node:assert/strict";
import { ASSETS } from "./mod.ts";

Deno.test("every file the page names is in ASSETS, with a content type", () => {
  const html = ASSETS["index.html"].body;
  const named = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1]);
  const imported = [...ASSETS["app.js"].body.matchAll(/from "\.\/([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual([...new Set([...named, ...imported])].sort(), [
    "app.css",
    "app.js",
    "core.js",
    "favicon.svg",
  ]);
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
  for (const name of ["app.js", "core.js"]) {
    const js = ASSETS[name].body;
    assert.doesNotMatch(
      js,
      /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/,
      name,
    );
    assert.doesNotMatch(js, /\.style\.|setAttribute\("style"/, `${name} sets an inline style`);
  }
});
