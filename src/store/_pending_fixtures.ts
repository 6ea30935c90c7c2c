/** Pending jobs and temp homes for the pending segment's tests and its scale script. */
import { newJob } from "../job.ts";
import type { PendingJob, PendingList, PendingSegment } from "./pending.ts";
import { PendingReader } from "./pending.ts";
import { encodeOrderHeader } from "./pending_format.ts";
import { type HomePaths, homePaths } from "./paths.ts";

export const CREATED = "2026-11-23T12:00:00.000Z";
/** the write time the tests split due from scheduled jobs at */
export const NOW = new Date("2026-11-23T13:00:00.000Z");

export interface JobShape {
  queue?: string;
  priority?: number;
  run_at?: string | null;
}

/** A plain pending job as a segment holds it (the queue and nullable run_at the store is adding). */
export function pendingJob(id: string, seq: number, shape: JobShape = {}): PendingJob {
  const job = newJob({
    id,
    command: `echo ${id}`,
    max_retries: 3,
    priority: shape.priority ?? 0,
    run_at: CREATED,
    timeout: null,
    cwd: null,
    seq,
  }, CREATED);
  return {
    ...job,
    queue: shape.queue ?? "default",
    run_at: shape.run_at === undefined ? null : shape.run_at,
  };
}

/** Runs `fn` with a fresh temp home and a reader on it; removes both after. */
export function withPendingHome(fn: (paths: HomePaths, reader: PendingReader) => void): void {
  const home = Deno.makeTempDirSync({ prefix: "qpending-" });
  const paths = homePaths(home);
  const reader = new PendingReader(paths);
  try {
    fn(paths, reader);
  } finally {
    reader.close();
    Deno.removeSync(home, { recursive: true });
  }
}

/**
 * `order`, the bytes of segment `seg`'s order file, with its header line written anew for `lists`
 * (as a record that names them would have it), its entries as they were.
 */
export function withOrderHeader(order: Uint8Array, seg: PendingSegment, lists: PendingList[]): Uint8Array {
  const header = encodeOrderHeader(seg.n, seg.now, lists);
  const entries = order.subarray(order.indexOf(0x0a) + 1);
  const out = new Uint8Array(header.length + entries.length);
  out.set(header);
  out.set(entries, header.length);
  return out;
}
