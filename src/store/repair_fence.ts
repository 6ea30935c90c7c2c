/**
 * What a repair does about attempts that are running while it works (`doctor --repair --force`
 * beside live workers): nothing may run that the repaired store does not record as running.
 *
 * The repair knows the attempts that were open as far as anything readable says (the snapshot's
 * processing jobs, then every readable claim, `started`, finish and unclaim record of the log, in
 * seq order, those it drops included: `AttemptLog`). It keeps a processing job of the repaired
 * state as it is only when nothing lost could have changed it since its claim: no log record with
 * a seq above its claim token was lost. Then, before the repaired store is written (so before any
 * process can claim again):
 *   - every open attempt the repaired state does not keep has its runner session killed
 *     (`killSession`: the job, what it started, and the runner; a live worker starts a new
 *     runner for its slot, and the killed attempt's end is refused, its claim being gone);
 *   - a processing job that cannot be kept goes back uncounted (an `unclaim` folded into the
 *     repaired state), after its session was killed;
 *   - when the repair lost what could have named an attempt (a log record, a snapshot's job
 *     line), the runner sessions every worker lists in its heartbeat file (`runners`) are killed
 *     too, but those of the kept jobs: an attempt whose claim nobody can read any more runs in one
 *     of them.
 * A kill that fails stops the repair before anything is written.
 */
import type { Job } from "../job.ts";
import type { LogRecord } from "./records.ts";
import { apply, type QueueState } from "./state.ts";

/** A runner session: the runner's pid (its session id) and start time. */
export type Session = [pid: number, start: number | null];

export interface OpenAttempt {
  id: string;
  claim: number | null;
  worker: string | null;
  session: Session | null;
}

/** The attempts open as far as the readable snapshot and records say. */
export class AttemptLog {
  readonly open = new Map<string, OpenAttempt>();

  /** The processing jobs of a loaded (or salvaged) snapshot. */
  fromState(state: QueueState): void {
    for (const job of state.jobs.values()) {
      if (job.state === "processing") this.#start(job.id, job.claim, job.worker, sessionOf(job));
    }
  }

  /** One readable record, applied or not, in seq order. */
  note(rec: LogRecord): void {
    switch (rec.type) {
      case "claim":
        rec.ids.forEach((id, i) => this.#start(id, rec.seq, rec.worker, rec.slots?.[i]?.sid ?? null));
        break;
      case "started": {
        const a = this.open.get(rec.id);
        if (a) a.session = [rec.pid, rec.pid_start];
        break;
      }
      case "finish":
      case "unclaim": {
        const a = this.open.get(rec.id);
        if (a && (rec.claim === undefined || a.claim === null || a.claim === rec.claim)) {
          this.open.delete(rec.id);
        }
        break;
      }
    }
  }

  #start(id: string, claim: number | null, worker: string | null, session: Session | null): void {
    // a job is claimed again only once its attempt before ended
    this.open.set(id, { id, claim, worker, session });
  }
}

function sessionOf(job: Job): Session | null {
  return job.pid === null ? null : [job.pid, job.pid_start ?? null];
}

export interface FenceInput {
  /** the repaired state, about to be written */
  state: QueueState;
  attempts: AttemptLog;
  /** log records with a seq up to this may be lost (-Infinity: none was) */
  lostUpTo: number;
  /** the repair lost what could have named an attempt: heartbeat runners are killed too */
  unknownAttempts: boolean;
  now: Date;
}

/** The repair's reach into processes (the CLI wires them to src/worker). */
export interface FenceDeps {
  /**
   * Kills every process of runner session `pid` (started at `start`), the runner included, unless
   * that pid now belongs to another process; true when it killed something
   */
  kill: (pid: number, start: number | null) => Promise<boolean>;
  /** the runner sessions every worker with a heartbeat file lists */
  runners: () => Session[];
}

export interface FenceOutcome {
  done: string[];
  /** jobs set back: their attempt ended and goes uncounted */
  setBack: string[];
}

/** Kills what the repaired state does not keep, and gives back the jobs it cannot vouch for. */
export async function fence(input: FenceInput, deps: FenceDeps): Promise<FenceOutcome> {
  const { state, attempts, lostUpTo } = input;
  const kept = new Map<string, Job>();
  const doubtful: Job[] = [];
  for (const id of state.processing) {
    const job = state.jobs.get(id)!;
    if (lostUpTo === -Infinity || (job.claim !== null && job.claim > lostUpTo)) kept.set(id, job);
    else doubtful.push(job);
  }
  const keep = new Set([...kept.values()].flatMap((j) => (j.pid === null ? [] : [j.pid])));
  const doomed = new Map<number, { session: Session; what: string }>();
  const doom = (session: Session | null, what: string) => {
    if (session && !keep.has(session[0]) && !doomed.has(session[0])) {
      doomed.set(session[0], { session, what });
    }
  };
  for (const a of attempts.open.values()) {
    const job = kept.get(a.id);
    if (!job || job.claim !== a.claim) doom(a.session, `job ${a.id}`);
  }
  for (const job of doubtful) doom(sessionOf(job), `job ${job.id}`);
  if (input.unknownAttempts) { for (const r of deps.runners()) doom(r, "a worker's runner"); }
  const killed: string[] = [];
  for (const { session, what } of doomed.values()) {
    let ended: boolean;
    try {
      ended = await deps.kill(session[0], session[1]);
    } catch (e) {
      throw new Error(
        `Cannot repair the store: could not end the runner session ${session[0]} (${what}): ${
          (e as Error).message
        }; nothing was written`,
      );
    }
    if (ended) killed.push(`${what} (session ${session[0]})`);
  }
  const at = input.now.toISOString();
  for (const job of doubtful) {
    apply(state, { seq: state.seq + 1, at, type: "unclaim", id: job.id, claim: job.claim! } as LogRecord);
  }
  const done: string[] = [];
  if (killed.length > 0) {
    done.push(
      `ended ${killed.length} running session(s) the repaired store does not record: ${killed.join(", ")}`,
    );
  }
  if (doubtful.length > 0) {
    done.push(
      `gave back ${doubtful.length} attempt(s) that lost records may have ended (${
        doubtful.map((j) => j.id).join(", ")
      }): their jobs run again, the attempt not counted`,
    );
  }
  return { done, setBack: doubtful.map((j) => j.id) };
}
