/**
 * `enqueue <job>` (one argument, no flag) runs enqueue's body without the command tree
 * (src/cli/run.ts, global_args.ts plainEnqueue): these tests hold it to what stricli would have
 * done with the same line. `enqueue -- <job>` is that line through the tree (`--` ends the flags),
 * so each job is enqueued both ways into two homes that see the same calls and the same clock,
 * and everything a user can see must match: exit code, stdout, stderr, and the jobs stored.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { runCli } from "../../src/cli/run.ts";
import { plainEnqueue } from "../../src/cli/global_args.ts";
import { ManualClock, withHome } from "../../testkit/mod.ts";
import { loadedModules } from "../../testkit/module_graph.ts";

/** Generated ids differ between the two homes: each becomes its place in order of appearance. */
function normalised(text: string, ids: Map<string, string>): string {
  return text.replace(/\b[0-9a-z]{18}\b/g, (id) => {
    if (!ids.has(id)) ids.set(id, `<id${ids.size}>`);
    return ids.get(id)!;
  });
}

/** Runs each job as `enqueue <job>` in one home and `enqueue -- <job>` in another; compares all. */
async function bothWays(jobs: string[]): Promise<void> {
  await withHome(async (plainHome) => {
    await withHome(async (parsedHome) => {
      const clock = new ManualClock();
      const plainIds = new Map<string, string>();
      const parsedIds = new Map<string, string>();
      for (const job of jobs) {
        assert.ok(plainEnqueue(["enqueue", job]), JSON.stringify(job));
        const plain = await runCli(["enqueue", job], { env: { QUEUECTL_HOME: plainHome }, clock });
        const parsed = await runCli(["enqueue", "--", job], { env: { QUEUECTL_HOME: parsedHome }, clock });
        const what = `enqueue ${JSON.stringify(job.slice(0, 80))}`;
        assert.equal(plain.code, parsed.code, `${what}: ${plain.stderr} / ${parsed.stderr}`);
        assert.equal(normalised(plain.stdout, plainIds), normalised(parsed.stdout, parsedIds), what);
        assert.equal(normalised(plain.stderr, plainIds), normalised(parsed.stderr, parsedIds), what);
        clock.advance(1_000);
      }
      const listed = async (home: string, ids: Map<string, string>) => {
        const r = await runCli(["list", "--json", "--limit", "1000"], {
          env: { QUEUECTL_HOME: home },
          clock,
        });
        assert.equal(r.code, 0, r.stderr);
        return normalised(r.stdout, ids);
      };
      assert.equal(await listed(plainHome, plainIds), await listed(parsedHome, parsedIds));
    });
  });
}

Deno.test("plainEnqueue() takes `enqueue` and one argument that is not a flag, and nothing else", () => {
  for (const job of ["true", "echo hi", "", " -x", '{"command":"x"}', "help", "--"]) {
    assert.equal(plainEnqueue(["enqueue", job]), !job.startsWith("-"), JSON.stringify(job));
  }
  assert.equal(plainEnqueue(["enqueue"]), false);
  assert.equal(plainEnqueue(["enqueue", "a", "b"]), false);
  assert.equal(plainEnqueue(["enqueue", "--json", "true"]), false);
  assert.equal(plainEnqueue(["enqueue", "-c", "true"]), false);
  assert.equal(plainEnqueue(["status", "true"]), false);
  assert.equal(plainEnqueue(["list"]), false);
});

Deno.test("enqueue <job> does what the command tree does with it: jobs, refusals, ids taken, unique keys", () =>
  bothWays([
    "true",
    "echo 'hello world' > out.txt",
    "  spaced out  ",
    "échο ✓ 日本",
    "help",
    "x\u0007y",
    '{"command":"make report","priority":3,"max_retries":5,"timeout":60}',
    '{"id":"report","command":"make report"}',
    '{"id":"report","command":"again"}',
    '{"argv":["ls","-l","my file"],"queue":"files","env":{"A":"1"}}',
    '{"command":"x","after":["report"]}',
    '{"command":"x","after":["nobody"]}',
    '{"unique":"nightly","command":"make nightly"}',
    '{"unique":"nightly","command":"make nightly"}',
    '{"command":"x","run_at":"2030-01-02T00:00:00Z"}',
    '{"command":1}',
    '{"command":"x","nope":true}',
    '{"id":"Bad Id","command":"x"}',
    "{not json",
    "",
    "x".repeat(131_072),
  ]));

Deno.test("enqueue <job> matches the command tree for any argument that is not a flag", async () => {
  const arg = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    fc.record({ command: fc.string({ maxLength: 20 }), priority: fc.integer({ min: -5, max: 5 }) }, {
      requiredKeys: [],
    }).map((v) => JSON.stringify(v)),
  ).filter((s) => !s.startsWith("-"));
  await fc.assert(fc.asyncProperty(fc.array(arg, { minLength: 1, maxLength: 4 }), bothWays), { numRuns: 40 });
});

Deno.test("the modules `enqueue <job>` loads hold no part of stricli or the command tree", async () => {
  for (const module of ["src/cli/run.ts", "src/cli/enqueue.ts"]) {
    const loaded = await loadedModules(module);
    assert.deepEqual(
      loaded.filter((s) => /stricli|\/src\/cli\/(app|command|enqueue_cmd)\.ts$/.test(s)),
      [],
      module,
    );
  }
});
