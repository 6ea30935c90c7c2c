import assert from "node:assert/strict";
import { type Job, newJob, type Run } from "../job.ts";
import { homePaths } from "../store/paths.ts";
import {
  CHUNK,
  type JobLog,
  JobLogPrinter,
  printTail,
  readJobLog,
  runClosing,
  runHeader,
  tailOf,
} from "./job_log.ts";

const T = "2026-03-01T12:00:00.000Z";

function job(fields: Partial<Job> = {}): Job {
  return {
    ...newJob({
      id: "j",
      command: "x",
      max_retries: 2,
      priority: 0,
      run_at: null,
      timeout: null,
      cwd: null,
      seq: 1,
    }, T),
    ...fields,
  };
}

function run(attempt: number, out: Run["out"], result: string | null, seconds = 1.5): Run {
  const started = Date.parse(T) + attempt * 60_000;
  return {
    attempt,
    worker: "w-1",
    started_at: new Date(started).toISOString(),
    finished_at: result === null ? null : new Date(started + seconds * 1000).toISOString(),
    out,
    result,
  };
}

async function withLogs(
  body: (home: string, write: (name: string, text: string) => number) => Promise<void>,
) {
  const home = Deno.makeTempDirSync({ prefix: "qctl-joblog-" });
  Deno.mkdirSync(`${home}/logs`);
  try {
    await body(home, (name, text) => {
      Deno.writeTextFileSync(`${home}/logs/${name}`, text, { append: true });
      return Deno.statSync(`${home}/logs/${name}`).size;
    });
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
}

/** The log of a job dead after two attempts whose outputs are `first` then `second`, in one slot file. */
async function deadAfterTwo(
  home: string,
  write: (name: string, text: string) => number,
  first: string,
  second: string,
): Promise<JobLog> {
  const a = write("w-1-slot-1.out", first);
  const b = write("w-1-slot-1.out", second);
  const j = job({
    state: "dead",
    attempts: 2,
    runs: [
      run(1, ["w-1-slot-1.out", 0, a], "exit code 1"),
      run(2, ["w-1-slot-1.out", a, b], "exit code 1"),
    ],
  });
  return (await readJobLog(homePaths(home), () => Promise.resolve(j)))!;
}

async function text(log: JobLog, printer = new JobLogPrinter()): Promise<string> {
  const decoder = new TextDecoder();
  let out = "";
  await printer.print(log, (b) => Promise.resolve(void (out += decoder.decode(b, { stream: true }))));
  return out + decoder.decode();
}

Deno.test("the framing lines keep their exact format: header, closing line with seconds, could not start", () => {
  const r = run(1, null, "exit code 0", 1.234);
  assert.equal(runHeader(r, 3), `=== attempt 1 of 3 · 2026-03-01T12:01:00.000Z · worker w-1 ===`);
  assert.equal(runClosing(r), "=== exit code 0 · 1.23s ===");
  assert.equal(runClosing(run(2, null, "timed out after 1s", 1)), "=== timed out after 1s · 1.00s ===");
  assert.equal(
    runClosing(run(1, null, "could not start: cannot enter /x")),
    "=== could not start: cannot enter /x ===",
  );
  assert.equal(runClosing(run(1, null, null)), null, "a running attempt has none yet");
});

Deno.test("a job's log is each attempt's header, its bytes of the shared slot file, and its closing line", () =>
  withLogs(async (home, write) => {
    const paths = homePaths(home);
    const a = write("w-1-slot-1.out", "first try\n");
    const b = write("w-1-slot-1.out", "another job's output\n");
    const c = write("w-1-slot-1.out", "no newline");
    const j = job({
      state: "completed",
      attempts: 2,
      runs: [
        run(1, ["w-1-slot-1.out", 0, a], "exit code 1"),
        run(2, ["w-1-slot-1.out", b, c], "exit code 0"),
      ],
    });
    const log = (await readJobLog(paths, () => Promise.resolve(j)))!;
    const expected = `=== attempt 1 of 3 · 2026-03-01T12:01:00.000Z · worker w-1 ===\n` +
      `first try\n=== exit code 1 · 1.50s ===\n` +
      `=== attempt 2 of 3 · 2026-03-01T12:02:00.000Z · worker w-1 ===\n` +
      `no newline\n=== exit code 0 · 1.50s ===\n`;
    assert.equal(await text(log), expected);
    assert.equal(log.bytes, new TextEncoder().encode(expected).length);
    assert.equal(log.running, false);
  }));

Deno.test("a running attempt's output runs to the file's size; a job that ended meanwhile is read again", () =>
  withLogs(async (home, write) => {
    const paths = homePaths(home);
    const running = job({
      state: "processing",
      attempts: 1,
      claim: 7,
      runs: [run(1, ["w-1-slot-1.out", 0, null], null)],
    });
    const end = write("w-1-slot-1.out", "so far\n");
    const log = (await readJobLog(paths, () => Promise.resolve(running)))!;
    assert.equal(log.running, true);
    assert.equal(await text(log), `=== attempt 1 of 3 · 2026-03-01T12:01:00.000Z · worker w-1 ===\nso far\n`);
    // it ends (at `end`) between the two reads, and the slot's next job writes on
    const ended = job({
      state: "completed",
      attempts: 1,
      runs: [run(1, ["w-1-slot-1.out", 0, end], "exit code 0")],
    });
    let reads = 0;
    const get = () => Promise.resolve(reads++ === 0 ? running : ended);
    write("w-1-slot-1.out", "the next job\n");
    const after = (await readJobLog(paths, get))!;
    assert.equal(after.running, false);
    assert.doesNotMatch(await text(after), /the next job/);
    assert.match(await text(after), /so far\n=== exit code 0 · 1\.50s ===\n$/);
  }));

Deno.test("a printer given later views prints only what they add, each line once", () =>
  withLogs(async (home, write) => {
    const paths = homePaths(home);
    const printer = new JobLogPrinter();
    write("w-1-slot-1.out", "one\n");
    const running = job({
      state: "processing",
      attempts: 1,
      claim: 7,
      runs: [run(1, ["w-1-slot-1.out", 0, null], null)],
    });
    const get = (j: Job) => () => Promise.resolve(j);
    assert.equal(
      await text((await readJobLog(paths, get(running)))!, printer),
      `=== attempt 1 of 3 · 2026-03-01T12:01:00.000Z · worker w-1 ===\none\n`,
    );
    assert.equal(await text((await readJobLog(paths, get(running)))!, printer), "", "nothing new");
    const end = write("w-1-slot-1.out", "two");
    assert.equal(await text((await readJobLog(paths, get(running)))!, printer), "two");
    const failed = job({
      state: "failed",
      attempts: 1,
      runs: [run(1, ["w-1-slot-1.out", 0, end], "exit code 1")],
    });
    assert.equal(
      await text((await readJobLog(paths, get(failed)))!, printer),
      "\n=== exit code 1 · 1.50s ===\n",
    );
    const start = write("w-1-slot-2.out", "");
    const again = job({
      state: "processing",
      attempts: 2,
      claim: 9,
      runs: [...failed.runs!, run(2, ["w-1-slot-2.out", start, null], null)],
    });
    assert.equal(
      await text((await readJobLog(paths, get(again)))!, printer),
      `=== attempt 2 of 3 · 2026-03-01T12:02:00.000Z · worker w-1 ===\n`,
    );
  }));

Deno.test("a job from before 0.2 has its log in logs/<id>.log; without it, and without runs, there is none", () =>
  withLogs(async (home, write) => {
    const paths = homePaths(home);
    const old = job({ state: "completed", attempts: 1 });
    assert.equal((await readJobLog(paths, () => Promise.resolve(old)))!.sections.length, 0);
    write("j.log", "=== attempt 1 of 3 · x · worker w-0 ===\nold\n=== exit code 0 · 0.10s ===\n");
    assert.equal(
      await text((await readJobLog(paths, () => Promise.resolve(old)))!),
      "=== attempt 1 of 3 · x · worker w-0 ===\nold\n=== exit code 0 · 0.10s ===\n",
    );
    assert.equal(await readJobLog(paths, () => Promise.resolve(undefined)), null, "no such job");
  }));

Deno.test("runs an older version ran (no output range) are its log file; runs of 0.2 follow it", () =>
  withLogs(async (home, write) => {
    const paths = homePaths(home);
    const old = "=== attempt 1 of 3 · x · worker w-0 ===\nold\n=== exit code 1 · 0.10s ===\n";
    write("j.log", old);
    const end = write("w-1-slot-1.out", "new\n");
    const j = job({
      state: "completed",
      attempts: 2,
      runs: [run(1, null, "exit code 1"), run(2, ["w-1-slot-1.out", 0, end], "exit code 0")],
    });
    assert.equal(
      await text((await readJobLog(paths, () => Promise.resolve(j)))!),
      old +
        "=== attempt 2 of 3 · 2026-03-01T12:02:00.000Z · worker w-1 ===\nnew\n=== exit code 0 · 1.50s ===\n",
    );
    // without that file, such a run still shows its lines
    Deno.removeSync(paths.jobLog("j"));
    assert.match(
      await text((await readJobLog(paths, () => Promise.resolve(j)))!),
      /^=== attempt 1 of 3 · .* ===\n=== exit code 1 · 1\.50s ===\n=== attempt 2 /,
    );
  }));

Deno.test("a record naming a file outside logs/ reads as no output", () =>
  withLogs(async (home) => {
    Deno.writeTextFileSync(`${home}/secret.out`, "secret\n");
    const j = job({
      state: "completed",
      attempts: 1,
      runs: [run(1, ["../secret.out", 0, 7], "exit code 0")],
    });
    const out = await text((await readJobLog(homePaths(home), () => Promise.resolve(j)))!);
    assert.doesNotMatch(out, /secret/);
  }));

Deno.test("tailOf() reads the last bytes across attempts and drops a character cut by the window", () =>
  withLogs(async (home, write) => {
    const log = await deadAfterTwo(home, write, "y".repeat(100_000) + "\n", "last: é\n");
    const whole = await text(log);
    const all = await tailOf(log, 1_000_000);
    assert.deepEqual(all, { output: whole, bytes: log.bytes, truncated: false });
    const closing = "=== exit code 1 · 1.50s ===\n";
    // from the second byte of the é on
    const cut = await tailOf(log, new TextEncoder().encode(closing).length + 2);
    assert.deepEqual(cut, { output: `\n${closing}`, bytes: log.bytes, truncated: true }, "half of é dropped");
    const across = await tailOf(log, 200);
    assert.ok(whole.endsWith(across.output));
    assert.match(
      across.output,
      /^y*\n=== exit code 1 · 1\.50s ===\n=== attempt 2 of 3 .*\nlast: é\n=== exit/,
    );
  }));

/** What `printTail(n)` writes of `log`, and the printer it leaves. */
async function tailText(log: JobLog, n: number, printer = new JobLogPrinter()): Promise<string> {
  const decoder = new TextDecoder();
  let out = "";
  await printTail(printer, log, n, (b) => Promise.resolve(void (out += decoder.decode(b, { stream: true }))));
  return out + decoder.decode();
}

/** The last `n` lines of `text`, as `tail -n` takes them: a final newline ends the last line. */
function lastLines(text: string, n: number): string {
  if (n === 0) return "";
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  const lines = body.split("\n");
  return lines.length <= n ? text : lines.slice(-n).join("\n") + (text.endsWith("\n") ? "\n" : "");
}

Deno.test("printTail() writes the last n lines of the log, framing lines included, across attempts and chunks", () =>
  withLogs(async (home, write) => {
    // attempt 1: lines long enough that the slot file is read in several chunks; attempt 2 ends
    // without a newline (its closing line puts one first)
    const long = Array.from({ length: 3000 }, (_, i) => `line ${i} ${"x".repeat(i % 90)}\n`).join("");
    assert.ok(long.length > 2 * CHUNK);
    const log = await deadAfterTwo(home, write, long, "é first\nsecond · last");
    const whole = await text(log);
    const count = whole.split("\n").length - 1;
    for (const n of [0, 1, 2, 3, 4, 5, 6, 50, 2999, 3000, count - 1, count, count + 1, 1e9]) {
      assert.equal(await tailText(log, n), lastLines(whole, n), `--tail ${n}`);
    }
    assert.equal(await tailText(log, 3), "é first\nsecond · last\n=== exit code 1 · 1.50s ===\n");
  }));

Deno.test("printTail() counts a last line still being written, and a printer then prints only what later views add", () =>
  withLogs(async (home, write) => {
    const paths = homePaths(home);
    const get = (j: Job) => () => Promise.resolve(j);
    write("w-1-slot-1.out", "one\ntwo\nthr");
    const running = job({
      state: "processing",
      attempts: 1,
      claim: 7,
      runs: [run(1, ["w-1-slot-1.out", 0, null], null)],
    });
    const printer = new JobLogPrinter();
    assert.equal(await tailText((await readJobLog(paths, get(running)))!, 2, printer), "two\nthr");
    assert.equal(await text((await readJobLog(paths, get(running)))!, printer), "", "nothing new");
    const end = write("w-1-slot-1.out", "ee\n");
    assert.equal(await text((await readJobLog(paths, get(running)))!, printer), "ee\n");
    const done = job({
      state: "completed",
      attempts: 1,
      runs: [run(1, ["w-1-slot-1.out", 0, end], "exit code 0")],
    });
    assert.equal(await text((await readJobLog(paths, get(done)))!, printer), "=== exit code 0 · 1.50s ===\n");

    const none = job({ state: "pending" });
    assert.equal(await tailText((await readJobLog(paths, get(none)))!, 5), "", "no attempt: no lines");
    const zero = new JobLogPrinter();
    assert.equal(await tailText((await readJobLog(paths, get(running)))!, 0, zero), "");
    assert.equal(await text((await readJobLog(paths, get(done)))!, zero), "=== exit code 0 · 1.50s ===\n");
  }));
