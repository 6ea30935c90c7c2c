import assert from "node:assert/strict";
import { lazy, LAZY_MODULES, lazyUrl } from "./lazy.ts";

const root = new URL("../", import.meta.url);

Deno.test("every name of LAZY_MODULES is a module of the sources, named once", () => {
  assert.equal(new Set(LAZY_MODULES).size, LAZY_MODULES.length);
  for (const name of LAZY_MODULES) assert.ok(Deno.statSync(new URL(name, root)).isFile, name);
});

Deno.test("lazyUrl() names the source file when run from the sources", () => {
  assert.equal(lazyUrl("src/cli/app.ts"), new URL("src/cli/app.ts", root).href);
});

Deno.test("lazy() imports the module its name names: the instance a static import gets", async () => {
  const render = await import("./cli/render.ts");
  assert.equal(await lazy<typeof import("./cli/render.ts")>("src/cli/render.ts"), render);
});
