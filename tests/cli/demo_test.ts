import assert from "node:assert/strict";
import { cliJson, DENO, ROOT } from "../../testkit/mod.ts";

Deno.test("deno task demo drains its queue: 10 jobs completed, 3 in the DLQ, uploads one at a time, deploy after test after build, and says where to look next", async () => {
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
  assert.match(finalStatus, /completed\s+10\n/);
  assert.match(finalStatus, /dead\s+3\n/);
  assert.match(finalStatus, /pending\s+0\n/);
  assert.match(text, /dead flaky \(exit code 3\) after 3 attempt\(s\)/);
  assert.match(text, /timed out after 1s/);
  assert.match(text, /Where to look next/);
  assert.match(text, /^uploads\s+1\s+running\s+0\s+0\s+3\s+0\s+0$/m);
  assert.match(text, /^nightly-report\s+0 3 \* \* \*\s+UTC\s+active\s+\S+Z \(in /m);
  const home = /export QUEUECTL_HOME=(\S+)/.exec(text)![1];
  try {
    /** When a job's one attempt ran: [started, finished] in ms. */
    const ran = async (id: string): Promise<[number, number]> => {
      const job = await cliJson(home, ["show", id]);
      assert.equal(job.state, "completed", id);
      assert.equal(job.runs.length, 1, id);
      return [Date.parse(job.runs[0].started_at), Date.parse(job.runs[0].finished_at)];
    };
    // the uploads queue's limit of 1: no upload started before the one before it finished
    const uploads = await Promise.all(["upload-1", "upload-2", "upload-3"].map(ran));
    uploads.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < uploads.length; i++) {
      assert.ok(uploads[i][0] >= uploads[i - 1][1], "uploads overlapped");
    }
    const [build, test, deploy] = await Promise.all(["build", "test", "deploy"].map(ran));
    assert.ok(test[0] >= build[1] && deploy[0] >= test[1], "the chain ran out of order");
    assert.equal((await cliJson(home, ["show", "deploy"])).after.join(), "test");
  } finally {
    await Deno.remove(home.replace(/\/home$/, ""), { recursive: true });
  }
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
