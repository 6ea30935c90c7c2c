import assert from "node:assert/strict";
import { homeArgs } from "./global_args.ts";

Deno.test("homeArgs() reads the global and the command's --home, in either form, not after --", () => {
  assert.deepStrictEqual(homeArgs(["--home", "/g", "enqueue", "--home=/c", "x", "--", "--home", "/p"]), {
    global: "/g",
    command: "/c",
    rest: ["enqueue", "--home=/c", "x", "--", "--home", "/p"],
    problem: null,
  });
  assert.deepStrictEqual(homeArgs(["status"]), {
    global: undefined,
    command: undefined,
    rest: ["status"],
    problem: null,
  });
});

Deno.test("homeArgs() says an empty --home or one with no directory is a problem, wherever it is given", () => {
  for (
    const args of [["--home", "", "status"], ["--home=", "status"], ["status", "--home="], [
      "status",
      "--home",
      "",
    ]]
  ) {
    assert.equal(homeArgs(args).problem, "Invalid --home: it is empty", JSON.stringify(args));
  }
  for (const args of [["--home"], ["status", "--home"], ["--json", "--home"]]) {
    assert.equal(
      homeArgs(args).problem,
      "Invalid --home: it needs a directory, as in --home DIR",
      JSON.stringify(args),
    );
  }
  assert.equal(homeArgs(["enqueue", "--argv", "--", "echo", "--home", ""]).problem, null);
});
