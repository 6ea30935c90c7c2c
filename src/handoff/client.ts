/**
 * The caller's side of a hand-off (protocol.ts): gives the call to a worker of the home the
 * command line names (targets.ts finds them) and relays its output. Loaded by main.ts for an
 * `enqueue` when a worker's socket is there, before the command line's own code: it must stay
 * small.
 */
import { isStreamGone } from "../stream_gone.ts";
import {
  ACCEPT_MS,
  carriedEnv,
  closeOnAbort,
  type HandoffCall,
  INTERRUPTED,
  MessageReader,
  send,
} from "./protocol.ts";
import { handOffTargets } from "./targets.ts";

export interface CallerIo {
  stdout: { write(text: string): void };
  stderr: { write(text: string): void };
  /** every environment variable of the process */
  env: Record<string, string>;
  cwd: string;
  /** this process's user id, null when it cannot be known (then nothing is handed off) */
  uid: number | null;
}

/**
 * The exit code of the call as a worker ran it, or null: nobody took it, run it here. `targets`:
 * the sockets to offer it to, as targets.ts finds them for `args` (main.ts has them already).
 */
export async function handOff(
  args: string[],
  io: CallerIo,
  targets: readonly string[] = handOffTargets(
    args,
    (name) => Object.hasOwn(io.env, name) ? io.env[name] : undefined,
    io.cwd,
    io.uid,
  ),
): Promise<number | null> {
  if (targets.length === 0) return null;
  const call: HandoffCall = { argv: args, cwd: io.cwd, env: carriedEnv(io.env) };
  // one time limit for the whole offer, however many workers it tries (protocol.ts WHO RUNS IT)
  const offer = AbortSignal.timeout(ACCEPT_MS);
  const late = new Promise<null>((resolve) =>
    offer.addEventListener("abort", () => resolve(null), { once: true })
  );
  for (const path of targets) {
    let conn: Deno.Conn | null;
    try {
      conn = await Promise.race([Deno.connect({ transport: "unix", path }), late]);
    } catch {
      continue; // a worker that died without removing it, or one that just ended
    }
    if (conn === null) return null;
    const code = await exchange(conn, call, io, offer);
    if (code !== null) return code;
    if (offer.aborted) return null;
  }
  return null;
}

/**
 * One exchange (protocol.ts EXCHANGE); null when the worker did not take the call. Until "go" is
 * sent, `offer` aborting closes the connection: the call then runs here.
 */
async function exchange(
  conn: Deno.Conn,
  call: HandoffCall,
  io: CallerIo,
  offer: AbortSignal,
): Promise<number | null> {
  const reader = new MessageReader(conn);
  try {
    const undo = closeOnAbort(conn, offer);
    try {
      await send(conn, call);
      const answer = await reader.next();
      if ((answer as { accepted?: unknown } | null)?.accepted !== true) return null;
      await send(conn, { go: true });
    } catch {
      return null; // closed before "go" was sent: the worker runs nothing
    } finally {
      undo();
    }
    /** stdout went away (a pipe into `head -1`): the rest is dropped, the worker's exit code still awaited */
    let outGone = false;
    for (;;) {
      let message: Record<string, unknown> | null;
      try {
        message = await reader.next() as Record<string, unknown> | null;
      } catch {
        message = null;
      }
      if (message === null || typeof message !== "object") {
        io.stderr.write(`error: ${INTERRUPTED}\n`);
        return 1;
      }
      try {
        if (typeof message.out === "string") {
          if (!outGone) io.stdout.write(message.out);
        } else if (typeof message.err === "string") io.stderr.write(message.err);
        else if (typeof message.exit === "number") return message.exit;
      } catch (e) {
        // the call ran (or runs) in the worker: never report it failed, never let it run again here
        if (isStreamGone(e)) {
          outGone = true;
          continue;
        }
        io.stderr.write(`error: ${(e as Error).message}\n`);
        return 1;
      }
    }
  } finally {
    try {
      conn.close();
    } catch { /* closed by the time limit */ }
  }
}
