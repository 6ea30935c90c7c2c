/**
 * The records of the write-ahead log: events, never whole-table rewrites. Each carries `seq`
 * (contiguous, +1 per record across generations) and `at` (ISO-8601 UTC, the writer's clock).
 * A record is one line, so a transaction (a batch enqueue, a batch claim) is all or nothing.
 */
import type { Job, NewJob } from "../job.ts";

export type RecordBody =
  /** new jobs as given (their empty fields are implied, created_at is `at`); older logs hold whole jobs */
  | { type: "enqueue"; jobs: Array<NewJob | Job> }
  | { type: "claim"; worker: string; lease_until: string; ids: string[] }
  | {
    type: "started";
    worker: string;
    id: string;
    attempt: number;
    pid: number;
    pid_start: number | null;
  }
  /** extends the leases of `ids` (all jobs the worker holds when absent) */
  | { type: "renew"; worker: string; lease_until: string; ids?: string[] }
  | {
    type: "finish";
    id: string;
    /** null when the job is taken back from a lost worker */
    worker: string | null;
    attempt: number;
    to: "completed" | "failed" | "dead";
    exit_code: number | null;
    error: string | null;
    run_at: string | null;
    tail: string | null;
  }
  | { type: "retry"; ids: string[] }
  /** `ids` are live jobs; `archived` are completed jobs in archive segments (tombstoned) */
  | { type: "delete"; ids: string[]; archived?: string[] }
  | { type: "stop_workers" }
  /** Last record of a generation: state as of here is in snapshot `next_gen`. */
  | { type: "seal"; next_gen: number };

export type LogRecord = RecordBody & { seq: number; at: string };

export const RECORD_TYPES: ReadonlySet<string> = new Set([
  "enqueue",
  "claim",
  "started",
  "renew",
  "finish",
  "retry",
  "delete",
  "stop_workers",
  "seal",
]);
