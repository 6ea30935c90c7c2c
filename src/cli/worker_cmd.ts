/** `queuectl worker start | stop | list`. */
import { OperationError, UsageError } from "../errors.ts";
import { newId } from "../ids.ts";
import { printable } from "../printable.ts";
import { parseCount, parseQueueName } from "../validate.ts";
import { DETACHED_LOG_ENV } from "../worker/detach.ts";
import { type HangupAtStart, hangupAtStart } from "../worker/hangup.ts";
import { isStoppedState, processState } from "../worker/proc_status.ts";
import { isWorkerAlive, listWorkers, type WorkerEntry, type WorkerInfo } from "../worker/registry.ts";
import { stopWorkers } from "../usecases/workers.ts";
import {
  type AppContext,
  homeFlag,
  type HomeFlags,
  jsonFlag,
  type JsonFlags,
  openSession,
  type Session,
  sessionConfig,
} from "./context.ts";
import { command, routes } from "./command.ts";
import { LineSink } from "./line_sink.ts";
import { workerTable } from "./read.ts";
import { json } from "./render.ts";
import { ensureDir, ensureSubdir } from "../durable.ts";
import { processUid } from "../home_trust.ts";
import { lazy } from "../lazy.ts";
import type { HandoffServer } from "../handoff/server.ts";

interface StartFlags extends JsonFlags {
  count?: string;
  queue?: string[];
  drain?: boolean;
  detach?: boolean;
}

/** The queues `--queue` names (absent: every queue). */
function queuesOf(flags: StartFlags): string[] | undefined {
  if (flags.queue === undefined || flags.queue.length === 0) return undefined;
  return [...new Set(flags.queue.map((name) => parseQueueName("--queue", name)))];
}

async function start(this: AppContext, flags: StartFlags): Promise<void> {
  const slots = flags.count === undefined ? 1 : parseCount("count", flags.count, 1, 1024);
  const queues = queuesOf(flags);
  if (flags.detach && flags.drain) {
    throw new UsageError(
      "Cannot start a worker with --detach and --drain: a detached worker runs until `queuectl worker stop`",
    );
  }
  if (flags.json && !flags.detach) {
    throw new UsageError(
      "Cannot start a worker with --json: only --detach prints a result (a worker in the foreground prints log lines)",
    );
  }
  if (flags.detach) return await startDetached(this, flags, slots, queues);
  // first, before anything in this process listens for a signal: see hangup.ts
  const hangup = hangupAtStart();
  // set by --detach for this process only (detach.ts): its jobs must not inherit it
  const startLog = this.env(DETACHED_LOG_ENV);
  if (startLog !== undefined) Deno.env.delete(DETACHED_LOG_ENV);
  // a worker may create its home as it starts (the user asked for one there), never later: a home
  // that vanishes under a running worker stops it (its store is opened with createHome false)
  const session = openSession(this, flags, false);
  ensureDir(session.home);
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
    // QUEUECTL_NO_FS_EVENTS=1: poll only, as on a system without file-system notifications
    {
      slots,
      drain: flags.drain ?? false,
      fsEvents: !this.env("QUEUECTL_NO_FS_EVENTS"),
      ...(queues ? { queues } : {}),
    },
    config,
  );
  const say = (message: string) => out.write(`${this.clock.now().toISOString()} ${worker.id} ${message}`);
  const handlers: [Deno.Signal, () => void][] = [
    ["SIGINT", () => worker.stop("SIGINT")],
    ["SIGTERM", () => worker.stop("SIGTERM")],
    ["SIGHUP", onHangup(hangup, worker, say)],
  ];
  for (const [sig, h] of handlers) Deno.addSignalListener(sig, h);
  // listening before the worker says it started: a caller that saw that line is served
  const handoff = await serveEnqueues(this, session, worker.id, say);
  try {
    await worker.start();
    // named once registered: a worker that fails before leaves its log where the starter looks
    if (startLog !== undefined) nameLog(session, startLog, worker.id, say);
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
    await handoff?.close();
    for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
    session.store.close();
  }
}

/**
 * Takes `enqueue` calls on the worker's socket for as long as it runs (src/handoff): each runs
 * as the command line would have in the caller's process. A worker that cannot listen says why
 * and runs on; callers then run their enqueues themselves.
 */
async function serveEnqueues(
  ctx: AppContext,
  session: Session,
  id: string,
  say: (message: string) => void,
): Promise<HandoffServer | null> {
  const [{ HandoffServer }, { runApp }] = await Promise.all([
    lazy<typeof import("../handoff/server.ts")>("src/handoff/server.ts"),
    lazy<typeof import("./run.ts")>("src/cli/run.ts"),
  ]);
  ensureSubdir(session.paths.workersDir);
  // each call opens the store as its command line would in its own process: its waits for the
  // lock, and the store's other warnings, are the caller's to see (the worker's own store would
  // say them in the worker's log, to whoever reads it)
  const server = HandoffServer.listen(session.paths.workersDir, session.paths.workerSocket(id), {
    uid: processUid(),
    tz: ctx.env("TZ"),
    run: (call, out, err) =>
      runApp(call.argv, {
        stdout: { write: out },
        stderr: { write: err },
        env: (name) => Object.hasOwn(call.env, name) ? call.env[name] : undefined,
        cwd: call.cwd,
        clock: ctx.clock,
        readStdin: () => Promise.reject(new Error("a call run by a worker has no stdin")),
      }),
    stopped: (reason) => say(`takes no more enqueue calls (each caller runs its own): ${reason}`),
  });
  if (typeof server === "string") {
    say(`takes no enqueue calls (each caller runs its own): ${server}`);
    return null;
  }
  return server;
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
    if (!worker.stopping) worker.stop("SIGHUP, a hang-up");
  };
}

/** Renames the log a detached worker was started with to the name of its id (see detach.ts). */
function nameLog(session: Session, startLog: string, id: string, say: (message: string) => void): void {
  try {
    Deno.renameSync(startLog, session.paths.workerLog(id));
  } catch (e) {
    say(`could not rename its log ${startLog} to ${session.paths.workerLog(id)}: ${(e as Error).message}`);
  }
}

/** `worker start --detach`: see detach.ts. */
async function startDetached(
  ctx: AppContext,
  flags: StartFlags,
  slots: number,
  queues: string[] | undefined,
): Promise<void> {
  const session = openSession(ctx, flags);
  session.store.close();
  await sessionConfig(session); // an invalid config.jsonc fails here, not in the background
  const { lastLines, selfCommand, spawnDetached, waitRegistered } = await import("../worker/detach.ts");
  const startLog = session.paths.workerStartLog(newId(ctx.clock.now().getTime()));
  const argv = selfCommand([
    "worker",
    "start",
    "--home",
    session.home,
    "--count",
    String(slots),
    ...(queues ? ["--queue", queues.join(",")] : []),
  ]);
  const detached = spawnDetached(session.paths, startLog, argv);
  const got = await waitRegistered(session.paths, detached);
  detached.unref();
  if (got.kind === "registered") {
    const { id, pid } = got.worker;
    const log = session.paths.workerLog(id);
    if (flags.json) ctx.process.stdout.write(json({ id, pid, log, home: session.home }));
    else ctx.process.stdout.write(`started worker ${id} in the background (pid ${pid}), logging to ${log}\n`);
    return;
  }
  if (got.kind === "timeout") {
    throw new OperationError(
      `Cannot confirm that the detached worker started: pid ${detached.pid} has not registered yet; it may still be starting, see its log ${got.log}`,
    );
  }
  const how = got.status.signal
    ? `was killed by ${got.status.signal}`
    : `exited with code ${got.status.code}`;
  const where = got.log === null ? "" : `; the end of its log ${got.log}:`;
  ctx.process.stderr.write(`error: Cannot start a detached worker: it ${how} before it registered${where}\n`);
  if (got.log !== null) {
    for (const line of lastLines(got.log)) ctx.process.stderr.write(`  ${printable(line)}\n`);
  }
  ctx.exitCode = 1;
}

interface StopFlags extends HomeFlags {
  wait?: boolean;
  pid?: string;
}

/** Linux's largest pid_max. */
const MAX_PID = 4_194_304;

async function stop(this: AppContext, flags: StopFlags): Promise<void> {
  const pid = flags.pid === undefined ? undefined : parseCount("pid", flags.pid, 1, MAX_PID);
  const session = openSession(this, flags);
  const live = listWorkers(session.paths).filter((w) => w.alive && (pid === undefined || w.pid === pid));
  if (live.length === 0) {
    // no worker at all is a stop already done; a pid that names none is a worker not found
    if (pid !== undefined) {
      throw new OperationError(`Cannot stop the worker: no worker of this home runs as pid ${pid}`);
    }
    this.process.stdout.write("no worker is running\n");
    return;
  }
  // Lines said about each worker, so that a line is said again only when it changed. A stopped
  // worker is named before the stop request: it may hold the store's lock, which the request needs
  // (and then waits for until the worker is resumed).
  const said = new Map<string, string>();
  const tell = async (ids: string[], onlyStopped: boolean) => {
    const known = new Map(listWorkers(session.paths).map((w) => [w.id, w]));
    for (const id of ids) {
      const line = await waitLine(id, known.get(id));
      if (onlyStopped && !line.stopped) continue;
      if (said.get(id) !== line.text) this.process.stderr.write(line.text + "\n");
      said.set(id, line.text);
    }
  };
  await tell(live.map((w) => w.id), true);
  if (pid === undefined) await stopWorkers(session.store, live);
  else {
    // one worker: the signal a worker takes as a graceful stop, to that process only
    try {
      Deno.kill(pid, "SIGTERM");
    } catch { /* it exited meanwhile */ }
  }
  this.process.stdout.write(
    `asked ${live.length} worker(s) to stop: ${live.map((w) => w.id).join(", ")}\n`,
  );
  if (!flags.wait) return;
  let waiting = live.map((w) => w.id);
  for (let round = 0;; round++) {
    await new Promise((r) => setTimeout(r, 100));
    const still = waiting.filter((id) => isWorkerAlive(session.paths, id));
    if (still.length === 0) break;
    // what each worker is doing is read every second, or when one of them has stopped
    if (round % 10 !== 0 && still.length === waiting.length) continue;
    waiting = still;
    await tell(waiting, false);
  }
  this.process.stdout.write(`all ${live.length} worker(s) have stopped\n`);
}

/**
 * What `worker stop` says about a worker it waits for: the jobs it still runs, or that it is
 * stopped (SIGSTOP, Ctrl-Z) and finishes nothing until it is resumed.
 */
async function waitLine(id: string, w: WorkerInfo | undefined): Promise<{ text: string; stopped: boolean }> {
  if (w === undefined) return { text: `waiting for worker ${id} to exit`, stopped: false };
  const state = await processState(w.pid);
  if (isStoppedState(state)) {
    const by = state === "t" ? "by a debugger" : "(SIGSTOP)";
    return {
      text:
        `worker ${id} (pid ${w.pid}) is stopped ${by}; it will stop when it is resumed (kill -CONT ${w.pid})`,
      stopped: true,
    };
  }
  if (w.jobs.length > 0) {
    return {
      text: `waiting for worker ${id} (pid ${w.pid}) to finish its running job(s): ${w.jobs.join(", ")}`,
      stopped: false,
    };
  }
  return { text: `waiting for worker ${id} (pid ${w.pid}) to exit`, stopped: false };
}

/** A worker as `worker list` shows it: its log when it was started with --detach. */
function listed(session: Session, { alive: _, ...w }: WorkerEntry) {
  const log = session.paths.workerLog(w.id);
  let detached = false;
  try {
    detached = Deno.statSync(log).isFile;
  } catch { /* not detached */ }
  return { ...w, log: detached ? log : null };
}

function list(
  this: AppContext,
  flags: JsonFlags,
): void {
  const session = openSession(this, flags);
  const workers = listWorkers(session.paths).filter((w) => w.alive).map((w) => listed(session, w));
  if (flags.json) this.process.stdout.write(json(workers));
  else if (workers.length === 0) {
    this.process.stdout.write("no worker is running\n");
  } else {
    let out = workerTable(workers, this.clock.now());
    for (const w of workers) if (w.log !== null) out += `${w.id} runs detached, logging to ${w.log}\n`;
    this.process.stdout.write(out);
  }
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
        queue: {
          kind: "parsed",
          parse: String,
          brief: "Claim only jobs of these queues (comma-separated or repeated; default: every queue)",
          optional: true,
          variadic: ",",
          placeholder: "names",
        },
        drain: {
          kind: "boolean",
          brief: "Exit once no job is runnable now or waiting for a retry",
          optional: true,
          withNegated: false,
        },
        detach: {
          kind: "boolean",
          brief: "Run the worker in the background, in a session of its own, logging to workers/<id>.log",
          optional: true,
          withNegated: false,
        },
        json: {
          kind: "boolean",
          brief: "With --detach: print the worker's id, pid, log and home as JSON",
          optional: true,
          withNegated: false,
        },
        ...homeFlag,
      },
      aliases: { n: "count" },
    },
    docs: {
      brief: "Run jobs until stopped, in the foreground or detached",
      fullDescription: [
        "Logs one line per event. Ctrl-C or SIGTERM (or `queuectl worker stop`) stops claiming",
        "and waits for running jobs; a second Ctrl-C kills them and records failed attempts.",
        "A hang-up (the terminal or ssh session closed: SIGHUP) stops it like SIGTERM, unless",
        "SIGHUP was ignored when it started (nohup): then it keeps running. Jobs run with",
        "QUEUECTL_HOME set to the worker's home, as an absolute path. Several workers may share one home.",
        "--detach starts the worker in a session of its own, with its output appended to",
        "workers/<id>.log in the home, and returns once it is registered (`worker list` shows it).",
        "Settings changed with `queuectl config set` apply without a restart, within poll-interval",
        "seconds.",
        "",
        "Examples:\n  queuectl worker start --count 4\n  queuectl worker start --drain\n  queuectl worker start --detach",
        "  queuectl worker start --count 2 --queue uploads,emails",
      ].join("\n"),
    },
  }),
  stop: command({
    func: stop,
    parameters: {
      flags: {
        wait: {
          kind: "boolean",
          brief: "Block until every worker asked has exited",
          optional: true,
          withNegated: false,
        },
        pid: {
          kind: "parsed",
          parse: String,
          brief: "Stop only the worker of this home with this process id (sends it SIGTERM)",
          optional: true,
          placeholder: "pid",
        },
        ...homeFlag,
      },
    },
    docs: {
      brief: "Ask every running worker of this home (or one, --pid) to stop gracefully",
      fullDescription: [
        "Workers stop claiming, finish their running jobs and exit 0. Without --pid the request is",
        "recorded in the store: every worker running now stops, one started later does not.",
        "",
        "Examples:\n  queuectl worker stop --wait\n  queuectl worker stop --wait --pid 12345",
      ].join("\n"),
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
