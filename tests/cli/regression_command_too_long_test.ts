/**
 * Regression (issue 13 #10): a 200 KB command was accepted and could never run: Linux passes at
 * most MAX_ARG_STRLEN = 131072 bytes (the terminating NUL included) as one argument of a program,
 * and a job's command is one argument (`sh -c COMMAND`), each argv element another. Enqueue now
 * refuses (exit 2, one sentence naming the limit and the size) what cannot be passed; the test
 * proves the boundary by running a command and an argument of exactly the largest size.
 */
import assert from "node:assert/strict";
import { cli, cliJson, cliOk, withHome } from "../../testkit/mod.ts";

const utf8 = (s: string) => new TextEncoder().encode(s).length;

/** A shell command of exactly `bytes` bytes of UTF-8 that prints "ran"; its padding is `fill`. */
function commandOf(bytes: number, fill: string): string {
  const head = "echo ran #";
  let text = head + fill.repeat(Math.floor((bytes - utf8(head)) / utf8(fill)));
  text += "x".repeat(bytes - utf8(text));
  assert.equal(utf8(text), bytes);
  return text;
}

/** Enqueues jobs as JSON lines on stdin (a command this long cannot be an argument of queuectl). */
function enqueue(home: string, jobs: object[]) {
  return cli(home, ["enqueue", "--file", "-"], { stdin: jobs.map((j) => JSON.stringify(j)).join("\n") });
}

function refusedOneLine(r: { code: number; stderr: string; stdout: string }, re: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr.split("\n").length, 2, r.stderr);
  assert.match(r.stderr, re);
}

Deno.test("a command of 131072 bytes is refused at enqueue, naming the limit and its size; nothing is written", () =>
  withHome(async (home) => {
    for (const fill of ["x", "é", "€", "😀"]) {
      const r = await enqueue(home, [{ command: commandOf(131_072, fill) }]);
      refusedOneLine(
        r,
        /^error: Cannot enqueue line 1 of stdin: "command" is 131072 bytes of UTF-8, but Linux passes at most 131071 bytes as one argument of a program \(MAX_ARG_STRLEN\), so it could never run$/m,
      );
    }
    const huge = await enqueue(home, [{ command: commandOf(200_000, "x") }]);
    refusedOneLine(huge, /"command" is 200000 bytes of UTF-8, but Linux passes at most 131071 bytes/);
    assert.throws(() => Deno.statSync(home), "a refused enqueue must not create the home");
  }));

Deno.test("a command of 131071 bytes (ASCII or multi-byte) is accepted and runs to completion", () =>
  withHome(async (home) => {
    // one through queuectl's own argument list, which holds it too
    assert.equal((await cliOk(home, ["enqueue", "--id", "ascii", commandOf(131_071, "x")])).trim(), "ascii");
    const r = await enqueue(home, [{ id: "euro", command: commandOf(131_071, "€") }]);
    assert.equal(r.code, 0, r.stderr);
    await cliOk(home, ["worker", "start", "--drain", "--count", "2"]);
    for (const id of ["ascii", "euro"]) {
      const job = await cliJson(home, ["show", id]);
      assert.equal(job.state, "completed", JSON.stringify({ ...job, command: undefined }));
      assert.equal(job.output_tail, "ran\n");
    }
  }));

Deno.test("an argv element of 131072 bytes is refused; one of 131071 bytes reaches the program whole", () =>
  withHome(async (home) => {
    const print = ["/bin/sh", "-c", 'printf "%s\\n" "${#1}"', "sh"];
    const refused = await enqueue(home, [{ argv: [...print, "y".repeat(131_072)] }]);
    refusedOneLine(
      refused,
      /^error: Cannot enqueue line 1 of stdin: "argv\[4\]" is 131072 bytes of UTF-8, but Linux passes at most 131071 bytes as one argument of a program \(MAX_ARG_STRLEN\), so it could never run$/m,
    );
    assert.throws(() => Deno.statSync(home), "a refused enqueue must not create the home");
    const r = await enqueue(home, [{ id: "arg", argv: [...print, "y".repeat(131_071)] }]);
    assert.equal(r.code, 0, r.stderr);
    await cliOk(home, ["worker", "start", "--drain"]);
    const job = await cliJson(home, ["show", "arg"]);
    assert.equal(job.state, "completed");
    assert.equal(job.output_tail, "131071\n"); // dash's ${#1} counts bytes
  }));

Deno.test("an argv of more than 1 MiB in all (in bytes, NULs included) is refused; one of exactly 1 MiB runs", () =>
  withHome(async (home) => {
    const head = ["/bin/sh", "-c", 'echo "$#"', "sh"];
    const headBytes = head.reduce((n, a) => n + utf8(a) + 1, 0);
    // seven arguments of the largest size, and one more to make exactly 1 MiB with the NULs
    const full = [...Array(7)].map(() => "€".repeat(43_690) + "z"); // 131071 bytes each
    const last = 1_048_576 - headBytes - full.reduce((n, a) => n + utf8(a) + 1, 0) - 1;
    const argv = [...head, ...full, "w".repeat(last)];
    const over = await enqueue(home, [{ argv: [...argv.slice(0, -1), "w".repeat(last + 1)] }]);
    refusedOneLine(
      over,
      /^error: Cannot enqueue line 1 of stdin: "argv" is 1048577 bytes of UTF-8 in all \(a NUL ending each argument\), more than the 1048576 bytes queuectl allows for the arguments of one program$/m,
    );
    const r = await enqueue(home, [{ id: "full", argv }]);
    assert.equal(r.code, 0, r.stderr);
    await cliOk(home, ["worker", "start", "--drain"]);
    const job = await cliJson(home, ["show", "full"]);
    assert.equal(job.state, "completed", job.last_error);
    assert.equal(job.output_tail, "8\n");
  }));
