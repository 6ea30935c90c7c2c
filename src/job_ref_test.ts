import assert from "node:assert/strict";
import { OperationError, UsageError } from "./errors.ts";
import type { Job } from "./job.ts";
import { type JobLookup, resolveJobRef, resolveJobRefs } from "./job_ref.ts";

/** A lookup over jobs given as ids in enqueue order. */
function lookup(order: string[]): JobLookup {
  const job = (id: string) => ({ id, seq: order.indexOf(id) }) as Job;
  return {
    get: (id) => Promise.resolve(order.includes(id) ? job(id) : undefined),
    idsWithPrefix: (prefix, limit) =>
      Promise.resolve(order.filter((id) => id.startsWith(prefix)).sort().slice(0, limit)),
    list: (query) =>
      Promise.resolve(
        (query?.order === "desc" ? [...order].reverse() : order).slice(0, query?.limit).map(job),
      ),
  };
}

Deno.test("resolveJobRef() gives a whole id back even when it starts other ids", async () => {
  assert.equal(await resolveJobRef(lookup(["ab1", "ab", "ab2"]), "ab", "show"), "ab");
});

Deno.test("resolveJobRef() completes a start that one id has", async () => {
  assert.equal(await resolveJobRef(lookup(["ab1", "cd1"]), "a", "show"), "ab1");
});

Deno.test("resolveJobRef() gives back a start no id has, for the command's own not-found", async () => {
  assert.equal(await resolveJobRef(lookup(["ab1"]), "zz", "show"), "zz");
});

Deno.test("resolveJobRef() refuses an ambiguous start naming at most five candidates", async () => {
  await assert.rejects(
    resolveJobRef(lookup(["ab2", "ab1", "cd"]), "ab", "delete"),
    new UsageError('Cannot delete "ab": the prefix matches 2 jobs: ab1, ab2; give more of the id'),
  );
  await assert.rejects(
    resolveJobRef(lookup(["a1", "a2", "a3", "a4", "a5", "a6", "a7"]), "a", "wait for"),
    new UsageError(
      'Cannot wait for "a": the prefix matches more than 5 jobs: a1, a2, a3, a4, a5, ...; give more of the id',
    ),
  );
});

Deno.test("resolveJobRef() takes @last as the newest job by enqueue order, and refuses it in an empty home", async () => {
  assert.equal(await resolveJobRef(lookup(["b", "a", "c1"]), "@last", "show"), "c1");
  await assert.rejects(
    resolveJobRef(lookup([]), "@last", "show"),
    new OperationError('Cannot show "@last": this home holds no jobs'),
  );
});

Deno.test("resolveJobRefs() checks every reference's form before reading, and names each job once", async () => {
  let reads = 0;
  const inner = lookup(["ab1", "cd1"]);
  const counting: JobLookup = { ...inner, get: (id) => (reads++, inner.get(id)) };
  await assert.rejects(resolveJobRefs(counting, ["ab1", "no good"], "show"), UsageError);
  assert.equal(reads, 0);
  assert.deepEqual(await resolveJobRefs(counting, ["a", "cd1", "ab1", "@last"], "show"), ["ab1", "cd1"]);
});
