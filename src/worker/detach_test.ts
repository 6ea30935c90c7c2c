import assert from "node:assert/strict";
import { lastLines, selfCommandFrom } from "./detach.ts";
import { dirOfHome, withHome } from "../../testkit/mod.ts";

const runtime = { execPath: "/opt/deno", standalone: false, mainModule: "https://example.invalid/main.ts" };

Deno.test("selfCommandFrom() keeps every option deno was started with and puts the new arguments last", () => {
  const cmdline = [
    "deno",
    "run",
    "--allow-read",
    "--config",
    "/x/deno.json",
    "file:///x/main.ts",
    "worker",
    "start",
    "--detach",
    "",
  ]
    .join("\0");
  assert.deepEqual(
    selfCommandFrom(cmdline, ["worker", "start", "--detach"], ["worker", "start", "--home", "/h"], runtime),
    [
      "/opt/deno",
      "run",
      "--allow-read",
      "--config",
      "/x/deno.json",
      "file:///x/main.ts",
      "worker",
      "start",
      "--home",
      "/h",
    ],
  );
});

Deno.test("selfCommandFrom() runs a compiled binary as itself, and falls back to deno run without /proc", () => {
  assert.deepEqual(
    selfCommandFrom(null, ["a"], ["worker", "start"], {
      ...runtime,
      execPath: "/usr/bin/queuectl",
      standalone: true,
    }),
    ["/usr/bin/queuectl", "worker", "start"],
  );
  const fallback = selfCommandFrom(null, ["a"], ["worker"], runtime);
  assert.equal(fallback[0], "/opt/deno");
  assert.equal(fallback[1], "run");
  assert.deepEqual(fallback.slice(-2), [runtime.mainModule, "worker"]);
  // a cmdline whose tail is not our arguments is not trusted either
  assert.deepEqual(selfCommandFrom("deno\0run\0other.ts\0x\0", ["a"], ["worker"], runtime), fallback);
});

Deno.test("lastLines() returns the last lines of a file, and none for a missing one", () =>
  withHome((home) => {
    const path = `${dirOfHome(home)}/some.log`;
    Deno.writeTextFileSync(path, Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n") + "\n");
    assert.deepEqual(lastLines(path, 3), ["line 27", "line 28", "line 29"]);
    assert.deepEqual(lastLines(`${dirOfHome(home)}/missing.log`), []);
  }));
