/**
 * `deno task demo`: a tour in a temporary home. Enqueues a handful of jobs (succeeding, long,
 * failing into the DLQ, prioritised, scheduled), runs two workers until the queue drains, prints
 * the final status and where to look next.
 */
const root = new URL("..", import.meta.url).pathname;
const home = `${Deno.makeTempDirSync({ prefix: "queuectl-demo-" })}/home`;
const perms = ["--allow-read", "--allow-write", "--allow-run", "--allow-env", "--allow-sys=uid"];
const base = ["run", ...perms, `${root}main.ts`];
const env = { QUEUECTL_HOME: home };
const bold = (s: string) => Deno.stdout.isTerminal() ? `\x1b[1m${s}\x1b[0m` : s;

/** Whether the hint "jobs are waiting and no worker is running" was shown: the tour shows it once. */
let hinted = false;

async function q(args: string[], show = true): Promise<string> {
  if (show) {
    console.log(bold(`$ queuectl ${args.map((a) => (/[\s'"{}$&;|]/.test(a) ? `'${a}'` : a)).join(" ")}`));
  }
  const out = await new Deno.Command(Deno.execPath(), { args: [...base, ...args], env }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (show) Deno.stdout.writeSync(out.stdout);
  const errors = new TextDecoder().decode(out.stderr).split("\n").filter((line) => {
    if (!line.startsWith("hint: ")) return true;
    return hinted ? false : (hinted = true);
  });
  Deno.stderr.writeSync(new TextEncoder().encode(errors.join("\n")));
  if (!out.success) throw new Error(`queuectl ${args.join(" ")} failed`);
  return text;
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
await q(["status"]);
console.log(
  bold("\ntwo workers with 2 slots each, until the queue drains (the flaky job retries after 2 s and 4 s):"),
);
await Promise.all([worker("w1"), worker("w2")]);
console.log();
await q(["status"]);
console.log();
await q(["dlq", "list"]);
console.log();
await q(["logs", "flaky"]);
console.log(`
Where to look next (this home is kept):
  export QUEUECTL_HOME=${home}
  deno task queuectl dashboard             the live web page; open the URL it prints
  deno task queuectl list                  every job, in enqueue order
  deno task queuectl show flaky            one job in full (--json for scripts)
  deno task queuectl dlq retry flaky       back to pending with attempts reset
  deno task queuectl worker start          run it again (Ctrl-C to stop)
  ls $QUEUECTL_HOME                        the write-ahead log, snapshots and job output
`);
