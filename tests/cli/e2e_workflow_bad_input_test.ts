/**
 * End-to-end: invalid input to the commands that shape the work (enqueue's queue, after, unique,
 * env and cwd; queue; worker start --queue; list --queue; kill, cancel, wait). Each is refused
 * with exit code 2, one line on stderr naming the field or flag, nothing on stdout, and the
 * home's files byte-identical.
 */
import { cliOk, dirOfHome, expectRefused, refused as c, withHome } from "../../testkit/mod.ts";

/** A home with config, jobs in several states and queue settings: something to leave untouched. */
async function populate(home: string): Promise<void> {
  await cliOk(home, ["config", "set", "backoff-base", "1"]);
  await cliOk(home, ["enqueue", "--id", "p1", "--queue", "builds", "true"]);
  await cliOk(home, ["enqueue", "--id", "d1", "--max-retries", "0", "echo oops; exit 1"]);
  await cliOk(home, ["worker", "start", "--drain"]);
  await cliOk(home, ["enqueue", "--id", "later", "--delay", "1h", "--unique", "k", "true"]);
  await cliOk(home, ["queue", "set", "uploads", "--concurrency", "2"]);
}

Deno.test("enqueue refuses a bad --queue, --after, --unique, --env or --cwd: exit 2, one line naming the flag, home unchanged", () =>
  withHome(async (home) => {
    await populate(home);
    await expectRefused(home, [
      c(["enqueue", "--queue", "Uploads", "true"], /--queue "Uploads": use 1 to 64 lowercase/),
      c(["enqueue", "--queue", "", "true"], /--queue ""/),
      c(["enqueue", "--queue=-x", "true"], /--queue "-x"/),
      c(["enqueue", "--queue", "a.b", "true"], /--queue "a\.b"/),
      c(["enqueue", "--queue", "q".repeat(65), "true"], /--queue/),
      c(["enqueue", "--after", "a/b", "true"], /--after "a\/b": it is not a job id/),
      c(["enqueue", "--after", "", "true"], /--after "": it is not a job id: it is empty/),
      c(["enqueue", "--id", "self", "--after", "self", "true"], /"self": it cannot depend on itself/),
      c(["enqueue", "--unique", "", "true"], /--unique "": it must not be empty/),
      c(["enqueue", "--unique", "k".repeat(257), "true"], /--unique .*257 characters long \(at most 256\)/),
      c(["enqueue", "--unique", "a\tb", "true"], /--unique .*control characters/),
      c(["enqueue", "--env", "FOO", "true"], /--env "FOO": expected NAME=value/),
      c(
        ["enqueue", "--env", "1X=2", "true"],
        /--env "1X=2": the name "1X" is not an environment variable name/,
      ),
      c(["enqueue", "--env", "A-B=1", "true"], /--env "A-B=1"/),
      c(["enqueue", "--env", "=x", "true"], /--env "=x"/),
      c(["enqueue", "--env", "A=1", "--env", "A=2", "true"], /--env "A=2": A is given twice/),
      c(["enqueue", "--cwd", "", "true"], /--cwd "": it must not be empty/),
      c(["enqueue", "--cwd", "/" + "d".repeat(4096), "true"], /--cwd .*PATH_MAX/),
    ]);
  }));

Deno.test("enqueue refuses bad queue, after, unique, env and cwd fields in JSON, and a field given both ways", () =>
  withHome(async (home) => {
    await populate(home);
    const job = (fields: Record<string, unknown>) => JSON.stringify({ command: "true", ...fields });
    const big = (n: number) => "x".repeat(n);
    await expectRefused(home, [
      c(["enqueue", job({ queue: "Q" })], /"queue" "Q" is not a queue name/),
      c(["enqueue", job({ queue: 1 })], /"queue" must be a string, got 1/),
      c(["enqueue", job({ after: "p1" })], /"after" must be an array of job ids/),
      c(["enqueue", job({ after: [1] })], /"after\[0\]" must be a job id, got 1/),
      c(["enqueue", job({ after: ["p1", "a/b"] })], /"after\[1\]" is not a job id/),
      c(
        ["enqueue", job({ after: Array.from({ length: 1001 }, (_, i) => `j${i}`) })],
        /"after" names 1001 jobs/,
      ),
      c(["enqueue", job({ unique: "" })], /"unique" must not be empty/),
      c(["enqueue", job({ unique: 5 })], /"unique" must be a string, got 5/),
      c(["enqueue", job({ env: ["A=1"] })], /"env" must be an object/),
      c(["enqueue", job({ env: { A: 1 } })], /"env\.A" must be a string, got 1/),
      c(["enqueue", job({ env: { "9": "x" } })], /"env" name "9" is not an environment variable name/),
      c(["enqueue", job({ env: { A: "a\u0000b" } })], /"env\.A" must not contain a NUL byte/),
      c(
        ["enqueue", "--file", "-"],
        /"env\.BIG" makes an entry .*MAX_ARG_STRLEN/,
        job({ env: { BIG: big(131_068) } }),
      ),
      c(
        ["enqueue", "--file", "-"],
        /"env" and the command are \d+ bytes .*more than the 1048576 bytes/,
        job({ env: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`V${i}`, big(120_000)])) }),
      ),
      c(["enqueue", job({ cwd: "" })], /"cwd" must not be empty/),
      c(["enqueue", job({ cwd: 7 })], /"cwd" must be a directory path, got 7/),
      c(["enqueue", job({ cwd: "/tmp/a\u0000b" })], /"cwd" must not contain a NUL byte/),
      c(["enqueue", job({ queue: "a" }), "--queue", "b"], /"queue" is given both in the JSON and as a flag/),
      c(["enqueue", job({ env: { A: "1" } }), "--env", "B=2"], /"env" is given both/),
      c(["enqueue", job({ bogus: 1 })], /unknown field "bogus" \(fields: .*queue.*after, unique, env, cwd/),
    ]);
  }));

Deno.test("a batch refuses a dependency on a job later in the batch or unknown, all or nothing", () =>
  withHome(async (home) => {
    await populate(home);
    const file = `${dirOfHome(home)}/batch.jsonl`;
    Deno.writeTextFileSync(
      file,
      [
        JSON.stringify({ id: "b1", command: "true" }),
        JSON.stringify({ id: "b2", command: "true", after: ["b3"] }),
        JSON.stringify({ id: "b3", command: "true" }),
      ].join("\n") + "\n",
    );
    const bad = `${dirOfHome(home)}/bad.jsonl`;
    Deno.writeTextFileSync(bad, JSON.stringify({ command: "true", queue: "Bad" }) + "\n");
    await expectRefused(home, [
      c(["enqueue", "--file", file], /dependency "b3" comes later in this batch/),
      c(["enqueue", "--file", bad], /line 1 of .*bad\.jsonl: "queue" "Bad" is not a queue name/),
      c(["enqueue", "--file", "-", "--queue", "X"], /--queue "X"/, JSON.stringify({ command: "true" })),
    ]);
  }));

Deno.test("queue, list --queue and worker start --queue refuse bad names and limits", () =>
  withHome(async (home) => {
    await populate(home);
    await expectRefused(home, [
      c(["queue", "set", "Uploads", "--concurrency", "1"], /queue name "Uploads"/),
      c(["queue", "set", "uploads"], /--concurrency/),
      c(
        ["queue", "set", "uploads", "--concurrency", "-1"],
        /--concurrency "-1": expected a whole number from 0/,
      ),
      c(["queue", "set", "uploads", "--concurrency", "two"], /--concurrency "two"/),
      c(["queue", "set", "uploads", "--concurrency", "1000001"], /--concurrency "1000001"/),
      c(["queue", "pause", "UP"], /queue name "UP"/),
      c(["queue", "pause"], /name|argument/i),
      c(["queue", "resume", ""], /queue name ""/),
      c(["queue", "resume", "a", "b"], /b|argument/i),
      c(["queue", "bogus"], /bogus/),
      c(["list", "--queue", "Up"], /--queue "Up"/),
      c(["worker", "start", "--queue", "a,B"], /--queue "B"/),
      c(["worker", "start", "--queue", "a,,b", "--drain"], /--queue ""/),
      c(["worker", "start", "--queue", "x y", "--detach"], /--queue "x y"/),
    ]);
  }));

Deno.test("kill, cancel and wait refuse missing or malformed ids and a bad --timeout", () =>
  withHome(async (home) => {
    await populate(home);
    await expectRefused(home, [
      c(["kill"], /Cannot kill: give the ids of processing jobs/),
      c(["kill", "a/b"], /Invalid job id "a\/b"/),
      c(["cancel"], /Cannot cancel: give the ids of pending or failed jobs/),
      c(["cancel", "later", "../x"], /Invalid job id "\.\.\/x"/),
      c(["wait"], /Cannot wait: give the ids of the jobs to wait for/),
      c(["wait", ""], /Invalid job id ""/),
      c(["wait", "p1", "--timeout", "5x"], /--timeout "5x": expected a duration/),
      c(["wait", "p1", "--timeout", "-1s"], /--timeout/),
    ]);
  }));
