/** `queuectl worker start | stop | list`. */
import { parseCount } from "../validate.ts";
import { isWorkerAlive, listWorkers } from "../worker/registry.ts";
import {
  type AppContext,
  command,
  homeFlag,
  type HomeFlags,
  jsonFlag,
  openSession,
  routes,
  sessionConfig,
} from "./context.ts";
import { workerTable } from "./read.ts";
import { json } from "./render.ts";
import { ensureDir } from "../durable.ts";

interface StartFlags extends HomeFlags {
  count?: string;
  drain?: boolean;
}

async function start(this: AppContext, flags: StartFlags): Promise<void> {
  const slots = flags.count === undefined ? 1 : parseCount("count", flags.count, 1, 1024);
  // a worker may create its home as it starts (the user asked for one there), never later: a home
  // that vanishes under a running worker stops it (its store is opened with createHome false)
  const session = openSession(this, flags, false);
  ensureDir(session.home);
  const config = await sessionConfig(session);
  // the worker's code is loaded only by the command that runs it
  const { Worker } = await import("../worker/worker.ts");
  const worker = new Worker(
    {
      store: session.store,
      paths: session.paths,
      clock: this.clock,
      loadConfig: () => sessionConfig(session),
      log: (line) => this.process.stdout.write(line + "\n"),
    },
    // QUEUECTL_NO_FS_EVENTS=1: poll only, as on a system without file-system notifications
    { slots, drain: flags.drain ?? false, fsEvents: !this.env("QUEUECTL_NO_FS_EVENTS") },
    config,
  );
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const handlers = signals.map((sig) => [sig, () => worker.stop(sig)] as const);
  for (const [sig, h] of handlers) Deno.addSignalListener(sig, h);
  try {
    await worker.start();
    await worker.run();
  } finally {
    for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
    session.store.close();
  }
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
  let waiting = live;
  let last = "";
  while (waiting.length > 0) {
    await new Promise((r) => setTimeout(r, 100));
    waiting = waiting.filter((w) => isWorkerAlive(session.paths, w.id));
    const line = `waiting for ${waiting.length} worker(s) to finish their running jobs`;
    if (waiting.length > 0 && line !== last) {
      this.process.stderr.write(line + "\n");
    }
    last = line;
  }
  this.process.stdout.write(`all ${live.length} worker(s) have stopped\n`);
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
        "Several workers may share one home. Settings changed with `queuectl config set` apply",
        "without a restart, within poll-interval seconds.",
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
