/**
 * Job references as a user types them, resolved into the ids they name: every command that takes
 * a job id comes here, so they all accept the same three forms.
 *
 * - a whole id: names that job, even when it is also the start of other ids (an exact match wins);
 * - the start of one id (`01jq4`): names the one job whose id starts so; when several do it is
 *   refused (UsageError, exit 2) naming up to SHOWN of them; when none does it is given back as
 *   it was, so the command says "no such job" in its own words;
 * - `@last`: the newest job the home holds, by enqueue order (live, waiting in a pending segment
 *   or archived); refused (exit 1) when it holds none.
 *
 * `checkJobRef` checks the form alone, before a command opens anything (bad input changes
 * nothing, and a home that does not exist is not created); `resolveJobRef(s)` then reads the store.
 * A reference is resolved when the command runs, before its write: the write checks again that
 * the job exists, as it does for an id given whole.
 */
import { OperationError, UsageError } from "./errors.ts";
import { checkJobId } from "./ids.ts";
import type { Store } from "./store/mod.ts";

/** The reference to the newest job of a home. */
export const LAST = "@last";

/** How many candidates a refused ambiguous prefix names. */
export const SHOWN = 5;

/** What resolving reads of a store. */
export type JobLookup = Pick<Store, "get" | "idsWithPrefix" | "list">;

/** The words every command's help uses for an id parameter. */
export const JOB_REF_BRIEF = "Job id, the start of one, or @last (the newest job)";

/** Refuses (exit 2) a reference that can name no job: neither `@last` nor a valid id or start of one. */
export function checkJobRef(ref: string): void {
  if (ref !== LAST) checkJobId(ref);
}

/**
 * The id `ref` names (see the top of this file); `action` is the command's verb as its messages
 * say it ("show", "delete", "wait for"). A start that matches no job comes back unchanged.
 */
export async function resolveJobRef(store: JobLookup, ref: string, action: string): Promise<string> {
  checkJobRef(ref);
  if (ref === LAST) {
    const [newest] = await store.list({ order: "desc", limit: 1 });
    if (!newest) throw new OperationError(`Cannot ${action} "${LAST}": this home holds no jobs`);
    return newest.id;
  }
  if (await store.get(ref)) return ref;
  const ids = await store.idsWithPrefix(ref, SHOWN + 1);
  if (ids.length <= 1) return ids[0] ?? ref;
  const count = ids.length > SHOWN ? `more than ${SHOWN} jobs` : `${ids.length} jobs`;
  const names = ids.slice(0, SHOWN).join(", ") + (ids.length > SHOWN ? ", ..." : "");
  throw new UsageError(
    `Cannot ${action} "${ref}": the prefix matches ${count}: ${names}; give more of the id`,
  );
}

/** The ids `refs` name, in order, each once (two references to one job name it once). */
export async function resolveJobRefs(
  store: JobLookup,
  refs: readonly string[],
  action: string,
): Promise<string[]> {
  refs.forEach(checkJobRef);
  const ids: string[] = [];
  for (const ref of refs) ids.push(await resolveJobRef(store, ref, action));
  return [...new Set(ids)];
}
