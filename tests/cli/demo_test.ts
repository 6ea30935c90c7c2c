import assert from "node:assert/strict";
import { DENO, ROOT } from "../../testkit/mod.ts";

Deno.test("deno task demo drains its queue: 4 jobs completed, 3 in the DLQ, and says where to look next", async () => {
  const out = await new Deno.Command(DENO, {
    args: ["task", "demo"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const finalStatus = text.slice(text.lastIndexOf("$ queuectl status"));
  assert.match(finalStatus, /completed\s+4\n/);
  assert.match(finalStatus, /dead\s+3\n/);
  assert.match(finalStatus, /pending\s+0\n/);
  assert.match(text, /dead flaky \(exit code 3\) after 3 attempt\(s\)/);
  assert.match(text, /timed out after 1s/);
  assert.match(text, /Where to look next/);
  const home = /export QUEUECTL_HOME=(\S+)/.exec(text)![1];
  await Deno.remove(home.replace(/\/home$/, ""), { recursive: true });
});

Deno.test("deno task demo downloads no test-only package: deno.lock and the top-level imports name none", async () => {
  // `deno task` caches every npm package of deno.lock and of deno.json's top-level imports before
  // it runs anything, so the packages only tests use live in scopes and in deno.dev.lock
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const lock = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.lock`));
  const topLevel = new Set(Object.values(config.imports as Record<string, string>));
  const testOnly = new Set(
    Object.values(config.scopes as Record<string, Record<string, string>>)
      .flatMap((scope) => Object.values(scope))
      .filter((spec) => !topLevel.has(spec))
      .map((spec) => spec.replace(/^npm:/, "").replace(/@[^@]*$/, "")),
  );
  assert.ok(testOnly.has("playwright-core") && testOnly.has("fast-check"), [...testOnly].join(", "));
  const locked = [...Object.keys(lock.specifiers ?? {}), ...Object.keys(lock.npm ?? {})]
    .map((name) => name.replace(/^npm:/, "").replace(/@[^@]*$/, ""));
  const leaked = [...new Set(locked.filter((name) => testOnly.has(name)))];
  assert.deepEqual(
    leaked,
    [],
    `deno.lock holds test-only packages (${leaked.join(", ")}): run what imports them with ` +
      "--lock=deno.dev.lock (deno task test and deno task check do), and restore deno.lock with git",
  );
});
