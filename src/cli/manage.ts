/** Commands that change jobs: dlq list/retry/delete, delete, compact. */
import { UsageError } from "../errors.ts";
import type { RepairDeps } from "../store/repair.ts";
import type { HomePaths } from "../store/paths.ts";
import type { JobState } from "../job.ts";
import { type AppContext, homeFlag, jsonFlag, type JsonFlags, openSession } from "./context.ts";
import { command, routes } from "./command.ts";
import { deleteJobs as deleteWithLogs, retryDead } from "../usecases/jobs.ts";
import { checkJobRef, resolveJobRefs } from "../job_ref.ts";
import { jobRefsParam } from "./job_ref_params.ts";
import { JOB_HEADER, jobRows, json, table } from "./render.ts";
import { printable } from "../printable.ts";

interface DlqListFlags extends JsonFlags {
  "oldest-first"?: boolean;
}

async function dlqList(this: AppContext, flags: DlqListFlags): Promise<void> {
  const session = openSession(this, flags);
  // newest first, as `list` shows jobs
  const jobs = await session.store.list({ state: "dead", order: flags["oldest-first"] ? "asc" : "desc" });
  if (flags.json) this.process.stdout.write(json(jobs));
  else if (jobs.length === 0) this.process.stdout.write("the dead letter queue is empty\n");
  else this.process.stdout.write(table(JOB_HEADER, jobRows(jobs, this.clock.now())));
}

interface RetryFlags extends JsonFlags {
  all?: boolean;
}

async function dlqRetry(
  this: AppContext,
  flags: RetryFlags,
  ...refs: string[]
): Promise<void> {
  if (flags.all && refs.length > 0) {
    throw new UsageError("Cannot retry: give job ids or --all, not both");
  }
  if (!flags.all && refs.length === 0) {
    throw new UsageError("Cannot retry: give the ids of dead jobs, or --all");
  }
  refs.forEach(checkJobRef);
  const session = openSession(this, flags);
  const ids = flags.all ? "all" : await resolveJobRefs(session.store, refs, "retry");
  const jobs = await retryDead(session.store, ids);
  if (flags.json) this.process.stdout.write(json(jobs.map((j) => j.id)));
  else {this.process.stdout.write(
      `moved ${jobs.length} job(s) from the DLQ back to pending${
        jobs.length ? ": " + jobs.map((j) => j.id).join(", ") : ""
      }\n`,
    );}
}

/** Deletes jobs (in `states`), all or none, with their output (usecases/jobs.ts `deleteJobs`). */
async function deleteWithOutput(
  ctx: AppContext,
  flags: JsonFlags,
  refs: string[],
  states: readonly JobState[] | undefined,
  what: string,
): Promise<void> {
  if (refs.length === 0) throw new UsageError(`Cannot delete: give the ids of ${what}`);
  refs.forEach(checkJobRef);
  const session = openSession(ctx, flags);
  const ids = await resolveJobRefs(session.store, refs, "delete");
  const { jobs, dependents } = await deleteWithLogs(session, ids, states);
  if (flags.json) ctx.process.stdout.write(json(jobs.map((j) => j.id)));
  else {
    ctx.process.stdout.write(`deleted ${jobs.length} ${what}\n`);
    // last_error: dependency "p" was deleted, dependency "d1" is dead (decide/cascade.ts)
    for (const job of dependents) {
      ctx.process.stdout.write(
        `sent ${job.id} to the DLQ: its ${printable(job.last_error ?? "dependency")}\n`,
      );
    }
  }
}

function dlqDelete(this: AppContext, flags: JsonFlags, ...ids: string[]): Promise<void> {
  return deleteWithOutput(this, flags, ids, ["dead"], "dead job(s)");
}

function deleteJobs(this: AppContext, flags: JsonFlags, ...ids: string[]): Promise<void> {
  return deleteWithOutput(this, flags, ids, undefined, "job(s)");
}

async function compact(this: AppContext, flags: JsonFlags): Promise<void> {
  const session = openSession(this, flags);
  const r = await session.store.compact();
  this.process.stdout.write(
    flags.json
      ? json(r)
      : `compacted into generation ${r.generation}: ${r.jobs} live job(s) in a snapshot of ${r.snapshot_bytes} bytes, ${r.archived} completed job(s) archived in ${r.segments} segment(s), ${r.folded_bytes} bytes of log folded\n`,
  );
}

export const dlqRoutes = routes({
  list: command({
    func: dlqList,
    parameters: {
      flags: {
        ...jsonFlag,
        ...homeFlag,
        "oldest-first": {
          kind: "boolean",
          brief: "Oldest first (enqueue order)",
          optional: true,
          withNegated: false,
        },
      },
    },
    docs: {
      brief: "List dead jobs (failed on every attempt), newest first",
      fullDescription: "Newest first, by enqueue order, with --json too (--oldest-first reverses it).\n\n" +
        "Example:\n  queuectl dlq list",
    },
  }),
  retry: command({
    func: dlqRetry,
    parameters: {
      flags: {
        all: {
          kind: "boolean",
          brief: "Retry every dead job",
          optional: true,
          withNegated: false,
        },
        ...jsonFlag,
        ...homeFlag,
      },
      positional: jobRefsParam,
    },
    docs: {
      brief: "Move dead jobs back to pending with attempts reset to 0",
      fullDescription: "Examples:\n  queuectl dlq retry job-1 job-2\n  queuectl dlq retry --all",
    },
  }),
  delete: command({
    func: dlqDelete,
    parameters: { flags: { ...jsonFlag, ...homeFlag }, positional: jobRefsParam },
    docs: {
      brief: "Delete dead jobs for good",
      fullDescription: "Example:\n  queuectl dlq delete job-1",
    },
  }),
}, { brief: "Inspect and retry the dead letter queue" });

export const deleteCommand = command({
  func: deleteJobs,
  parameters: { flags: { ...jsonFlag, ...homeFlag }, positional: jobRefsParam },
  docs: {
    brief: "Delete jobs that are not processing, with their output",
    fullDescription:
      "A waiting job that depends on a deleted one (not completed) goes to the DLQ, and is named; --json prints the ids deleted.\n\nExample:\n  queuectl delete job-1",
  },
});

export const compactCommand = command({
  func: compact,
  parameters: { flags: { ...jsonFlag, ...homeFlag } },
  docs: {
    brief: "Write a snapshot and start a new log generation now",
    fullDescription:
      "Compaction also runs by itself when the log grows past 256 KiB, or past twice the size of the live (not completed) jobs if that is larger.\n\nExample:\n  queuectl compact",
  },
});

interface DoctorFlags extends JsonFlags {
  repair?: boolean;
  force?: boolean;
}

/** What a repair needs of the workers around it: who runs, and their runners' sessions. */
async function repairDeps(paths: HomePaths): Promise<RepairDeps> {
  const { listWorkers } = await import("../worker/registry.ts");
  const { killSession } = await import("../worker/session.ts");
  return {
    liveWorkers: () => listWorkers(paths).filter((w) => w.alive).map((w) => ({ id: w.id, pid: w.pid })),
    runners: () => listWorkers(paths).flatMap((w) => (w.runners ?? []).filter((r) => r !== null)),
    kill: async (pid, start) => {
      const r = await killSession(pid, start, null);
      return r.kind === "noproc" || (r.kind === "killed" && r.count > 0);
    },
  };
}

async function doctorCommand(this: AppContext, flags: DoctorFlags): Promise<void> {
  if (flags.force && !flags.repair) {
    throw new UsageError("Cannot use --force without --repair: it only lets a repair run beside workers");
  }
  const session = openSession(this, flags);
  const { doctor } = await import("../store/repair.ts");
  const report = await doctor(
    session.paths,
    { repair: flags.repair ?? false, force: flags.force ?? false, now: this.clock.now() },
    await repairDeps(session.paths),
  );
  if (flags.json) this.process.stdout.write(json(report));
  else {
    for (const p of report.problems) this.process.stdout.write(`problem: ${p}\n`);
    for (const r of report.repairs) this.process.stdout.write(`repaired: ${r}\n`);
    if (report.lost.length > 0) {
      this.process.stdout.write(
        `lost or set back: ${report.lost.length} job(s): ${report.lost.join(", ")}\n`,
      );
    }
    if (report.ok) {
      this.process.stdout.write(
        `store ok: generation ${report.generation}, ${report.jobs} job(s), last record seq ${report.seq}\n`,
      );
    } else if (!flags.repair) {
      this.process.stdout.write("run `queuectl doctor --repair` to quarantine the damaged part\n");
    }
  }
  if (!report.ok) this.exitCode = 1;
}

export const doctorRoute = command({
  func: doctorCommand,
  parameters: {
    flags: {
      repair: {
        kind: "boolean",
        brief: "Move damaged parts into side files and rebuild what they held, so the store opens again",
        optional: true,
        withNegated: false,
      },
      force: {
        kind: "boolean",
        brief: "With --repair: repair even while workers run (attempts the repair cannot keep are killed)",
        optional: true,
        withNegated: false,
      },
      ...jsonFlag,
      ...homeFlag,
    },
  },
  docs: {
    brief: "Check every file of the store; repair a damaged log, snapshot, archive or pending segment",
    fullDescription: [
      "Reads the snapshot, the log, every archive segment and every pending segment whole. Without",
      "--repair nothing is written; exit 1 when the store is damaged.",
      "With --repair each damaged file is first kept as <file>.quarantined-<time> beside it, then,",
      "holding the store's lock throughout: the log's records are kept up to its first damaged line,",
      "and its intact records after it; a snapshot is rebuilt from its intact job lines; an archive",
      "index is rebuilt from its jobs; an archive jobs file is rewritten from its intact lines; a",
      "pending segment's waiting jobs are rewritten from its intact job lines as a new segment. The",
      "result is written as a new generation, which running processes reopen from. The jobs that",
      "could not be kept as they were are listed.",
      "--repair refuses while workers run unless --force is given; with --force, an attempt the",
      "repaired store does not record as running is killed (its job runs again).",
      "",
      "Examples:\n  queuectl doctor\n  queuectl doctor --repair\n  queuectl doctor --repair --force",
    ].join("\n"),
  },
});
