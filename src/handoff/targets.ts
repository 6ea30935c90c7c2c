/**
 * Whom an `enqueue` may be handed to (protocol.ts WHICH CALLS and SOCKET): the sockets of the
 * workers of the home its command line names, or none. main.ts asks this for every `enqueue`
 * before it loads anything else: with no worker running the call costs these few stat calls, and
 * the hand-off's own code (client.ts, protocol.ts) is not loaded. Keep its imports this small.
 */
import { homeArgs, homeDir } from "../cli/global_args.ts";
import { homePaths, parseWorkerSocket } from "../store/paths.ts";

/**
 * The sockets a command line (all of it) may be offered to, in no order; none when it is not an
 * enqueue a worker may take, when its --home names no home, or when the user's id is not known.
 */
export function handOffTargets(
  args: readonly string[],
  env: (name: string) => string | undefined,
  cwd: string,
  uid: number | null,
): string[] {
  const { global, command, rest, problem } = homeArgs(args);
  // a --home that names no home: the command line, run here, refuses it
  if (uid === null || problem !== null || !handsOff(rest, env)) return [];
  return sockets(homeDir([command, global, env("QUEUECTL_HOME")], env("HOME"), cwd), uid);
}

/**
 * Whether a command line (after the global --home) may be handed to a worker: see WHICH CALLS.
 * Conservative: any word that could be one of the refused flags keeps the call here.
 */
export function handsOff(rest: readonly string[], env: (name: string) => string | undefined): boolean {
  if (rest[0] !== "enqueue") return false;
  if (env("QUEUECTL_NO_HANDOFF") === "1" || env("QUEUECTL_CRASH_AT") !== undefined) return false;
  return !rest.some((w) =>
    w === "-" || w.endsWith("=-") || w === "--wait" || w.startsWith("--wait=") || w.startsWith("--help") ||
    w === "-h" || w === "-H" || w === "--file" || w.startsWith("--file=")
  );
}

/**
 * Whether `info` (lstat of a home's workers/) is a directory of user `uid` closed to group and
 * others: the only place a socket is listened on or connected to (see SOCKET).
 */
export function privateDir(info: Deno.FileInfo, uid: number): boolean {
  return info.isDirectory && info.uid === uid && ((info.mode ?? 0o777) & 0o077) === 0;
}

/** The sockets of `home`'s workers, when the home and its `workers/` are safe to trust (protocol.ts). */
function sockets(home: string, uid: number): string[] {
  const paths = homePaths(home);
  try {
    const h = Deno.statSync(home);
    const w = Deno.lstatSync(paths.workersDir);
    // home_trust.ts's test of the home itself (this user's or root's, not writable by group or others),
    // without loading it here
    const homeTrusted = h.isDirectory && (h.uid === uid || h.uid === 0) && ((h.mode ?? 0o777) & 0o022) === 0;
    if (!homeTrusted || !privateDir(w, uid)) return [];
    const out: string[] = [];
    for (const entry of Deno.readDirSync(paths.workersDir)) {
      const id = parseWorkerSocket(entry.name);
      if (id !== null) out.push(paths.workerSocket(id));
    }
    return out;
  } catch {
    return []; // no home or no worker yet: the command runs here, and says what is wrong
  }
}
