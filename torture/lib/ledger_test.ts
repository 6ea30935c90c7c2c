import assert from "node:assert/strict";
import { runCli, spawnWorker, within } from "./cli.ts";
import { jobCommand, parseLedger, runsOf, WORKER_ENV } from "./ledger.ts";

Deno.test("jobCommand() writes a start and an end line through a real shell", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "torture-ledger-" });
  try {
    const ledger = `${dir}/ledger`;
    const out = await new Deno.Command("/bin/sh", {
      args: ["-c", jobCommand(ledger, "j-1", { sleep: 0, exit: 1 })],
      env: { [WORKER_ENV]: "4242" },
    }).output();
    assert.equal(out.code, 1);
    const { events, bad } = parseLedger(Deno.readTextFileSync(ledger));
    assert.deepEqual(bad, []);
    assert.deepEqual(events.map((e) => [e.kind, e.id, e.code]), [["start", "j-1", null], ["end", "j-1", 1]]);
    assert.equal(events[0].token, events[1].token);
    assert.deepEqual(events.map((e) => e.worker), [4242, 4242], "the worker its environment names");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("jobCommand() run outside a torture worker names worker 0, and spawnWorker() gives its jobs its own pid", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "torture-ledger-" });
  try {
    const ledger = `${dir}/ledger`;
    const out = await new Deno.Command("/bin/sh", {
      args: ["-c", jobCommand(ledger, "j-3", { sleep: 0, exit: 0 })],
      clearEnv: true,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    }).output();
    assert.equal(out.code, 0);
    assert.deepEqual(parseLedger(Deno.readTextFileSync(ledger)).events.map((e) => e.worker), [0, 0]);
    // a real worker: its jobs' lines name the pid the harness knows it by, whatever runs in between
    const home = `${dir}/home`;
    const id = "j-4";
    const enqueue = await runCli(home, [
      "enqueue",
      "--id",
      id,
      jobCommand(ledger, id, { sleep: 0, exit: 0 }),
    ]);
    assert.equal(enqueue.code, 0, enqueue.stderr);
    const worker = spawnWorker(home, ["--drain"]);
    const exit = await within(worker, 60_000, "the draining worker");
    assert.equal(exit.code, 0, exit.stderr);
    const runs = parseLedger(Deno.readTextFileSync(ledger)).events.filter((e) => e.id === id);
    assert.deepEqual(runs.map((e) => [e.kind, e.worker]), [["start", worker.pid], ["end", worker.pid]]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("jobCommand() with noClock writes 0 for the time and still pairs its lines", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "torture-ledger-" });
  try {
    const ledger = `${dir}/ledger`;
    const command = jobCommand(ledger, "j-2", { sleep: 0, exit: 0, noClock: true });
    assert.doesNotMatch(command, /date/);
    const out = await new Deno.Command("/bin/sh", { args: ["-c", command] }).output();
    assert.equal(out.code, 0);
    const { events, bad } = parseLedger(Deno.readTextFileSync(ledger));
    assert.deepEqual(bad, []);
    assert.deepEqual(events.map((e) => [e.kind, e.ns, e.code]), [["start", 0, null], ["end", 0, 0]]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("jobCommand() refuses ids and paths that would need quoting", () => {
  assert.throws(() => jobCommand("/tmp/l", "a b", { sleep: 0, exit: 0 }), /unsafe characters/);
  assert.throws(() => jobCommand("/tmp/l;rm", "a", { sleep: 0, exit: 0 }), /needs quoting/);
});

Deno.test("parseLedger() reports lines that are not ledger lines by number", () => {
  const text = "S a 10 5 1\nE a 10 5 2 0\ngarbage\nS b 11 5\nE b x 5 3 0\n";
  const { events, bad } = parseLedger(text);
  assert.equal(events.length, 2);
  assert.deepEqual(bad, [3, 4, 5]);
});

Deno.test("runsOf() pairs each end with the open run of the same job and token", () => {
  const { events } = parseLedger(["S a 10 5 1", "S a 11 6 2", "E a 11 6 3 0", "E b 12 6 4 0"].join("\n"));
  const { runs, orphanEnds } = runsOf(events);
  assert.deepEqual(orphanEnds, [4]);
  const a = runs.get("a")!;
  assert.equal(a.length, 2);
  assert.deepEqual([a[0].end, a[1].end, a[1].code], [null, 3, 0]);
});

Deno.test("jobCommand() with attemptToken writes the attempt number the worker gave the run as its token", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "torture-ledger-" });
  try {
    const ledger = `${dir}/ledger`;
    const command = jobCommand(ledger, "j-3", { sleep: 0, exit: 0, attemptToken: true });
    const out = await new Deno.Command("/bin/sh", {
      args: ["-c", command],
      env: { QUEUECTL_JOB_ATTEMPT: "7" },
    }).output();
    assert.equal(out.code, 0);
    const { events, bad } = parseLedger(Deno.readTextFileSync(ledger));
    assert.deepEqual(bad, []);
    assert.deepEqual(events.map((e) => [e.kind, e.token]), [["start", 7], ["end", 7]]);
    assert.ok(events[0].ns > 0, "the time is written");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
