/**
 * `queuectl prune`: deletes the completed and dead jobs that finished longer ago than the given
 * ages, with their output once no other job needs it. Runs in bounded batches (one transaction
 * each, store/decide/prune.ts) until nothing is left to prune, so workers and other commands go on
 * between them; the output says how many batches it took.
 */
import { UsageError } from "../errors.ts";
import { parseDuration } from "../validate.ts";
import { type AppContext, homeFlag, jsonFlag, type JsonFlags, openSession } from "./context.ts";
import { command } from "./command.ts";
import { json } from "./render.ts";

interface PruneFlags extends JsonFlags {
  "completed-before"?: string;
  "dead-before"?: string;
}

/** The latest finish time that is `text` (a duration) or longer ago, as an ISO cutoff. */
function cutoff(flag: string, text: string | undefined, now: Date): string | null {
  if (text === undefined) return null;
  const seconds = parseDuration(flag, text);
  const at = now.getTime() - seconds * 1000;
  if (!Number.isFinite(at) || at < Date.UTC(0, 0, 1)) {
    throw new UsageError(`Invalid --${flag} "${text.slice(0, 40)}": it reaches back before the year 0`);
  }
  return new Date(at).toISOString();
}

async function prune(this: AppContext, flags: PruneFlags): Promise<void> {
  const now = this.clock.now();
  const completedBefore = cutoff("completed-before", flags["completed-before"], now);
  const deadBefore = cutoff("dead-before", flags["dead-before"], now);
  if (completedBefore === null && deadBefore === null) {
    throw new UsageError(
      "Cannot prune: give --completed-before, --dead-before or both (e.g. --completed-before 7d)",
    );
  }
  const session = openSession(this, flags);
  const total = { completed: 0, dead: 0, segments: 0, batches: 0 };
  try {
    for (;;) {
      const r = await session.store.prune({ completedBefore, deadBefore });
      total.batches++;
      total.completed += r.completed;
      total.dead += r.dead;
      total.segments += r.segments;
      if (!r.more) break;
      if (!flags.json) {
        this.process.stdout.write(
          `batch ${total.batches}: pruned ${r.completed} completed and ${r.dead} dead job(s); more to go\n`,
        );
      }
    }
  } finally {
    session.store.close();
  }
  const shown = { completed_before: completedBefore, dead_before: deadBefore, ...total };
  this.process.stdout.write(
    flags.json ? json(shown) : `pruned ${total.completed} completed and ${total.dead} dead job(s)` +
      (total.segments ? `, ${total.segments} archive segment(s) dropped whole` : "") +
      ` in ${total.batches} batch(es)\n`,
  );
}

export const pruneCommand = command({
  func: prune,
  parameters: {
    flags: {
      "completed-before": {
        kind: "parsed",
        parse: String,
        brief: "Prune completed jobs that finished longer ago than this (30s, 5m, 2h, 7d)",
        optional: true,
        placeholder: "duration",
      },
      "dead-before": {
        kind: "parsed",
        parse: String,
        brief: "Prune dead jobs (the DLQ) that died longer ago than this",
        optional: true,
        placeholder: "duration",
      },
      ...jsonFlag,
      ...homeFlag,
    },
  },
  docs: {
    brief: "Delete old completed and dead jobs, with their output",
    fullDescription: [
      "Deletes the completed jobs that finished longer ago than --completed-before and the dead",
      "jobs that died longer ago than --dead-before (0s: all of them), archived ones included,",
      "and the output files no remaining job needs. Pending, processing and failed jobs are never",
      "touched. Archived jobs are pruned without rewriting the archive: a segment whose jobs are",
      "all old is dropped whole, older jobs among newer ones are hidden one by one. The work is",
      "done in batches of at most 5,000 jobs, each its own transaction; the output says how many.",
      "",
      "The config keys retention-completed and retention-dead make every compaction do the same.",
      "",
      "Examples:",
      "  queuectl prune --completed-before 7d",
      "  queuectl prune --completed-before 30d --dead-before 90d --json",
    ].join("\n"),
  },
});
