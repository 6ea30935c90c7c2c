/**
 * `queuectl rerun ID`: enqueues a copy of a finished job (completed or dead) under a new id and
 * prints that id (`--json`: the new job). What the copy keeps is decided by the store
 * (store/decide/rerun.ts); `dlq retry` is the other way back, moving a dead job itself to pending.
 */
import { checkJobRef, resolveJobRef } from "../job_ref.ts";
import { jobRefParam } from "./job_ref_params.ts";
import { type AppContext, homeFlag, jsonFlag, type JsonFlags, openSession } from "./context.ts";
import { command } from "./command.ts";
import { json } from "./render.ts";

async function rerun(this: AppContext, flags: JsonFlags, ref: string): Promise<void> {
  checkJobRef(ref);
  const session = openSession(this, flags);
  try {
    const id = await resolveJobRef(session.store, ref, "rerun");
    const job = await session.store.rerun(id);
    this.process.stdout.write(flags.json ? json(job) : `${job.id}\n`);
  } finally {
    session.store.close();
  }
}

export const rerunCommand = command({
  func: rerun,
  parameters: {
    flags: { ...jsonFlag, ...homeFlag },
    positional: jobRefParam,
  },
  docs: {
    brief: "Enqueue a copy of a completed or dead job under a new id",
    fullDescription: [
      "Prints the new job's id (--json: the new job). The copy runs the same command (or argv) in",
      "the same queue, with the same env, cwd, priority, max_retries, timeout and unique key; it is",
      "due at once, has no dependencies (--after) and no attempts yet. The job itself stays as it",
      "is. A job that is pending, processing or failed is refused (exit 1, naming its state), and so",
      "is one whose unique key a live job holds. To run a dead job itself again, with its history,",
      "use `dlq retry`.",
      "",
      "Examples:\n  queuectl rerun build\n  queuectl rerun @last\n  queuectl logs -f $(queuectl rerun build)",
    ].join("\n"),
  },
});
