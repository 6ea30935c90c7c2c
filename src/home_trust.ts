/**
 * Refuses a home another user could write, as OpenSSH's StrictModes refuses such a ~/.ssh:
 * whoever can write the home can plant a record that a worker then runs as its own user (root,
 * say). Checked by every command that opens a home, before anything is read or written:
 *
 *   - the home itself must belong to this user (or to root) and not be writable by its group or
 *     by others;
 *   - so must every entry directly in it (log segments, snapshots, archive, config.jsonc, the
 *     locks, `logs/`, `workers/`), followed through symbolic links: the store and the config are
 *     read from there.
 *
 * A missing home passes (the first write creates it 0700). The files inside `logs/` and
 * `workers/` are not checked: they are job output and heartbeats, shown but never run, and no
 * other user can add one while those directories pass. The directories above the home are not
 * checked either.
 *
 * Knowing this process's user id takes Deno's `--allow-sys=uid`; without it the check cannot be
 * made, and the command says so rather than trust the home unchecked.
 */
import { OperationError } from "./errors.ts";

/** This process's user id; null on a system without one (Windows), where nothing is checked. */
export function processUid(): number | null {
  if (Deno.build.os === "windows") return null;
  if (Deno.permissions.querySync({ name: "sys", kind: "uid" }).state !== "granted") {
    throw new OperationError(
      "Cannot check who owns the home directory: queuectl needs Deno's permission to read the user id (run it with --allow-sys=uid)",
    );
  }
  return Deno.uid();
}

function writers(mode: number): string | null {
  const group = (mode & 0o020) !== 0;
  const others = (mode & 0o002) !== 0;
  return group && others ? "its group and others" : group ? "its group" : others ? "others" : null;
}

/** Why `path` (the home, or an entry in it) is not safe to trust, with the fix; or null. */
function problem(path: string, info: Deno.FileInfo, uid: number, isHome: boolean): string | null {
  if (info.uid !== null && info.uid !== uid && info.uid !== 0) {
    return `${
      isHome ? "it" : path
    } belongs to uid ${info.uid}, not to you (uid ${uid}), so that user could plant jobs a worker runs (fix: use a home of your own, or chown ${uid} ${path} after checking what is in it)`;
  }
  const who = info.mode === null ? null : writers(info.mode);
  if (who) {
    const fix = isHome ? `chmod 700 ${path}` : `chmod go-w ${path}`;
    return `${isHome ? "it" : path} is writable by ${who}, who could plant jobs a worker runs (fix: ${fix})`;
  }
  return null;
}

function statOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch {
    return null; // missing, or unreadable: whoever reads it next says why
  }
}

/** Throws an OperationError (exit 1) naming what another user could write and how to fix it. */
export function checkHomeTrusted(home: string, uid: number | null): void {
  if (uid === null) return;
  const info = statOrNull(home);
  if (info === null || !info.isDirectory) return;
  const fail = (why: string): never => {
    throw new OperationError(`Cannot use the home directory ${home}: ${why}`);
  };
  const own = problem(home, info, uid, true);
  if (own) fail(own);
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(home)];
  } catch {
    return; // not readable: every command that reads it fails and says why
  }
  for (const entry of entries.sort((a, b) => a.name < b.name ? -1 : 1)) {
    const path = `${home}/${entry.name}`;
    const inner = statOrNull(path);
    const why = inner && problem(path, inner, uid, false);
    if (why) fail(why);
  }
}
