import assert from "node:assert/strict";
import { handOff } from "./client.ts";
import { carriedEnv, handsOff, INTERRUPTED, MessageReader, parseCall, send } from "./protocol.ts";
import { HandoffServer, MAX_CALLS } from "./server.ts";
import { homePaths } from "../store/paths.ts";
import { waitFor, withHome } from "../../testkit/mod.ts";

const UID = Deno.uid()!;

/** A home with its workers/ made as a worker makes it (0700); returns the socket path of worker `w1`. */
function workersDir(home: string): string {
  Deno.mkdirSync(home, { mode: 0o700 });
  Deno.mkdirSync(`${home}/workers`, { mode: 0o700 });
  return homePaths(home).workerSocket("w1");
}

/** The caller's side in this process, with captured output. */
async function call(home: string, args: string[], env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await handOff(["--home", home, ...args], {
    stdout: { write: (t) => void (stdout += t) },
    stderr: { write: (t) => void (stderr += t) },
    env: { HOME: "/home/someone", PATH: "/bin", QUEUECTL_X: "1", ...env },
    cwd: "/some/dir",
    uid: UID,
  });
  return { code, stdout, stderr };
}

/**
 * A stand-in worker on `path` that answers each connection with `script` (given the reader and
 * the connection); it records what it read.
 */
function fakeWorker(
  path: string,
  script: (reader: MessageReader, conn: Deno.Conn) => Promise<void>,
): { read: unknown[]; close(): Promise<void> } {
  const listener = Deno.listen({ transport: "unix", path });
  const read: unknown[] = [];
  const done: Promise<void>[] = [];
  (async () => {
    for await (const conn of listener) {
      const reader = new MessageReader(conn);
      const wrapped = {
        conn,
        next: async () => {
          const m = await reader.next();
          read.push(m);
          return m;
        },
      } as unknown as MessageReader;
      done.push(
        script(wrapped, conn).catch(() => {}).finally(() => {
          try {
            conn.close();
          } catch { /* closed */ }
        }),
      );
    }
  })().catch(() => {});
  return {
    read,
    close: async () => {
      listener.close();
      await Promise.all(done);
    },
  };
}

Deno.test("handsOff() takes enqueue alone, without --file, --wait, --help, stdin or the crash seam", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  const none = env({});
  assert.equal(handsOff(["enqueue", "true"], none), true);
  assert.equal(handsOff(["enqueue", "--json", "--priority", "3", "echo hi"], none), true);
  for (
    const args of [
      ["list"],
      ["status"],
      ["enqueue", "--wait", "true"],
      ["enqueue", "--wait=true", "true"],
      ["enqueue", "--file", "-"],
      ["enqueue", "--file=-"],
      ["enqueue", "--file", "jobs.txt"],
      ["enqueue", "--file=jobs.txt"],
      ["enqueue", "--help"],
      ["enqueue", "-h"],
      [],
    ]
  ) assert.equal(handsOff(args, none), false, args.join(" "));
  assert.equal(handsOff(["enqueue", "true"], env({ QUEUECTL_NO_HANDOFF: "1" })), false);
  assert.equal(handsOff(["enqueue", "true"], env({ QUEUECTL_CRASH_AT: "append-written" })), false);
});

Deno.test("a call carries HOME and QUEUECTL_* alone, and a worker reads only a well-formed one", () => {
  assert.deepEqual(carriedEnv({ HOME: "/h", PATH: "/bin", QUEUECTL_HOME: "/q", SECRET: "s" }), {
    HOME: "/h",
    QUEUECTL_HOME: "/q",
  });
  const good = { argv: ["enqueue", "true"], cwd: "/d", env: { HOME: "/h" } };
  assert.deepEqual(parseCall(good), good);
  for (
    const bad of [
      null,
      "x",
      { ...good, argv: "enqueue" },
      { ...good, argv: [1] },
      { ...good, cwd: "relative" },
      { ...good, env: [] },
      { ...good, env: { A: 1 } },
    ]
  ) assert.equal(parseCall(bad), null, JSON.stringify(bad));
});

Deno.test("a worker that accepts runs the call: its output and exit code are the caller's", () =>
  withHome(async (home) => {
    const worker = fakeWorker(workersDir(home), async (reader, conn) => {
      await reader.next();
      await send(conn, { accepted: true });
      await reader.next();
      await send(conn, { out: "01abc\n" });
      await send(conn, { err: "a note\n" });
      await send(conn, { exit: 3 });
    });
    try {
      const r = await call(home, ["enqueue", "true"]);
      assert.deepEqual(r, { code: 3, stdout: "01abc\n", stderr: "a note\n" });
      assert.deepEqual(worker.read, [
        {
          argv: ["--home", home, "enqueue", "true"],
          cwd: "/some/dir",
          env: { HOME: "/home/someone", QUEUECTL_X: "1" },
        },
        { go: true },
      ]);
    } finally {
      await worker.close();
    }
  }, { prefix: "qctl-handoff-" }));

Deno.test("a worker that closes before accepting, or never answers, leaves the call to the caller", () =>
  withHome(async (home) => {
    const path = workersDir(home);
    let worker = fakeWorker(path, async (reader) => {
      await reader.next();
    });
    try {
      assert.deepEqual(await call(home, ["enqueue", "true"]), { code: null, stdout: "", stderr: "" });
    } finally {
      await worker.close();
    }
    Deno.removeSync(path);
    // silent: the caller gives up after ACCEPT_MS and closes; the worker then reads no "go"
    worker = fakeWorker(path, async (reader) => {
      await reader.next();
      await reader.next();
    });
    try {
      assert.deepEqual(await call(home, ["enqueue", "true"]), { code: null, stdout: "", stderr: "" });
    } finally {
      await worker.close();
    }
    assert.equal(worker.read.length, 2);
    assert.equal(worker.read[1], null);
  }, { prefix: "qctl-handoff-" }));

Deno.test("a worker lost after go: the caller says it cannot tell, exits 1, and does not run the call", () =>
  withHome(async (home) => {
    const worker = fakeWorker(workersDir(home), async (reader, conn) => {
      await reader.next();
      await send(conn, { accepted: true });
      await reader.next();
      await send(conn, { out: "01abc\n" });
    });
    try {
      const r = await call(home, ["enqueue", "true"]);
      assert.deepEqual(r, { code: 1, stdout: "01abc\n", stderr: `error: ${INTERRUPTED}\n` });
    } finally {
      await worker.close();
    }
  }, { prefix: "qctl-handoff-" }));

Deno.test("no hand-off: a socket nobody listens on, an open workers/ or home, a call that is not one", () =>
  withHome(async (home) => {
    const path = workersDir(home);
    // a socket left by a worker that died: connecting is refused
    const dead = new Deno.Command(Deno.execPath(), {
      args: ["eval", `Deno.listen({ transport: "unix", path: ${JSON.stringify(path)} }); Deno.exit(0)`],
    }).outputSync();
    assert.equal(dead.code, 0, new TextDecoder().decode(dead.stderr));
    assert.equal(Deno.lstatSync(path).isFile, false);
    assert.equal((await call(home, ["enqueue", "true"])).code, null);
    Deno.removeSync(path);
    const worker = fakeWorker(path, async (reader, conn) => {
      await reader.next();
      await send(conn, { accepted: true });
      await reader.next();
      await send(conn, { exit: 0 });
    });
    try {
      assert.equal((await call(home, ["enqueue", "true"])).code, 0);
      assert.equal((await call(home, ["enqueue", "--wait", "true"])).code, null);
      assert.equal((await call(home, ["enqueue", "true"], { QUEUECTL_NO_HANDOFF: "1" })).code, null);
      Deno.chmodSync(`${home}/workers`, 0o750);
      assert.equal((await call(home, ["enqueue", "true"])).code, null);
      Deno.chmodSync(`${home}/workers`, 0o700);
      Deno.chmodSync(home, 0o770);
      assert.equal((await call(home, ["enqueue", "true"])).code, null);
      Deno.chmodSync(home, 0o700);
      assert.equal((await call(home, ["enqueue", "true"])).code, 0);
    } finally {
      await worker.close();
    }
    // the five refused calls never reached it
    assert.equal(worker.read.length, 4);
  }, { prefix: "qctl-handoff-" }));

Deno.test("the worker's server runs each call it is told to go on, relays it in order, and closes cleanly", () =>
  withHome(async (home) => {
    const path = workersDir(home);
    const ran: string[][] = [];
    let release = () => {};
    const held = new Promise<void>((r) => release = r);
    const server = HandoffServer.listen(`${home}/workers`, path, UID, async (c, out, err) => {
      ran.push(c.argv);
      out("one\n");
      err("two\n");
      out("three\n");
      if (c.argv.includes("--hold")) await held;
      return 7;
    });
    assert.ok(server instanceof HandoffServer, String(server));
    const r = await call(home, ["enqueue", "true"]);
    assert.deepEqual(r, { code: 7, stdout: "one\nthree\n", stderr: "two\n" });
    // a command line that is not an enqueue it may take is turned away before "accepted"
    assert.equal(await rawCall(path, { argv: ["list"], cwd: "/", env: {} }), null);
    assert.deepEqual(ran, [["--home", home, "enqueue", "true"]]);
    // close() waits for a call under way, and takes no new one
    const holding = call(home, ["enqueue", "--hold", "true"]);
    await waitFor(() => ran.length === 2, "the held call to run", 10_000, 5);
    const closing = server.close();
    assert.equal((await call(home, ["enqueue", "true"])).code, null);
    release();
    assert.equal((await holding).code, 7);
    await closing;
    assert.throws(() => Deno.lstatSync(path), Deno.errors.NotFound);
  }, { prefix: "qctl-handoff-" }));

Deno.test("the server turns away calls beyond MAX_CALLS at once: their callers run them", () =>
  withHome(async (home) => {
    const path = workersDir(home);
    let release = () => {};
    const held = new Promise<void>((r) => release = r);
    let running = 0;
    const server = HandoffServer.listen(`${home}/workers`, path, UID, async () => {
      running++;
      await held;
      return 0;
    }) as HandoffServer;
    const busy = Array.from({ length: MAX_CALLS }, () => call(home, ["enqueue", "true"]));
    await waitFor(() => running === MAX_CALLS, "every call to run", 10_000, 5);
    assert.equal((await call(home, ["enqueue", "true"])).code, null);
    release();
    assert.deepEqual((await Promise.all(busy)).map((r) => r.code), Array(MAX_CALLS).fill(0));
    await server.close();
  }, { prefix: "qctl-handoff-" }));

Deno.test("a worker's server listens only in a workers/ of this user closed to others", () =>
  withHome((home) => {
    const path = workersDir(home);
    Deno.chmodSync(`${home}/workers`, 0o755);
    const refused = HandoffServer.listen(`${home}/workers`, path, UID, () => Promise.resolve(0));
    assert.equal(typeof refused, "string");
    assert.match(refused as string, /closed to group and others/);
    assert.equal(
      typeof HandoffServer.listen(`${home}/workers`, path, null, () => Promise.resolve(0)),
      "string",
    );
    // without --allow-net (a socket takes it), it says so
    const script = `${home}/listen.ts`;
    Deno.writeTextFileSync(
      script,
      `import { HandoffServer } from ${JSON.stringify(new URL("./server.ts", import.meta.url).href)};\n` +
        `console.log(HandoffServer.listen(${JSON.stringify(`${home}/workers`)}, ${
          JSON.stringify(path)
        }, Deno.uid(), () => Promise.resolve(0)));\n`,
    );
    const noNet = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--allow-read", "--allow-write", "--allow-sys=uid", script],
    }).outputSync();
    assert.equal(noNet.code, 0, new TextDecoder().decode(noNet.stderr));
    assert.equal(
      new TextDecoder().decode(noNet.stdout),
      "it runs without Deno's --allow-net, which a socket takes\n",
    );
    assert.throws(() => Deno.lstatSync(path), Deno.errors.NotFound);
  }, { prefix: "qctl-handoff-" }));

/** Sends `message` as a call and returns the first answer (null: the connection was closed). */
async function rawCall(path: string, message: unknown): Promise<unknown> {
  const conn = await Deno.connect({ transport: "unix", path });
  try {
    await send(conn, message);
    return await new MessageReader(conn).next();
  } finally {
    conn.close();
  }
}
