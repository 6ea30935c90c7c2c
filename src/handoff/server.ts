/**
 * The worker's side of a hand-off (protocol.ts): listens on workers/<id>.sock while the worker
 * runs and runs each call it is told to go on, at most MAX_CALLS at once (a caller turned away
 * runs the command itself). `close()` stops taking calls, removes the socket and waits for the
 * calls under way.
 */
import { type HandoffCall, handsOff, MessageReader, nextWithin, parseCall, send } from "./protocol.ts";
import { splitGlobalHome } from "../cli/global_args.ts";

/** Runs a call; `out` and `err` take what it prints. Resolves to its exit code. */
export type RunCall = (
  call: HandoffCall,
  out: (text: string) => void,
  err: (text: string) => void,
) => Promise<number>;

/** Calls run at once; more wait in no queue: their callers run them. */
export const MAX_CALLS = 16;

/** How long a caller may take to send its call, and then "go". */
const CALLER_MS = 10_000;

export class HandoffServer {
  #listener: Deno.Listener;
  #calls = new Set<Promise<void>>();
  #closing = false;
  #accepting: Promise<void>;

  private constructor(listener: Deno.Listener, readonly path: string, readonly run: RunCall) {
    this.#listener = listener;
    this.#accepting = this.#accept();
  }

  /**
   * Listens on `path` in `dir` (the workers/ directory), or says why it does not: `dir` must be
   * this user's and closed to group and others (protocol.ts SOCKET), and the path short enough
   * for a socket's name.
   */
  static listen(dir: string, path: string, uid: number | null, run: RunCall): HandoffServer | string {
    if (uid === null) return "this system has no user ids";
    if (Deno.permissions.querySync({ name: "net" }).state !== "granted") {
      return "it runs without Deno's --allow-net, which a socket takes";
    }
    try {
      const info = Deno.lstatSync(dir);
      if (!info.isDirectory || info.uid !== uid || ((info.mode ?? 0o777) & 0o077) !== 0) {
        return `${dir} is not a directory of this user closed to group and others (chmod 700 it)`;
      }
      const listener = Deno.listen({ transport: "unix", path });
      // 0600 as every file of a home, whatever the umask: the directory already keeps others out
      Deno.chmodSync(path, 0o600);
      return new HandoffServer(listener, path, run);
    } catch (e) {
      return `${path}: ${(e as Error).message}`;
    }
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        if (this.#closing || this.#calls.size >= MAX_CALLS) {
          conn.close();
          continue;
        }
        const call = this.#serve(conn).finally(() => this.#calls.delete(call));
        this.#calls.add(call);
      }
    } catch {
      // closed by close(), or failing (no descriptor left): either way no call is taken from here
      // on, and without the socket callers do not wait for one
      if (!this.#closing) {
        try {
          this.#listener.close();
        } catch { /* closed */ }
        try {
          Deno.removeSync(this.path);
        } catch { /* gone */ }
      }
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const reader = new MessageReader(conn);
    try {
      const call = parseCall(await nextWithin(reader, CALLER_MS));
      if (call === null || this.#closing) return;
      const argv = splitGlobalHome(call.argv).rest;
      if (!handsOff(argv, (name) => Object.hasOwn(call.env, name) ? call.env[name] : undefined)) return;
      await send(conn, { accepted: true });
      const go = await nextWithin(reader, CALLER_MS);
      if ((go as { go?: unknown } | null)?.go !== true) return;
      // what the call prints, in order; after a failed write (the caller went away) nothing more
      let sent = Promise.resolve(true);
      const relay = (message: unknown) => {
        sent = sent.then((ok) => ok && send(conn, message).then(() => true, () => false));
      };
      let code: number;
      try {
        code = await this.run(call, (out) => relay({ out }), (err) => relay({ err }));
      } catch (e) {
        relay({ err: `error: ${(e as Error).message}\n` });
        code = 1;
      }
      relay({ exit: code });
      await sent;
    } catch {
      // the caller went away: what it asked for ran, or (before "go") did not
    } finally {
      try {
        conn.close();
      } catch { /* closed by a timeout */ }
    }
  }

  /** Stops taking calls, removes the socket, and waits for the calls under way. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    try {
      this.#listener.close();
    } catch { /* closed */ }
    try {
      Deno.removeSync(this.path);
    } catch { /* removed by someone cleaning workers/ */ }
    await this.#accepting;
    await Promise.all([...this.#calls]);
  }
}
