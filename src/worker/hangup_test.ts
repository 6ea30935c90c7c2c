import assert from "node:assert/strict";
import { hangupDisposition } from "./hangup.ts";
import { dirOfHome, withHome } from "../../testkit/mod.ts";

const HUP = 1n;

Deno.test("hangupDisposition() says ignored, default, or unknown once something caught SIGHUP first", () => {
  assert.equal(hangupDisposition({ ignored: 0x1000n | HUP, caught: 0n }), "ignored");
  assert.equal(hangupDisposition({ ignored: 0x1000n, caught: 0x440n }), "default");
  // Deno's own handler (installed by any signal listener) replaced whatever was there
  assert.equal(hangupDisposition({ ignored: 0x1000n, caught: 0x4443n }), "unknown");
  assert.equal(hangupDisposition(null), "unknown");
});

/** What `hangupAtStart()` says in a fresh Deno process started by `sh -c <prelude>; exec deno ...`. */
async function atStart(prelude: string, dir: string): Promise<string> {
  const script = `${dir}/probe.ts`;
  const module = new URL("./hangup.ts", import.meta.url).href;
  Deno.writeTextFileSync(
    script,
    `import { hangupAtStart } from ${JSON.stringify(module)};\nconsole.log(hangupAtStart());\n`,
  );
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", `${prelude}; exec "$0" run --allow-run --allow-read "$1"`, Deno.execPath(), script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("hangupAtStart() sees SIGHUP ignored by nohup's way (trap '' HUP), and not ignored otherwise", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    assert.equal(await atStart("trap '' HUP", dir), "ignored");
    assert.equal(await atStart("trap - HUP", dir), "default");
  }));
