/**
 * `logs`: prints a job's log (src/output/job_log.ts: every attempt kept, framed), streamed from
 * the files; `--tail N` only its last N lines (framing lines included); `--json` returns the
 * same text in one JSON string; `--follow` prints a running attempt's output as it grows, until
 * the job has ended for good (after the tail, with `--tail`).
 *
 * FOLLOW: each round takes a view of the log and prints what it adds, then waits for the store
 * to change (a notification, or HomeChanges' poll) or FOLLOW_POLL_MS of the monotonic clock to
 * pass (the output of a running attempt grows without the store changing). It ends once the job
 * is completed (exit 0) or dead (exit 1), with everything printed. While the job waits to run and
 * no worker of the home is alive, it says so on stderr.
 */
import { OperationError, UsageError } from "../errors.ts";
import { isTerminal, isWaiting, type Job } from "../job.ts";
import { type JobLog, JobLogPrinter, printTail, readJobLog } from "../output/job_log.ts";
import { parseCount } from "../validate.ts";
import { HomeChanges } from "../store/changes.ts";
import { listWorkers } from "../worker/registry.ts";
import { type AppContext, homeFlag, jsonFlag, type JsonFlags, openSession, type Session } from "./context.ts";
import { command } from "./command.ts";
import { checkJobRef, resolveJobRef } from "../job_ref.ts";
import { jobRefParam } from "./job_ref_params.ts";
import { json } from "./render.ts";

/** the largest output `logs --json` prints (in one string); `logs` streams any size */
export const JSON_OUTPUT_MAX = 16 * 2 ** 20;
/** How often `--follow` looks at a running attempt's output between two store changes. */
export const FOLLOW_POLL_MS = 250;

interface LogsFlags extends JsonFlags {
  follow?: boolean;
  tail?: string;
}

/** Writes all of `bytes` to stdout (a pipe may take fewer than offered). */
async function writeOut(bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) done += await Deno.stdout.write(bytes.subarray(done));
}

async function logs(this: AppContext, flags: LogsFlags, ref: string): Promise<void> {
  checkJobRef(ref);
  if (flags.json && flags.follow) {
    throw new UsageError("Cannot follow output as JSON: use --json or --follow");
  }
  const lines = flags.tail === undefined ? undefined : parseCount("tail", flags.tail, 0, 1e9);
  /** the log's view, whole or its last lines */
  const emit = (printer: JobLogPrinter, log: JobLog, write: (bytes: Uint8Array) => Promise<void>) =>
    lines === undefined ? printer.print(log, write) : printTail(printer, log, lines, write);
  const session = openSession(this, flags);
  const id = await resolveJobRef(session.store, ref, "show the output of");
  const read = () => readJobLog(session.paths, () => session.store.get(id));
  const log = await read();
  if (!log) throw new OperationError(`Cannot show the output of job "${id}": no such job`);
  if (flags.json) {
    // one JSON string holds it all: a 1 GB log would exhaust memory (and V8's string limit)
    const tooBig = (what: string) =>
      new OperationError(
        `Cannot print the output of job "${id}" as JSON: ${what} more than the ${
          JSON_OUTPUT_MAX / 2 ** 20
        } MiB --json allows; \`queuectl logs ${id}\` streams it`,
      );
    if (lines === undefined && log.bytes > JSON_OUTPUT_MAX) {
      throw tooBig(`it is ${(log.bytes / 2 ** 20).toFixed(1)} MiB,`);
    }
    const decoder = new TextDecoder();
    let output = "";
    let size = 0;
    await emit(new JobLogPrinter(), log, (bytes) => {
      size += bytes.length;
      if (size > JSON_OUTPUT_MAX) throw tooBig(`its last ${lines} lines are`);
      return Promise.resolve(void (output += decoder.decode(bytes, { stream: true })));
    });
    output += decoder.decode();
    const { job } = log;
    this.process.stdout.write(json({ id, state: job.state, attempts: job.attempts, output }));
    return;
  }
  const printer = new JobLogPrinter();
  await emit(printer, log, writeOut);
  if (!flags.follow) {
    if (log.bytes === 0) {
      this.process.stderr.write(`job ${id} has no output yet (it is ${log.job.state})\n`);
    }
    return;
  }
  const end = await follow(this, session, printer, read);
  if (end === "gone") throw new OperationError(`Cannot follow the output of job "${id}": it was deleted`);
  if (end === "dead") this.exitCode = 1;
}

/** Prints views of the log until the job has ended for good; returns how it ended. */
async function follow(
  ctx: AppContext,
  session: Session,
  printer: JobLogPrinter,
  read: () => Promise<JobLog | null>,
): Promise<Job["state"] | "gone" | "interrupted"> {
  const changes = new HomeChanges({ head: () => session.store.head(), dir: session.home, clock: ctx.clock });
  let changed = false;
  let wake = () => {};
  const unsubscribe = changes.subscribe(() => {
    changed = true;
    wake();
  });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  let told = false;
  try {
    for (;;) {
      changed = false;
      const log = await read();
      if (!log) return "gone";
      await printer.print(log, writeOut);
      if (isTerminal(log.job.state)) return log.job.state;
      const waiting = isWaiting(log.job.state) && !listWorkers(session.paths).some((w) => w.alive);
      if (waiting && !told) {
        ctx.process.stderr.write(
          `job ${log.job.id} is ${log.job.state}: waiting for a worker (none is running)\n`,
        );
      }
      told = waiting;
      if (changed) continue; // the store changed while this round read it
      // whichever comes first: a store change, an interrupt, or time for a running output to have grown
      const round = new AbortController();
      const abort = () => round.abort();
      wake = abort;
      stop.signal.addEventListener("abort", abort, { once: true });
      await ctx.clock.sleep(FOLLOW_POLL_MS, round.signal);
      stop.signal.removeEventListener("abort", abort);
      wake = () => {};
      if (stop.signal.aborted) return "interrupted";
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    unsubscribe();
    changes.close();
  }
}

export const logsCommand = command({
  func: logs,
  parameters: {
    flags: {
      follow: {
        kind: "boolean",
        brief: "Keep printing new output until the job completes (exit 0) or dies (exit 1)",
        optional: true,
        withNegated: false,
      },
      tail: {
        kind: "parsed",
        parse: String,
        brief: "Print only the last n lines of the log (the === attempt lines count); with -f, then follow",
        optional: true,
        placeholder: "n",
      },
      ...jsonFlag,
      ...homeFlag,
    },
    aliases: { f: "follow" },
    positional: jobRefParam,
  },
  docs: {
    brief: "Print a job's captured stdout and stderr, every attempt",
    fullDescription: [
      "Each attempt is framed by a line that opens it (=== attempt N of M · start · worker ===)",
      "and one that closes it (=== exit code 0 · 1.20s ===). --tail N prints the last N lines of",
      "that log, across attempts, framing lines included; a last line still being written counts.",
      "--follow prints the output as it grows until the job has completed (exit 0) or is dead",
      "(exit 1); while the job waits and no worker of the home runs, it says so on stderr.",
      "--json prints {id, state, attempts, output} (output: the log, or its tail), not with --follow.",
      "",
      "Examples:",
      "  queuectl logs job-1",
      "  queuectl logs @last --tail 20",
      "  queuectl logs job-1 --tail 0 -f     # only what comes next",
      "  queuectl logs job-1 --follow",
    ].join("\n"),
  },
});
