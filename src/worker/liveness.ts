/**
 * Is a worker alive? Rescuers ask it about the worker holding a processing job, and nothing else
 * decides that a job is lost: a lease is a wall-clock time, and a wall clock that steps, or a
 * store lock held a long while, must never make a healthy worker's jobs run twice.
 *
 * A live worker holds an OS lock on `workers/<id>.lock` for its whole life (registry.ts): a lock
 * held means alive. A lock that is free, or a lock file that is gone (someone deleted `workers/`;
 * the worker makes a new one within a heartbeat), is checked against the worker's process, whose
 * pid and start time each of its claims recorded: that pid alive (not a zombie) with that start
 * time means alive. Dead is only a worker that fails both. Without the process's identity (a job
 * claimed by an older queuectl) and without its lock, the verdict is "unknown", and the rescuer
 * falls back to watching the job's lease on its own monotonic clock.
 */
import type { HomePaths } from "../store/paths.ts";
import { processInfo } from "./proc.ts";
import { lockState } from "./registry.ts";

export type Verdict = "alive" | "dead" | "unknown";

/** The process of a worker, as its claims recorded it: pid and start time. */
export type WorkerProcess = [pid: number, start: number | null];

export interface LivenessDeps {
  /** "held", "free" or "missing": the state of the worker's lock file */
  lock(id: string): "held" | "free" | "missing";
  /** the state and start time of a process, or null when there is none */
  process(pid: number): Promise<{ state: string; start: number | null } | null>;
}

export function livenessDeps(paths: HomePaths): LivenessDeps {
  return { lock: (id) => lockState(paths, id), process: processInfo };
}

/** The verdict on worker `id`, whose process is `proc` when known. */
export async function verdict(deps: LivenessDeps, id: string, proc: WorkerProcess | null): Promise<Verdict> {
  if (deps.lock(id) === "held") return "alive";
  if (proc === null) return deps.lock(id) === "free" ? "dead" : "unknown";
  const [pid, start] = proc;
  const info = await deps.process(pid);
  // a zombie has exited: PID 1 does not reap everywhere (containers), so it can linger
  if (info === null || info.state === "Z") return "dead";
  if (start !== null && info.start !== null && info.start !== start) return "dead"; // the pid was reused
  return "alive";
}
