import assert from "node:assert/strict";
import { check } from "./build.ts";
import { LAZY_MODULES } from "../src/lazy.ts";

/** The entry points of the build of every command. */
const MODULES = ["main.ts", ...LAZY_MODULES];

/** A folder laid out as that build: main.js and every entry point, each with `text` of its own. */
function fakeBundle(texts: Record<string, string> = {}): string {
  const dir = Deno.makeTempDirSync({ prefix: "qctl-build-test-" });
  const files = MODULES.map((m) => m.replace(/\.ts$/, ".js"));
  for (const file of [...files, ...Object.keys(texts)]) {
    Deno.mkdirSync(`${dir}/${file}`.replace(/\/[^/]+$/, ""), { recursive: true });
    Deno.writeTextFileSync(`${dir}/${file}`, texts[file] ?? "");
  }
  return dir;
}

Deno.test("check() accepts entry points that import chunks at the top, statically or by a literal name", () => {
  const dir = fakeBundle({
    "main.js": 'import { a } from "./chunk-A.js";',
    "src/cli/enqueue.js": 'const m = await import("../../worker-B.js");',
    "chunk-A.js": 'const BUNDLED = !import.meta.url.endsWith("/src/lazy.ts");',
    "worker-B.js": "",
  });
  try {
    assert.deepEqual(check(dir, MODULES), []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("check() refuses a missing entry point, a nested chunk, a literal import of an entry point, and imports left to resolve", () => {
  const dir = fakeBundle({
    "main.js": 'const r = await import("./src/cli/run.js"); import x from "npm:jsonc-parser";',
    "src/cli/chunk-C.js": 'const BUNDLED = !import.meta.url.endsWith("/src/lazy.ts");',
    "chunk-D.js": 'import { y } from "./src/clock.ts";',
  });
  try {
    Deno.removeSync(`${dir}/src/cli/help_cmd.js`);
    assert.deepEqual(check(dir, MODULES).sort(), [
      "chunk-D.js imports ./src/clock.ts",
      "main.js imports npm:jsonc-parser",
      "main.js imports the entry point src/cli/run.js by a literal name",
      "no entry point src/cli/help_cmd.js",
      "src/cli/chunk-C.js holds src/lazy.ts, which must be in a chunk at the top of the folder",
      "src/cli/chunk-C.js is a chunk below the top folder",
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
