/**
 * Appends a realistic log tail to a home until it is killed: job after job is enqueued,
 * claimed, started and finished, one record each, through the store's own code (FileStore).
 * Writes are issued a thousand at a time without awaiting each, so the store's group commit
 * puts each thousand in one append. Automatic compaction is off, so the tail stays in the log.
 *
 *   deno run --allow-all bench/tail_writer.ts --home DIR
 *
 * After every append it prints the number of records written so far on stdout. It never stops
 * by itself: the bench kills it with SIGKILL once enough records are written, while it is in
 * the middle of writing more. The jobs it leaves processing name this process as their
 * (unregistered, hence dead) worker: the bench runs no worker on the home afterwards, since a
 * rescuer would try to kill the recorded process group.
 */
import { FileStore } from "../src/store/file_store.ts";
import { claimFor } from "../testkit/store.ts";

const GROUP = 1000;
/** slots per claim, as a worker started with --count 4 asks for */
const SLOTS = 4;
const WORKER = "w-bench-tail";
const BACKOFF = { backoff_base: 2, backoff_max: 3600 };

export async function writeTail(home: string, report: (records: number) => void): Promise<never> {
  const store = new FileStore(home, { compactAfterBytes: Number.MAX_SAFE_INTEGER });
  let records = 0;
  for (let group = 0;; group++) {
    const ids = Array.from({ length: GROUP }, (_, i) => `tail-${group}-${i}`);
    // one record per call: what a busy queue writes (single enqueues, claims by a 4-slot worker, …)
    await Promise.all(
      ids.map((id) => store.enqueue([{ id, command: `echo ${id}`, cwd: "/srv/app" }], { max_retries: 3 })),
    );
    records += GROUP;
    report(records);
    const claims = await Promise.all(
      Array.from({ length: GROUP / SLOTS }, () => claimFor(store, WORKER, SLOTS, 3600)),
    );
    const claimed = claims.flat();
    records += claims.filter((c) => c.length > 0).length;
    report(records);
    await Promise.all(claimed.map((job) =>
      store.finish({
        worker: WORKER,
        id: job.id,
        claim: job.claim,
        outcome: { kind: "exited", code: 0 },
        tail: `${job.id} done\n`,
        config: BACKOFF,
      })
    ));
    records += claimed.length;
    report(records);
  }
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--home");
  const home = i >= 0 ? Deno.args[i + 1] : undefined;
  if (!home) {
    console.error("usage: tail_writer.ts --home DIR");
    Deno.exit(2);
  }
  await writeTail(home, (n) => console.log(n));
}
