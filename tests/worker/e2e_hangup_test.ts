/**
 * End-to-end in a real terminal (tmux): a worker whose terminal hangs up (the window closed, the
 * ssh session dropped) stops gracefully: its running job finishes, is recorded once, and the
 * worker exits 0, although every line it writes after the hang-up fails (EIO). Under `nohup` it
 * keeps running. Issue 13 #7: before, both died of SIGHUP (status 129) and the next worker ran
 * the finished job again.
 *
 * The worker runs from a script that records its exit status: `trap : HUP` keeps that shell
 * alive through the hang-up without changing what the worker inherits (a trapped signal is reset
 * to its default in a child; an ignored one, under nohup, stays ignored).
 */
import assert from "node:assert/strict";
import {
  CLI_FLAGS,
  cliJson,
  cliOk,
  DENO,
  dirOfHome,
  exists,
  killGroup,
  MAIN,
  processAlive,
  readLines,
  untilState,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";
import { Tmux } from "../../testkit/tmux.ts";

const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Writes `worker.sh`, which runs `worker start` and writes its exit status to `status`. */
function workerScript(home: string): string {
  const dir = dirOfHome(home);
  const cli = [DENO, "run", ...CLI_FLAGS, MAIN].map(q).join(" ");
  const script = `${dir}/worker.sh`;
  Deno.writeTextFileSync(
    script,
    `trap : HUP\nNO_COLOR=1 ${cli} worker start --home ${q(home)}\necho "$?" > ${q(`${dir}/status`)}\n`,
  );
  return script;
}

/** A job that notes its pid in `marker` (one line per run), then runs until `release` exists. */
async function enqueueHeldJob(home: string, id: string): Promise<void> {
  const dir = dirOfHome(home);
  await cliOk(home, [
    "enqueue",
    "--id",
    id,
    `echo $$ >> ${dir}/marker; while [ ! -f ${dir}/release ]; do sleep 0.1; done; echo done`,
  ]);
}

interface Listed {
  id: string;
  pid: number;
  stopping: boolean;
  jobs: string[];
}

async function theWorker(home: string): Promise<Listed> {
  let workers: Listed[] = [];
  await waitFor(
    async () => (workers = await cliJson(home, ["worker", "list"])).length === 1,
    "the worker to register",
  );
  return workers[0];
}

/** Ends whatever a test left running: the terminal, the worker, the job's process group. */
async function cleanUp(tmux: Tmux, home: string, worker: Listed | null): Promise<void> {
  const dir = dirOfHome(home);
  await tmux.kill();
  Deno.writeTextFileSync(`${dir}/release`, "");
  if (worker && processAlive(worker.pid)) Deno.kill(worker.pid, "SIGKILL");
  for (const pid of readLines(`${dir}/marker`)) killGroup(Number(pid));
}

for (const [how, suffix] of [["in the foreground", ""], ["in the background (&)", " &"]] as const) {
  Deno.test(`a hang-up of the terminal of a worker started ${how} lets its running job finish, recorded once, and the worker exits 0`, () =>
    withHome(async (home) => {
      const dir = dirOfHome(home);
      const tmux = new Tmux();
      let worker: Listed | null = null;
      try {
        await enqueueHeldJob(home, "held");
        await tmux.start(dir);
        await tmux.type(`sh ${q(workerScript(home))}${suffix}`);
        await waitFor(() => readLines(`${dir}/marker`).length === 1, "the job to start");
        worker = await theWorker(home);
        assert.match(await tmux.screen(), /claimed held/);

        await tmux.kill(); // the terminal hangs up
        await waitFor(
          async () => (await cliJson<Listed[]>(home, ["worker", "list"]))[0]?.stopping === true,
          "the worker to stop claiming after the hang-up",
        );
        assert.equal(processAlive(worker.pid), true, "the worker still runs, waiting for its job");
        assert.equal((await cliJson(home, ["show", "held"])).state, "processing");

        Deno.writeTextFileSync(`${dir}/release`, "");
        await waitFor(() => readLines(`${dir}/status`).length === 1, "the worker to exit", 60_000);
        assert.deepEqual(readLines(`${dir}/status`), ["0"], "the worker exited 0");
        const job = await cliJson(home, ["show", "held"]);
        assert.equal(job.state, "completed");
        assert.equal(job.attempts, 1);
        assert.match(await cliOk(home, ["logs", "held"]), /done/);
        assert.equal(readLines(`${dir}/marker`).length, 1, "the job ran exactly once");
        assert.deepEqual(await cliJson(home, ["worker", "list"]), []);
      } finally {
        await cleanUp(tmux, home, worker);
      }
    }));
}

Deno.test("a worker started with nohup keeps running through a hang-up: its job completes and it claims more", () =>
  withHome(async (home) => {
    const dir = dirOfHome(home);
    const tmux = new Tmux();
    let worker: Listed | null = null;
    try {
      await enqueueHeldJob(home, "held");
      await tmux.start(dir);
      await tmux.type(`nohup sh ${q(workerScript(home))} > ${q(`${dir}/out`)} 2>&1 &`);
      await waitFor(() => readLines(`${dir}/marker`).length === 1, "the job to start");
      worker = await theWorker(home);
      const out = () => readLines(`${dir}/out`).join("\n");
      assert.match(out(), /a hang-up \(SIGHUP\) is ignored: it was ignored when this worker started/);

      await tmux.kill(); // the terminal hangs up; bash passes the SIGHUP on to its jobs
      await waitFor(() => /ignored a hang-up \(SIGHUP\)/.test(out()), "the worker to receive the SIGHUP");
      assert.equal(processAlive(worker.pid), true);
      assert.equal((await cliJson<Listed[]>(home, ["worker", "list"]))[0].stopping, false);

      Deno.writeTextFileSync(`${dir}/release`, "");
      await untilState(home, "held", "completed");
      await cliOk(home, ["enqueue", "--id", "later", "true"]);
      await untilState(home, "later", "completed");
      assert.equal(readLines(`${dir}/marker`).length, 1, "the held job ran exactly once");
      assert.equal(exists(`${dir}/status`), false, "the worker is still running");
      assert.equal((await cliJson<Listed[]>(home, ["worker", "list"]))[0].id, worker.id);

      await cliOk(home, ["worker", "stop", "--wait"]);
      await waitFor(() => readLines(`${dir}/status`).length === 1, "the worker's exit status");
      assert.deepEqual(readLines(`${dir}/status`), ["0"]);
    } finally {
      await cleanUp(tmux, home, worker);
    }
  }));
