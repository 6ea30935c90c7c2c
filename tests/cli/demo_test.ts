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
