/** `queuectl worker start | stop | list`. */
import { parseCount } from "../validate.ts";
import { type HangupAtStart, hangupAtStart } from "../worker/hangup.ts";
import { isStoppedState, processState } from "../worker/proc_status.ts";
import { isWorkerAlive, listWorkers } from "../worker/registry.ts";
import {
  type AppContext,
  command,
  homeFlag,
  type HomeFlags,
  jsonFlag,
  openSession,
  routes,
  type Session,
  sessionConfig,
} from "./context.ts";
import { LineSink } from "./line_sink.ts";
import { workerTable } from "./read.ts";
import { json } from "./render.ts";

interface StartFlags extends HomeFlags {
  count?: string;
  drain?: boolean;
}

async function start(this: AppContext, flags: StartFlags): Promise<void> {
  const slots = flags.count === undefined ? 1 : parseCount("count", flags.count, 1, 1024);
  // first, before anything in this process listens for a signal: see hangup.ts
  const hangup = hangupAtStart();
  const session = openSession(this, flags);
  // jobs inherit it: a job that runs `queuectl` reaches this home from any directory (issue 13 #10)
  Deno.env.set("QUEUECTL_HOME", session.home);
  const config = await sessionConfig(session);
  // the worker's code is loaded only by the command that runs it
  const { Worker } = await import("../worker/worker.ts");
  // a closed terminal (EIO) or pipe (EPIPE) must not end the worker: see line_sink.ts
  const out = new LineSink(this.process.stdout);
  const worker = new Worker(
    {
      store: session.store,
      paths: session.paths,
      clock: this.clock,
      loadConfig: () => sessionConfig(session),
      log: (line) => out.write(line),
    },
    { slots, drain: flags.drain ?? false },
    config,
  );
  const say = (message: string) => out.write(`${this.clock.now().toISOString()} ${worker.id} ${message}`);
  const handlers: [Deno.Signal, () => void][] = [
    ["SIGINT", () => worker.stop("SIGINT")],
    ["SIGTERM", () => worker.stop("SIGTERM")],
    ["SIGHUP", onHangup(hangup, worker, say)],
  ];
  for (const [sig, h] of handlers) Deno.addSignalListener(sig, h);
  try {
    await worker.start();
    if (hangup === "ignored") {
      say("a hang-up (SIGHUP) is ignored: it was ignored when this worker started (nohup)");
    }
    if (hangup === "unknown") {
      say(
        "could not learn whether SIGHUP was ignored when this worker started: a hang-up stops it gracefully",
      );
    }
    await worker.run();
  } finally {
    for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
    session.store.close();
  }
}

/**
 * A hang-up (the terminal or ssh session closed) stops the worker gracefully, like SIGTERM; a
 * second one does not kill its jobs, since a hang-up often comes twice (from the kernel and from
 * the shell). When SIGHUP was ignored at start (nohup) it stays ignored.
 */
function onHangup(
  hangup: HangupAtStart,
  worker: { stopping: boolean; stop(reason: string): void },
  say: (message: string) => void,
): () => void {
  if (hangup === "ignored") {
    return () => say("ignored a hang-up (SIGHUP), as it was ignored when this worker started");
  }
  return () => {
    if (!worker.stopping) worker.stop("SIGHUP: its terminal hung up");
  };
}

interface StopFlags extends HomeFlags {
  wait?: boolean;
}

async function stop(this: AppContext, flags: StopFlags): Promise<void> {
  const session = openSession(this, flags);
  const live = listWorkers(session.paths).filter((w) => w.alive);
  if (live.length === 0) {
    this.process.stdout.write("no worker is running\n");
    return;
  }
  await session.store.requestStop();
  this.process.stdout.write(
    `asked ${live.length} worker(s) to stop: ${live.map((w) => w.id).join(", ")}\n`,
  );
  if (!flags.wait) return;
  let waiting = live.map((w) => w.id);
  let said = "";
  for (let round = 0;; round++) {
    await new Promise((r) => setTimeout(r, 100));
    const still = waiting.filter((id) => isWorkerAlive(session.paths, id));
    if (still.length === 0) break;
    // what each worker is doing is read every second, or when one of them has stopped
    if (round % 10 !== 0 && still.length === waiting.length) continue;
    waiting = still;
    const lines = await describeWaits(session, waiting);
    if (lines !== said) this.process.stderr.write(lines);
    said = lines;
  }
  this.process.stdout.write(`all ${live.length} worker(s) have stopped\n`);
}

/**
 * One line per worker that `worker stop --wait` waits for, saying what that worker does: a
 * stopped process (SIGSTOP, Ctrl-Z) finishes nothing until it is resumed.
 */
async function describeWaits(session: Session, ids: string[]): Promise<string> {
  const known = new Map(listWorkers(session.paths).map((w) => [w.id, w]));
  let out = "";
  for (const id of ids) {
    const w = known.get(id);
    if (w === undefined) {
      out += `waiting for worker ${id} to exit\n`;
      continue;
    }
    const state = await processState(w.pid);
    if (isStoppedState(state)) {
      const by = state === "t" ? "by a debugger" : "(SIGSTOP)";
      out +=
        `worker ${id} (pid ${w.pid}) is stopped ${by}; it will stop when it is resumed (kill -CONT ${w.pid})\n`;
    } else if (w.jobs.length > 0) {
      out += `waiting for worker ${id} (pid ${w.pid}) to finish its running job(s): ${w.jobs.join(", ")}\n`;
    } else {
      out += `waiting for worker ${id} (pid ${w.pid}) to exit\n`;
    }
  }
  return out;
}

function list(
  this: AppContext,
  flags: HomeFlags & { json?: boolean },
): void {
  const session = openSession(this, flags);
  const workers = listWorkers(session.paths).filter((w) => w.alive).map((
    { alive: _, ...w },
  ) => w);
  if (flags.json) this.process.stdout.write(json(workers));
  else if (workers.length === 0) {
    this.process.stdout.write("no worker is running\n");
  } else this.process.stdout.write(workerTable(workers, this.clock.now()));
}

export const workerRoutes = routes({
  start: command({
    func: start,
    parameters: {
      flags: {
        count: {
          kind: "parsed",
          parse: String,
          brief: "Jobs to run at once (default 1)",
          optional: true,
          placeholder: "n",
        },
        drain: {
          kind: "boolean",
          brief: "Exit once no job is runnable now or waiting for a retry",
          optional: true,
          withNegated: false,
        },
        ...homeFlag,
      },
      aliases: { n: "count" },
    },
    docs: {
      brief: "Run jobs in the foreground until stopped",
      fullDescription: [
        "Logs one line per event. Ctrl-C or SIGTERM (or `queuectl worker stop`) stops claiming",
        "and waits for running jobs; a second Ctrl-C kills them and records failed attempts.",
        "A hang-up (the terminal or ssh session closed: SIGHUP) stops it like SIGTERM, unless",
        "SIGHUP was ignored when it started (nohup): then it keeps running. Jobs run with",
        "QUEUECTL_HOME set to the worker's home, as an absolute path. Several workers may share one home.",
        "",
        "Examples:\n  queuectl worker start --count 4\n  queuectl worker start --drain",
      ].join("\n"),
    },
  }),
  stop: command({
    func: stop,
    parameters: {
      flags: {
        wait: {
          kind: "boolean",
          brief: "Block until every worker has exited",
          optional: true,
          withNegated: false,
        },
        ...homeFlag,
      },
    },
    docs: {
      brief: "Ask every running worker of this home to stop gracefully",
      fullDescription: "Example:\n  queuectl worker stop --wait",
    },
  }),
  list: command({
    func: list,
    parameters: { flags: { ...jsonFlag, ...homeFlag } },
    docs: {
      brief: "List running workers",
      fullDescription: "Example:\n  queuectl worker list",
    },
  }),
}, { brief: "Start, stop and list workers" });
