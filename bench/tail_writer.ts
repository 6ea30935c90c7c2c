/**
 * Appends a realistic log tail to a home: job after job is enqueued, claimed, started and finished,
 * one record each, through the store's own code (FileStore). Writes are issued a group at a time
 * without awaiting each, so the store's group commit puts each group in one append. Automatic
 * compaction is off, so the tail stays in the log.
 *
 *   deno run --allow-all bench/tail_writer.ts --home DIR [--until-bytes N] [--group N] [--prefix P]
 *
 * After every append it prints the number of records written so far on stdout. Without
 * --until-bytes it never stops by itself: the recovery figure kills it with SIGKILL once enough
 * records are written, while it is in the middle of writing more; the jobs it leaves processing
 * name this process as their (unregistered, hence dead) worker, so the bench runs no worker on the
 * home afterwards, since a rescuer would try to kill the recorded process group. With
 * --until-bytes it stops after the first whole group (every job finished) that brings the home's
 * log files to N bytes or more, and exits 0: the log a compaction figure folds.
 */
import { FileStore } from "../src/store/file_store.ts";
import { claimFor } from "../testkit/store.ts";
import { flagValue } from "./helper_args.ts";

/** slots per claim, as a worker started with --count 4 asks for */
const SLOTS = 4;
const WORKER = "w-bench-tail";
const BACKOFF = { backoff_base: 2, backoff_max: 3600 };

/** Bytes of the home's log files (wal-*.jsonl). */
export function logBytes(home: string): number {
  let bytes = 0;
  for (const e of Deno.readDirSync(home)) {
    if (e.isFile && /^wal-\d+\.jsonl$/.test(e.name)) bytes += Deno.statSync(`${home}/${e.name}`).size;
  }
  return bytes;
}

export interface TailOptions {
  /** jobs per group (default 1000) */
  group?: number;
  /** stop after the group that brings the log to this many bytes (default: never stop) */
  untilBytes?: number;
  /** start of every job id, "<prefix>-<group>-<i>": one per run on the same home (default "tail") */
  prefix?: string;
}

/** Writes the tail; returns the records written when `untilBytes` is reached. */
export async function writeTail(
  home: string,
  report: (records: number) => void,
  options: TailOptions = {},
): Promise<number> {
  const size = options.group ?? 1000;
  const store = new FileStore(home, { compactAfterBytes: Number.MAX_SAFE_INTEGER });
  let records = 0;
  try {
    for (let group = 0;; group++) {
      const ids = Array.from({ length: size }, (_, i) => `${options.prefix ?? "tail"}-${group}-${i}`);
      // one record per call: what a busy queue writes (single enqueues, claims by a 4-slot worker, …)
      await Promise.all(
        ids.map((id) => store.enqueue([{ id, command: `echo ${id}`, cwd: "/srv/app" }], { max_retries: 3 })),
      );
      records += size;
      report(records);
      const claims = await Promise.all(
        Array.from({ length: Math.ceil(size / SLOTS) }, () => claimFor(store, WORKER, SLOTS, 3600)),
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
      if (options.untilBytes !== undefined && logBytes(home) >= options.untilBytes) return records;
    }
  } finally {
    store.close();
  }
}

if (import.meta.main) {
  const flag = (name: string) => flagValue(Deno.args, name);
  const home = flag("--home");
  const untilBytes = flag("--until-bytes") === undefined ? undefined : Number(flag("--until-bytes"));
  const group = flag("--group") === undefined ? undefined : Number(flag("--group"));
  const prefix = flag("--prefix");
  if (!home || (untilBytes !== undefined && !(untilBytes > 0)) || (group !== undefined && !(group > 0))) {
    console.error("usage: tail_writer.ts --home DIR [--until-bytes N] [--group N] [--prefix P]");
    Deno.exit(2);
  }
  await writeTail(home, (n) => console.log(n), { untilBytes, group, prefix });
}
