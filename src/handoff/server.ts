/**
 * The worker's side of a hand-off (protocol.ts): listens on workers/<id>.sock while the worker
 * runs and runs each call it is told to go on, at most MAX_CALLS at once (a caller turned away
 * runs the command itself). `close()` stops taking calls, removes the socket, drops the
 * connections it has not accepted and waits for the calls under way. A listener that fails
 * (no descriptor left) is closed the same way, and said so: callers then run their enqueues.
 */
import { closeOnAbort, type HandoffCall, MessageReader, nextWithin, parseCall, send } from "./protocol.ts";
import { handsOff, privateDir } from "./targets.ts";
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

export interface ServeOptions {
  /** this process's user id (null: no ids on this system, nothing is served) */
  uid: number | null;
  /** this process's TZ: a call with another is turned away (protocol.ts WHICH CALLS) */
  tz: string | undefined;
  run: RunCall;
  /** says why the server stopped taking calls on its own */
  stopped: (reason: string) => void;
}

export class HandoffServer {
  #listener: Deno.Listener;
  #calls = new Set<Promise<void>>();
  /** aborted by close(): connections not accepted yet are closed */
  #closing = new AbortController();
  #accepting: Promise<void>;

  private constructor(listener: Deno.Listener, readonly path: string, readonly options: ServeOptions) {
    this.#listener = listener;
    this.#accepting = this.#accept();
  }

  /**
   * Listens on `path` in `dir` (the workers/ directory), or says why it does not: `dir` must be
   * this user's and closed to group and others (protocol.ts SOCKET), the process must have Deno's
   * network permission, and the path must be short enough for a socket's name.
   */
  static listen(dir: string, path: string, options: ServeOptions): HandoffServer | string {
    if (options.uid === null) return "this system has no user ids";
    if (Deno.permissions.querySync({ name: "net" }).state !== "granted") {
      return "it runs without Deno's --allow-net, which a socket takes";
    }
    let listener: Deno.Listener | null = null;
    try {
      const info = Deno.lstatSync(dir);
      if (!privateDir(info, options.uid)) {
        return `${dir} is not a directory of this user closed to group and others (chmod 700 it)`;
      }
      listener = Deno.listen({ transport: "unix", path });
      // 0600 as every file of a home, whatever the umask: the directory already keeps others out
      Deno.chmodSync(path, 0o600);
      return new HandoffServer(listener, path, options);
    } catch (e) {
      if (listener !== null) HandoffServer.#unlisten(listener, path);
      return `${path}: ${(e as Error).message}`;
    }
  }

  static #unlisten(listener: Deno.Listener, path: string): void {
    try {
      listener.close();
    } catch { /* closed */ }
    try {
      Deno.removeSync(path);
    } catch { /* removed by someone cleaning workers/ */ }
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        if (this.#closing.signal.aborted || this.#calls.size >= MAX_CALLS) {
          conn.close();
          continue;
        }
        const call = this.#serve(conn).finally(() => this.#calls.delete(call));
        this.#calls.add(call);
      }
    } catch (e) {
      if (this.#closing.signal.aborted) return;
      HandoffServer.#unlisten(this.#listener, this.path);
      this.options.stopped(`it could not take a connection (${(e as Error).message})`);
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const reader = new MessageReader(conn);
    const unlessClosing = closeOnAbort(conn, this.#closing.signal);
    try {
      const call = parseCall(await nextWithin(reader, CALLER_MS));
      if (call === null || this.#closing.signal.aborted) return;
      const env = (name: string) => Object.hasOwn(call.env, name) ? call.env[name] : undefined;
      if (!handsOff(splitGlobalHome(call.argv).rest, env) || env("TZ") !== this.options.tz) return;
      await send(conn, { accepted: true });
      // an accepted call is waited for by close(): its caller says "go" at once, or is gone
      unlessClosing();
      const go = await nextWithin(reader, CALLER_MS);
      if ((go as { go?: unknown } | null)?.go !== true) return;
      // what the call prints, in order; after a failed write (the caller went away) nothing more
      let sent = Promise.resolve(true);
      const relay = (message: unknown) => {
        sent = sent.then((ok) => ok && send(conn, message).then(() => true, () => false));
      };
      let code: number;
      try {
        code = await this.options.run(call, (out) => relay({ out }), (err) => relay({ err }));
      } catch (e) {
        relay({ err: `error: ${(e as Error).message}\n` });
        code = 1;
      }
      relay({ exit: code });
      await sent;
    } catch {
      // the caller went away: what it asked for ran, or (before "go") did not
    } finally {
      unlessClosing();
      try {
        conn.close();
      } catch { /* closed by a time limit or by close() */ }
    }
  }

  /** Stops taking calls, removes the socket, drops callers not accepted yet, waits for the rest. */
  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort();
    HandoffServer.#unlisten(this.#listener, this.path);
    await this.#accepting;
    await Promise.all([...this.#calls]);
  }
}
