/**
 * Dependents that go to the DLQ with a job: every waiting job that lists it in `after`, then
 * theirs, and so on, each naming the dependency that failed it. Pure.
 */
import { isWaiting } from "../../job.ts";
import type { QueueState } from "../state.ts";

/**
 * The waiting jobs that depend, directly or through others, on the `roots` (each with how it
 * ended: "is dead", "was deleted"), with the `last_error` each gets. Roots are not listed.
 */
export function cascade(state: QueueState, roots: Array<[id: string, how: string]>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const seen = new Set(roots.map(([id]) => id));
  const queue = [...roots];
  for (let i = 0; i < queue.length; i++) {
    const [id, how] = queue[i];
    for (const dependent of state.dependents.get(id) ?? []) {
      if (seen.has(dependent)) continue;
      const job = state.jobs.get(dependent);
      // the map may list more than the waiting jobs that name `id` (state.ts): check both
      if (!job || !isWaiting(job.state) || !job.after?.includes(id)) continue;
      seen.add(dependent);
      out.push([dependent, `dependency "${id}" ${how}`]);
      queue.push([dependent, "is dead"]);
    }
  }
  return out;
}
