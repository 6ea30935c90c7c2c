/**
 * `deno task demo`: a tour in a temporary home. Enqueues a handful of jobs (succeeding, long,
 * failing into the DLQ, prioritised, delayed), an `uploads` queue limited to one job at a time, a
 * dependency chain (build → test → deploy) and a cron schedule; runs two workers until the queue
 * drains, prints the final status, the queues and schedules, and where to look next. Imports
 * only the CLI's run flags (a module with no imports): it runs the real CLI, so it downloads
 * no test-only package.
 */
import { CLI_FLAGS } from "../src/cli/run_flags.ts";

const root = new URL("..", import.meta.url).pathname;
const home = `${Deno.makeTempDirSync({ prefix: "queuectl-demo-" })}/home`;
const base = ["run", ...CLI_FLAGS, `${root}main.ts`];
const scratch = home.replace(/\/home$/, "");
const env = { QUEUECTL_HOME: home };
const bold = (s: string) => Deno.stdout.isTerminal() ? `\x1b[1m${s}\x1b[0m` : s;

/** One CLI call, run and kept until it is shown. */
interface Call {
  args: string[];
  out: Deno.CommandOutput;
}

async function run(args: string[]): Promise<Call> {
  const out = await new Deno.Command(Deno.execPath(), { args: [...base, ...args], env }).output();
  return { args, out };
}

/** Whether the hint "jobs are waiting and no worker is running" was shown: the tour shows it once. */
let hinted = false;

/** Prints a call as a terminal would have shown it; a failed call ends the tour. */
function show({ args, out }: Call): void {
  console.log(bold(`$ queuectl ${args.map((a) => (/[\s'"{}$&;|]/.test(a) ? `'${a}'` : a)).join(" ")}`));
  Deno.stdout.writeSync(out.stdout);
  const errors = new TextDecoder().decode(out.stderr).split("\n").filter((line) => {
    if (!line.startsWith("hint: ")) return true;
    return hinted ? false : (hinted = true);
  });
  Deno.stderr.writeSync(new TextEncoder().encode(errors.join("\n")));
  if (!out.success) throw new Error(`queuectl ${args.join(" ")} failed`);
}

async function q(args: string[]): Promise<void> {
  show(await run(args));
}

/** A part of the tour: a heading (or none), a text under it, then calls made one after the other. */
interface Part {
  title?: string;
  text?: string;
  calls: string[][];
}

/**
 * Runs the parts at once (each part's calls in turn), then shows them in order: the tour prints
 * what it would one call after the other, in less time (each call starts a Deno).
 */
async function together(parts: Part[]): Promise<void> {
  const done = await Promise.all(parts.map(async (part) => {
    const calls: Call[] = [];
    for (const args of part.calls) {
      const call = await run(args);
      calls.push(call);
      if (!call.out.success) break;
    }
    return calls;
  }));
  parts.forEach((part, i) => {
    if (part.title) console.log(bold(part.title));
    if (part.text) console.log(part.text);
    done[i].forEach(show);
    if (i < parts.length - 1) console.log();
  });
}

async function worker(name: string): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...base, "worker", "start", "--count", "2", "--drain"],
    env,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let rest = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop()!;
    // drop the worker id column: the [name] prefix says which worker it is
    for (const line of lines) console.log(`  [${name}] ${line.replace(/^(\S+) w-\S+ /, "$1 ")}`);
  }
  const status = await child.status;
  if (!status.success) throw new Error(`worker ${name} exited ${status.code}`);
}

console.log(`queuectl demo: a fresh home in ${home}\n`);
await q(["config", "set", "backoff-base", "2"]);
await q(["enqueue", "--id", "hello", "echo hello from queuectl"]);
await q(["enqueue", "--id", "slow", "sleep 2 && echo slow job done"]);
await q(["enqueue", JSON.stringify({ id: "flaky", command: "echo trying; exit 3", max_retries: 2 })]);
await q(["enqueue", "--id", "missing", "--max-retries", "0", "no-such-command-here"]);
await q(["enqueue", "--id", "urgent", "--priority", "10", "echo I jump the queue"]);
await q(["enqueue", "--id", "later", "--delay", "3s", "echo scheduled three seconds out"]);
await q(["enqueue", "--id", "timeout", "--timeout", "1", "--max-retries", "0", "sleep 30"]);
console.log();
const uploads = `${scratch}/uploads.jsonl`;
const uploadJobs = [1, 2, 3].map((n) =>
  JSON.stringify({ id: `upload-${n}`, queue: "uploads", command: `sleep 0.4; echo uploaded photo-${n}.jpg` })
);
Deno.writeTextFileSync(uploads, uploadJobs.map((line) => line + "\n").join(""));
await together([
  {
    title: "a queue that runs one job at a time, however many slots are free:",
    text: `${uploads}:\n${uploadJobs.map((line) => `  ${line}`).join("\n")}`,
    calls: [["queue", "set", "uploads", "--concurrency", "1"], ["enqueue", "--file", uploads]],
  },
  {
    title: "a dependency chain: each job waits until the one before it completed:",
    calls: [
      ["enqueue", "--id", "build", "echo compiling; sleep 1; echo built"],
      ["enqueue", "--id", "test", "--after", "build", "echo all tests pass"],
      ["enqueue", "--id", "deploy", "--after", "test", "echo deployed"],
    ],
  },
  {
    title: "a cron schedule: one job per tick, however many workers run:",
    calls: [[
      "schedule",
      "add",
      "nightly-report",
      "0 3 * * *",
      "--queue",
      "reports",
      "--",
      "echo nightly report",
    ]],
  },
]);
console.log();
await q(["status"]);
console.log(
  bold("\ntwo workers with 2 slots each, until the queue drains (the flaky job retries after 2 s and 4 s):"),
);
await Promise.all([worker("w1"), worker("w2")]);
console.log();
// nothing changes any more: these read at once, and print in order
await together([
  { calls: [["status"]] },
  { calls: [["queue", "list"]] },
  { calls: [["schedule", "list"]] },
  { calls: [["dlq", "list"]] },
  { calls: [["logs", "flaky"]] },
]);
console.log(`
Where to look next (this home is kept):
  export QUEUECTL_HOME=${home}
  deno task queuectl dashboard             the live web page; open the URL it prints
  deno task queuectl list                  every job, newest first
  deno task queuectl show flaky            one job in full (--json for scripts)
  deno task queuectl show deploy           a job with the jobs it waited for
  deno task queuectl queue pause uploads   no job of that queue starts until it is resumed
  deno task queuectl dlq retry flaky       back to pending with attempts reset
  deno task queuectl worker start          run it again (Ctrl-C to stop)
  ls $QUEUECTL_HOME                        the write-ahead log, snapshots and job output
`);
