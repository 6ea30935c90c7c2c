/**
 * Hand-off: an `enqueue` run by a worker of its home, over that worker's socket. Most of what an
 * enqueue costs is a new process running the store's code for the first time
 * (docs/performance.md); a worker has run it already. pueue and task-spooler send every call to
 * their daemon; here a running worker is the daemon, and with none the caller runs the command
 * itself, as before.
 *
 * SOCKET  workers/<id>.sock (paths.ts), made by worker <id> once it has started, removed when it
 *   ends, or by the next pruning of dead workers. Whoever can connect has the worker run a
 *   command as its user: so the worker listens, and the caller connects, only when `workers/` is
 *   a directory of this user closed to group and others (0700, as it is created), in a home that
 *   passes home_trust.ts's test for itself (owned by this user or root, not group- or
 *   world-writable).
 *
 * EXCHANGE  one JSON object per line each way:
 *   caller → worker  {"argv": [...], "cwd": "/dir", "env": {"HOME": ..., "QUEUECTL_...": ...}}
 *   worker → caller  {"accepted": true}     it will run the call when told to go
 *   caller → worker  {"go": true}           from here on the caller waits for the end
 *   worker → caller  {"out": "text"} and {"err": "text"}, in the order written, then {"exit": code}
 *
 * WHO RUNS IT  exactly one side. The worker runs nothing before it reads "go". A caller that has
 *   not sent its call and heard "accepted" within ACCEPT_MS of its first connection (for all the
 *   sockets it tries together: a stopped worker costs it one ACCEPT_MS at most), or loses the
 *   connection before, or cannot send "go", closes the connection and runs the command itself:
 *   the worker then reads no "go" and runs nothing. Once "go" is sent, a connection lost before
 *   "exit" means the call may or may not have happened: the caller says so (INTERRUPTED) and
 *   exits 1, and never runs it itself; a worker stopped (SIGSTOP) after "go" holds its caller
 *   until it continues, as a stopped process holding the store's lock holds every writer.
 *
 * WHICH CALLS  `enqueue` of jobs given as arguments: not with --file (a batch pays the start-up
 *   once, and a worker must not spend seconds parsing one), --wait, --help or stdin (`-`); not
 *   with QUEUECTL_NO_HANDOFF=1, nor under the test seam QUEUECTL_CRASH_AT (it is meant for the
 *   process running the command). A worker turns away a call whose TZ is not its own (a time
 *   without an offset, as in --run-at, is read in the local zone). It runs the command line as the
 *   caller gave it (src/cli/run.ts), in the caller's directory, with the caller's HOME, TZ and
 *   QUEUECTL_* variables and no others, on its own clock, opening the store as the command would
 *   in its own process (so a wait for the lock is said to the caller).
 */

/** How long a caller waits for "accepted" before it runs the command itself. */
export const ACCEPT_MS = 1000;

/** The longest line either side reads (Linux takes at most 2 MiB of arguments and environment). */
export const MAX_LINE = 8 << 20;

/** What a caller says after it lost a worker that was running its call. */
export const INTERRUPTED =
  "Cannot tell whether the jobs were enqueued: the worker running this enqueue ended before it answered (see `queuectl list`)";

export interface HandoffCall {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}

/**
 * The variables a call carries: all that the command line reads (src/cli/context.ts, open.ts),
 * and TZ, which decides how a time without an offset reads.
 */
export function carriedEnv(all: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(all)) {
    if (name === "HOME" || name === "TZ" || name.startsWith("QUEUECTL_")) env[name] = value;
  }
  return env;
}

/** A call as a worker reads it, or null when the line is not one. */
export function parseCall(value: unknown): HandoffCall | null {
  if (typeof value !== "object" || value === null) return null;
  const { argv, cwd, env } = value as Record<string, unknown>;
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === "string")) return null;
  if (typeof cwd !== "string" || !cwd.startsWith("/")) return null;
  if (typeof env !== "object" || env === null || Array.isArray(env)) return null;
  if (!Object.values(env).every((v) => typeof v === "string")) return null;
  return { argv, cwd, env: env as Record<string, string> };
}

const encoder = new TextEncoder();

/** Writes one message, whole. */
export async function send(conn: Deno.Conn, message: unknown): Promise<void> {
  const bytes = encoder.encode(JSON.stringify(message) + "\n");
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/** The messages of a connection, one line each; `next()` gives null at its end. */
export class MessageReader {
  /** bytes read and not yet given, in the chunks they came in (a long line is joined once) */
  #chunks: Uint8Array[] = [];
  #length = 0;
  #decoder = new TextDecoder();
  constructor(readonly conn: Deno.Conn) {}

  /** The next message; null at the end of the stream. Throws on a line that is not JSON or too long. */
  async next(): Promise<unknown> {
    // the newline can only be in the last chunk: the earlier ones were searched when they came
    for (;;) {
      const last = this.#chunks.at(-1);
      const nl = last ? last.indexOf(10) : -1;
      if (last && nl >= 0) {
        const line = new Uint8Array(this.#length - last.length + nl);
        let off = 0;
        for (const chunk of this.#chunks.slice(0, -1)) {
          line.set(chunk, off);
          off += chunk.length;
        }
        line.set(last.subarray(0, nl), off);
        const rest = last.subarray(nl + 1);
        this.#chunks = rest.length > 0 ? [rest] : [];
        this.#length = rest.length;
        return JSON.parse(this.#decoder.decode(line));
      }
      if (this.#length > MAX_LINE) throw new Error("a message longer than the limit");
      const chunk = new Uint8Array(64 * 1024);
      const n = await this.conn.read(chunk);
      if (n === null) return null;
      this.#chunks.push(chunk.subarray(0, n));
      this.#length += n;
    }
  }
}

/**
 * Closes `conn` when `signal` aborts; returns what undoes that. Timeouts here are
 * AbortSignal.timeout: the first setTimeout of a process costs about 5 ms (Deno loads its
 * Node-compatible timers), a third of a handed-off enqueue.
 */
export function closeOnAbort(conn: Deno.Conn, signal: AbortSignal): () => void {
  const close = () => {
    try {
      conn.close();
    } catch { /* closed already */ }
  };
  if (signal.aborted) close();
  signal.addEventListener("abort", close, { once: true });
  return () => signal.removeEventListener("abort", close);
}

/** The next message, or null when none comes within `ms` (the connection is then closed) or the connection ends. */
export async function nextWithin(reader: MessageReader, ms: number): Promise<unknown> {
  const done = closeOnAbort(reader.conn, AbortSignal.timeout(ms));
  try {
    return await reader.next();
  } catch {
    return null;
  } finally {
    done();
  }
}
