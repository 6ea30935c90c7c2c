/**
 * Kills the processes of a job runner's session, and of its slot's cgroup: what a job
 * started, wherever it went (see session.sh, which does the work: Deno may not read /proc).
 *
 * A runner is a session leader, so every process a job starts carries the runner's pid as
 * its session id, including tools that leave the job's process group (GNU `timeout`, a shell
 * with `set -m`); only a `setsid` daemon leaves the session, and only a cgroup keeps it.
 */
import body from "./session.sh" with { type: "text" };
import { runHelper, withProcs } from "./shell.ts";

const SCRIPT = withProcs(body);

/** Where /proc is; tests give another path to play a platform without it. */
export const PROC = "/proc";

export type SessionSignal = "SIGTERM" | "SIGKILL";

/**
 * Sends `signal` to every process of the runner's session but the runner (`sessionId`), and to
 * every process of `cgroup`; a SIGKILL is repeated until none is left. A SIGTERM goes first to
 * the runner's process group, the runner included (it ignores it), in one system call, so that
 * the job's shell gets it with its children, never after one of them died of it. Resolves to
 * how many processes the session scan signalled (outside that group: with a SIGTERM the scan
 * leaves the group's members out), or null when there is no /proc to scan
 * (nothing was signalled then but the cgroup; see `Runner.kill` for the fallback).
 */
export async function signalSession(
  sessionId: number,
  signal: SessionSignal,
  cgroup: string | null,
  proc = PROC,
): Promise<number | null> {
  const { out } = await runHelper(SCRIPT, "queuectl-session", [
    "signal",
    proc,
    signal.slice(3),
    String(sessionId),
    cgroup ?? "",
  ]);
  const answer = /^signalled (\d+)$/m.exec(out);
  if (answer) return Number(answer[1]);
  if (/^noproc$/m.test(out)) return null;
  throw new Error(
    `Cannot signal the job runner's session ${sessionId}: its helper said ${JSON.stringify(out)}`,
  );
}

export type SessionKill =
  /** this many processes of the session were killed (0: none was left) */
  | { kind: "killed"; count: number }
  /** pid `sessionId` belongs to another process now: the session was left alone */
  | { kind: "stranger" }
  /** no /proc: the process group `sessionId` was killed, whoever holds it */
  | { kind: "noproc" };

/**
 * Kills a runner whose worker is gone, with its job and whatever that started: SIGKILL to every
 * process of session `sessionId` (the runner's pid), the runner included, and to `cgroup`.
 *
 * A pid is not an identity: when a live process holds pid `sessionId` with a start time other
 * than `startTime` (field 22 of /proc/<pid>/stat, as the runner reported it), our runner ended
 * and a stranger got its pid; its session is left alone (the cgroup, ours by name, is still
 * killed). When no process holds that pid, processes still carrying that session id are ours:
 * Linux does not reuse a pid that still names a session. With `startTime` null (unknown) the
 * session is killed unchecked.
 */
export async function killSession(
  sessionId: number,
  startTime: number | null,
  cgroup: string | null,
  proc = PROC,
): Promise<SessionKill> {
  const { out } = await runHelper(SCRIPT, "queuectl-session", [
    "orphan",
    proc,
    String(sessionId),
    startTime === null ? "" : String(startTime),
    cgroup ?? "",
  ]);
  const killed = /^killed (\d+)$/m.exec(out);
  if (killed) return { kind: "killed", count: Number(killed[1]) };
  if (/^stranger$/m.test(out)) return { kind: "stranger" };
  if (/^noproc$/m.test(out)) return { kind: "noproc" };
  throw new Error(
    `Cannot kill the job runner's session ${sessionId}: its helper said ${JSON.stringify(out)}`,
  );
}
