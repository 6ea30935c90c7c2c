/**
 * End-to-end: what a job carries besides its command, through the real CLI and several workers:
 * env and cwd reach the job, dependencies (--after) hold a job back until they completed and send
 * it to the DLQ when one ends dead, unique keys absorb duplicates while a job holding them is
 * live, and `enqueue --wait` reports how the job ended.
 */
import assert from "node:assert/strict";
import {
  cli,
  cliJson,
  cliOk,
  dirOfHome,
  readLines,
  startWorkers,
  stopAll,
  withHome,
} from "../../testkit/mod.ts";

/** A job command that appends "S <id>" when it starts and "E <id>" when it ends to `ledger`. */
function ledgerJob(ledger: string, id: string, sleep = 0.2): string {
  return `echo "S ${id}" >> ${ledger}; sleep ${sleep}; echo "E ${id}" >> ${ledger}`;
}

const HINT_ONE_WAITING =
  "hint: 1 job is waiting and no worker is running; start one with: queuectl worker start\n";

Deno.test("--env and --cwd reach the job as given; show prints the queue, the env, the cwd and the dependencies with their states", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    Deno.mkdirSync(`${dir}/work/sub`, { recursive: true });
    const tricky = `it's "quoted" $HOME \`no\` \\ and\na second line`;
    await cliOk(home, [
      "enqueue",
      "--id",
      "envy",
      "--queue",
      "builds",
      "--env",
      `TRICKY=${tricky}`,
      "--env",
      "EMPTY=",
      "--env",
      "EQ=a=b",
      "--cwd",
      "work/sub",
      `printf '%s|%s|%s|' "$TRICKY" "$EMPTY" "$EQ" > out.txt; pwd >> out.txt`,
    ], { cwd: dir });
    // JSON fields, a relative cwd made absolute against the enqueuer's directory
    await cliOk(home, [
      "enqueue",
      JSON.stringify({ id: "json", command: 'echo "$A" > json.txt', env: { A: "from json" }, cwd: "work" }),
    ], { cwd: dir });
    await cliOk(home, ["enqueue", "--id", "then", "--after", "envy", "--after", "json", "true"]);
    const before = await cliOk(home, ["show", "then"]);
    assert.match(before, /^after\s+envy \(pending\), json \(pending\)$/m);

    const run = await cli(home, ["worker", "start", "--drain", "--count", "2"]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const real = Deno.realPathSync(`${dir}/work/sub`);
    assert.equal(Deno.readTextFileSync(`${dir}/work/sub/out.txt`), `${tricky}||a=b|${real}\n`);
    assert.equal(Deno.readTextFileSync(`${dir}/work/json.txt`), "from json\n");

    const shown = await cliJson(home, ["show", "envy"]);
    assert.equal(shown.queue, "builds");
    assert.deepEqual(shown.env, { TRICKY: tricky, EMPTY: "", EQ: "a=b" });
    assert.equal(shown.cwd, `${dir}/work/sub`);
    assert.equal((await cliJson(home, ["show", "json"])).cwd, `${dir}/work`);
    const text = await cliOk(home, ["show", "envy"]);
    assert.match(text, /^queue\s+builds$/m);
    assert.match(
      text,
      /^env\s+TRICKY=it's "quoted" \$HOME `no` \\ and\\na second line$/m,
      "control characters escaped",
    );
    assert.match(text, /^env\s+EMPTY=$/m);
    assert.match(text, new RegExp(`^cwd\\s+${dir}/work/sub$`, "m"));
    assert.match(await cliOk(home, ["show", "then"]), /^after\s+envy \(completed\), json \(completed\)$/m);
  }));

Deno.test("no job runs before its dependencies completed, with several workers racing (a chain and a fan-in)", () =>
  withHome(async (home) => {
    const ledger = `${dirOfHome(home)}/ledger`;
    const deps: Record<string, string[]> = {
      a: [],
      b: ["a"],
      c: ["b"],
      x: [],
      y: [],
      join: ["c", "x", "y"],
      last: ["join", "a"],
    };
    // the queue is paused while they are enqueued, so every worker races for them at once when it
    // resumes, and dependents have the higher priority: claim order alone would run them first
    const workers = await startWorkers(home, 3, 2);
    try {
      await cliOk(home, ["queue", "pause", "default"]);
      for (const id of ["a", "x", "y", "b", "c", "join", "last"]) {
        await cliOk(home, [
          "enqueue",
          "--id",
          id,
          ...deps[id].flatMap((d) => ["--after", d]),
          ledgerJob(ledger, id),
        ]);
      }
      await cliOk(home, ["queue", "resume", "default"]);
      const waited = await cli(home, ["wait", ...Object.keys(deps), "--timeout", "120s"]);
      assert.equal(waited.code, 0, waited.stdout + waited.stderr);
    } finally {
      await stopAll(workers);
    }
    const lines = readLines(ledger);
    assert.equal(lines.length, 2 * Object.keys(deps).length, lines.join("\n"));
    for (const [id, after] of Object.entries(deps)) {
      const start = lines.indexOf(`S ${id}`);
      for (const dep of after) {
        const end = lines.indexOf(`E ${dep}`);
        assert.ok(end >= 0 && end < start, `${id} started (line ${start}) before ${dep} ended (line ${end})`);
      }
    }
  }));

Deno.test("a dependency that ends dead sends its dependents to the DLQ naming it, and dlq retry checks the dependencies again", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "bad", "--max-retries", "0", "exit 3"]);
    await cliOk(home, ["enqueue", "--id", "mid", "--after", "bad", "true"]);
    await cliOk(home, ["enqueue", "--id", "top", "--after", "mid", "true"]);
    await cliOk(home, ["enqueue", "--id", "free", "true"]);
    await cliOk(home, ["worker", "start", "--drain", "--count", "2"]);
    const state = async (id: string) => {
      const j = await cliJson(home, ["show", id]);
      return [j.state, j.last_error, j.attempts];
    };
    assert.deepEqual(await state("bad"), ["dead", "exit code 3", 1]);
    assert.deepEqual(await state("mid"), ["dead", 'dependency "bad" is dead', 0]);
    assert.deepEqual(await state("top"), ["dead", 'dependency "mid" is dead', 0]);
    assert.deepEqual(await state("free"), ["completed", null, 1]);
    // a new job on a dead dependency goes to the DLQ at once
    await cliOk(home, ["enqueue", "--id", "late", "--after", "bad", "true"]);
    assert.deepEqual(await state("late"), ["dead", 'dependency "bad" is dead', 0]);

    const refused = await cli(home, ["dlq", "retry", "mid"]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^error: Cannot retry job "mid": its dependency "bad" is dead; retry it first, or both together\n$/,
    );
    assert.equal((await cliJson(home, ["show", "mid"])).state, "dead", "nothing changed");
  }));

Deno.test("a batch file may name jobs enqueued earlier in the same batch", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    const ledger = `${dir}/ledger`;
    const lines = [
      { id: "first", command: ledgerJob(ledger, "first") },
      { id: "second", command: ledgerJob(ledger, "second"), after: ["first"] },
      { id: "third", command: ledgerJob(ledger, "third"), after: ["first", "second"], queue: "other" },
    ];
    Deno.writeTextFileSync(`${dir}/batch.jsonl`, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    const out = await cliOk(home, ["enqueue", "--file", `${dir}/batch.jsonl`]);
    assert.equal(out, "first\nsecond\nthird\n");
    const run = await cli(home, ["worker", "start", "--drain", "--count", "3"]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(readLines(ledger), ["S first", "E first", "S second", "E second", "S third", "E third"]);
  }));

Deno.test("a unique key absorbs enqueues while its job is live: the existing id, exit 0 and a note; free again once it completed", () =>
  withHome(async (home) => {
    const first = await cli(home, ["enqueue", "--unique", "nightly", "echo report"]);
    assert.equal(first.code, 0, first.stderr);
    // no worker runs here: the only line on stderr is the hint that says so
    assert.equal(first.stderr, HINT_ONE_WAITING);
    const id = first.stdout.trim();
    const again = await cli(home, ["enqueue", "--unique", "nightly", "echo another"]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, `${id}\n`);
    assert.equal(
      again.stderr,
      `note: job ${id} (pending) holds the unique key "nightly": nothing new was enqueued\n${HINT_ONE_WAITING}`,
    );
    const json = await cli(home, ["enqueue", JSON.stringify({ command: "x", unique: "nightly" }), "--json"]);
    assert.equal(json.code, 0);
    assert.equal(JSON.parse(json.stdout).id, id);
    assert.equal(JSON.parse(json.stdout).command, "echo report", "the job that holds the key");
    assert.equal((await cliJson(home, ["status"])).counts.pending, 1);

    await cliOk(home, ["worker", "start", "--drain"]);
    const fresh = await cli(home, ["enqueue", "--unique", "nightly", "echo report"]);
    assert.equal(fresh.code, 0);
    assert.equal(fresh.stderr, HINT_ONE_WAITING, "the key is free once its job completed: no note");
    assert.notEqual(fresh.stdout.trim(), id);
  }));

Deno.test("concurrent enqueuers of one unique key make exactly one job, and all of them print its id", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "--id", "warm", "true"]); // the home exists before the race
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => cli(home, ["enqueue", "--unique", "once", `echo ${i}`])),
    );
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const ids = new Set(results.map((r) => r.stdout.trim()));
    assert.equal(ids.size, 1, `every enqueuer printed the same id: ${[...ids]}`);
    assert.equal(
      results.filter((r) => !r.stderr.includes("note:")).length,
      1,
      "one of them made it, the others got a note",
    );
    const jobs = (await cliJson(home, ["list"])).filter((j: { unique?: string }) => j.unique === "once");
    assert.equal(jobs.length, 1);
  }));

Deno.test("enqueue --wait exits 0 once the job completed, and 1 with the end of its output once it is dead", () =>
  withHome(async (home) => {
    const workers = await startWorkers(home, 2, 1);
    try {
      const ok = await cli(home, ["enqueue", "--id", "fine", "--wait", "echo all good"]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, "fine\n");
      assert.equal(ok.stderr, "");

      const bad = await cli(home, [
        "enqueue",
        "--id",
        "broken",
        "--max-retries",
        "0",
        "--wait",
        "echo compiling; echo 'missing: foo.h' >&2; exit 3",
      ]);
      assert.equal(bad.code, 1);
      assert.equal(bad.stdout, "broken\n");
      assert.equal(
        bad.stderr,
        "error: Job broken ended dead after 1 attempt(s): exit code 3; the end of its output:\ncompiling\nmissing: foo.h\n",
      );

      const json = await cli(home, ["enqueue", "--id", "j", "--wait", "--json", "echo json"]);
      assert.equal(json.code, 0, json.stderr);
      const job = JSON.parse(json.stdout);
      assert.equal(job.state, "completed");
      assert.equal(job.output_tail, "json\n");

      // a dependency that ends dead ends the waiting dependent too
      const chained = await cli(home, ["enqueue", "--after", "broken", "--wait", "true"]);
      assert.equal(chained.code, 1);
      assert.match(
        chained.stderr,
        /^error: Job \S+ ended dead after 0 attempt\(s\): dependency "broken" is dead\n$/,
      );
    } finally {
      await stopAll(workers);
    }
  }));
