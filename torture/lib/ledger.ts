/**
 * The ledger: a file every torture job appends to, one line when a run starts and one when it
 * ends, so the harness can count runs and see overlaps without trusting the store.
 *
 *   S <id> <token> <worker> <ns>          a run started
 *   E <id> <token> <worker> <ns> <code>   that run ends with exit code <code>
 *
 * <token> is the job shell's pid ($$), which is also its process group (a group kill ends the
 * run), or for a job built with `attemptToken` the attempt number the worker gave the run
 * ($QUEUECTL_JOB_ATTEMPT: the run's entry in the job's `runs`); <worker> is the pid of the
 * `worker start` process that ran it, as the harness told that worker in $TORTURE_WORKER_PID
 * (lib/cli.ts spawnWorker), which its jobs inherit: explicit, so it does not depend on how many
 * processes stand between a worker and its jobs; 0 when unset (a run by a worker the harness did
 * not start that way, which the checks report). <ns> is `date +%s%N` (or 0). Each line is one `echo >>` (O_APPEND, far below PIPE_BUF), so lines never
 * interleave and the file's order is the order of the events.
 */

/** The variable a torture worker's jobs find their worker's pid in. */
export const WORKER_ENV = "TORTURE_WORKER_PID";

/** What one job does when it runs. */
export interface JobBehaviour {
  /** seconds to sleep between the two lines (0: none) */
  sleep: number;
  /** exit status of every run */
  exit: 0 | 1;
  /** write <ns> as 0 instead of running date(1) twice (a run then costs no extra process) */
  noClock?: boolean;
  /** <token> is the run's attempt number ($QUEUECTL_JOB_ATTEMPT) instead of the shell's pid */
  attemptToken?: boolean;
}

const SAFE_ID = /^[A-Za-z0-9._-]+$/;

/** The shell command of a torture job: `ledger` and `id` must need no quoting. */
export function jobCommand(ledger: string, id: string, behaviour: JobBehaviour): string {
  if (!SAFE_ID.test(id)) throw new Error(`Cannot build a ledger command for id "${id}": unsafe characters`);
  if (!/^[A-Za-z0-9._/-]+$/.test(ledger)) {
    throw new Error(`Cannot build a ledger command for "${ledger}": the path needs quoting`);
  }
  const clock = behaviour.noClock ? "0" : "$(date +%s%N)";
  const token = behaviour.attemptToken ? "$QUEUECTL_JOB_ATTEMPT" : "$$";
  const line = (mark: string) => `echo "${mark} ${id} ${token} \${${WORKER_ENV}:-0} ${clock}`;
  return [
    `${line("S")}" >> ${ledger}`,
    ...(behaviour.sleep > 0 ? [`sleep ${behaviour.sleep}`] : []),
    `${line("E")} ${behaviour.exit}" >> ${ledger}`,
    `exit ${behaviour.exit}`,
  ].join("; ");
}

export interface LedgerEvent {
  /** 1-based line number: the order of events */
  line: number;
  kind: "start" | "end";
  id: string;
  token: number;
  worker: number;
  ns: number;
  /** exit code, for an end */
  code: number | null;
}

export interface Run {
  id: string;
  token: number;
  worker: number;
  /** ledger line of its start and of its end (null: it never ended, it was killed) */
  start: number;
  end: number | null;
  code: number | null;
}

/** Parses a ledger; `bad` holds the numbers of lines that are not ledger lines. */
export function parseLedger(text: string): { events: LedgerEvent[]; bad: number[] } {
  const events: LedgerEvent[] = [];
  const bad: number[] = [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((raw, i) => {
    const f = raw.split(" ");
    const kind = f[0] === "S" ? "start" : f[0] === "E" ? "end" : null;
    const ints = f.slice(2).map(Number);
    const wanted = kind === "start" ? 5 : 6;
    if (!kind || f.length !== wanted || !SAFE_ID.test(f[1]) || !ints.every(Number.isInteger)) {
      bad.push(i + 1);
      return;
    }
    events.push({
      line: i + 1,
      kind,
      id: f[1],
      token: ints[0],
      worker: ints[1],
      ns: ints[2],
      code: kind === "end" ? ints[3] : null,
    });
  });
  return { events, bad };
}

/**
 * The runs of each job in the order they started. An end belongs to the open run of the same
 * job and token; an end without one is returned in `orphanEnds` (line numbers).
 */
export function runsOf(events: LedgerEvent[]): { runs: Map<string, Run[]>; orphanEnds: number[] } {
  const runs = new Map<string, Run[]>();
  const orphanEnds: number[] = [];
  for (const e of events) {
    const list = runs.get(e.id) ?? [];
    if (e.kind === "start") {
      list.push({ id: e.id, token: e.token, worker: e.worker, start: e.line, end: null, code: null });
      runs.set(e.id, list);
      continue;
    }
    const open = list.findLast((r) => r.token === e.token && r.end === null);
    if (!open) orphanEnds.push(e.line);
    else {
      open.end = e.line;
      open.code = e.code;
    }
  }
  return { runs, orphanEnds };
}
