import assert from "node:assert/strict";
import { handOff } from "./client.ts";
import { carriedEnv, INTERRUPTED, MessageReader, parseCall, send } from "./protocol.ts";
import { handsOff } from "./targets.ts";
import { HandoffServer, MAX_CALLS, type RunCall, type ServeOptions } from "./server.ts";
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

/** The first part of a worker's answer: reads the call, accepts, reads "go". */
async function acceptAndGo(reader: MessageReader, conn: Deno.Conn): Promise<void> {
  await reader.next();
  await send(conn, { accepted: true });
  await reader.next();
}

/**
 * Runs `body` while a stand-in worker on `path` answers each connection with `script` (given the
 * reader and the connection); returns what the worker read.
 */
async function withFakeWorker(
  path: string,
  script: (reader: MessageReader, conn: Deno.Conn) => Promise<void>,
  body: () => Promise<void>,
): Promise<unknown[]> {
  const listener = Deno.listen({ transport: "unix", path });
  const read: unknown[] = [];
  const done: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      const reader = new MessageReader(conn);
      const recording = {
        conn,
        next: async () => {
          const m = await reader.next();
          read.push(m);
          return m;
        },
      } as unknown as MessageReader;
      done.push(script(recording, conn).catch(() => {}).finally(() => close(conn)));
    }
  })().catch(() => {});
  try {
    await body();
  } finally {
    listener.close();
    await accepting;
    await Promise.all(done);
  }
  return read;
}

function close(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* closed */ }
}

/** A worker's server on `home`'s socket running `run`. */
function serve(home: string, run: RunCall, options: Partial<ServeOptions> = {}): HandoffServer {
  const server = HandoffServer.listen(`${home}/workers`, workersDir(home), {
    uid: UID,
    tz: undefined,
    run,
    stopped: (reason) => assert.fail(`the server stopped: ${reason}`),
    ...options,
  });
  assert.ok(server instanceof HandoffServer, String(server));
  return server;
}

/** Sends `message` as a call and returns the first answer (null: the connection was closed). */
async function rawCall(path: string, message: unknown): Promise<unknown> {
  const conn = await Deno.connect({ transport: "unix", path });
  try {
    await send(conn, message);
    return await new MessageReader(conn).next();
  } finally {
    close(conn);
  }
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
      ["enqueue", "--helpAll"],
      ["enqueue", "-h"],
      ["enqueue", "-H"],
      [],
    ]
  ) assert.equal(handsOff(args, none), false, args.join(" "));
  assert.equal(handsOff(["enqueue", "true"], env({ QUEUECTL_NO_HANDOFF: "1" })), false);
  assert.equal(handsOff(["enqueue", "true"], env({ QUEUECTL_CRASH_AT: "append-written" })), false);
});

Deno.test("a call carries HOME, TZ and QUEUECTL_* alone, and a worker reads only a well-formed one", () => {
  assert.deepEqual(carriedEnv({ HOME: "/h", PATH: "/bin", TZ: "UTC", QUEUECTL_HOME: "/q", SECRET: "s" }), {
    HOME: "/h",
    TZ: "UTC",
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

Deno.test("a message reader gives each line once, across chunks and with several lines in one", async () => {
  const listener = Deno.listen({ transport: "unix", path: `${Deno.makeTempDirSync()}/s.sock` });
  const caller = Deno.connect({ transport: "unix", path: (listener.addr as Deno.UnixAddr).path });
  const conn = await listener.accept();
  const writer = await caller;
  const big = "x".repeat(200_000);
  const lines = [{ a: 1 }, { big }, { b: 2 }, { c: 3 }];
  const bytes = new TextEncoder().encode(lines.map((l) => JSON.stringify(l) + "\n").join(""));
  const writing = (async () => {
    for (let off = 0; off < bytes.length;) off += await writer.write(bytes.subarray(off, off + 7_001));
    writer.close();
  })();
  const reader = new MessageReader(conn);
  const got: unknown[] = [];
  for (let m = await reader.next(); m !== null; m = await reader.next()) got.push(m);
  await writing;
  assert.deepEqual(got, lines);
  conn.close();
  listener.close();
});

Deno.test("a worker that accepts runs the call: its output and exit code are the caller's", () =>
  withHome(async (home) => {
    const read = await withFakeWorker(workersDir(home), async (reader, conn) => {
      await acceptAndGo(reader, conn);
      await send(conn, { out: "01abc\n" });
      await send(conn, { err: "a note\n" });
      await send(conn, { exit: 3 });
    }, async () => {
      assert.deepEqual(await call(home, ["enqueue", "true"], { TZ: "Europe/Paris" }), {
        code: 3,
        stdout: "01abc\n",
        stderr: "a note\n",
      });
    });
    assert.deepEqual(read, [
      {
        argv: ["--home", home, "enqueue", "true"],
        cwd: "/some/dir",
        env: { HOME: "/home/someone", QUEUECTL_X: "1", TZ: "Europe/Paris" },
      },
      { go: true },
    ]);
  }, { prefix: "qctl-handoff-" }));

Deno.test("a worker that closes before accepting, or never answers, leaves the call to the caller", () =>
  withHome(async (home) => {
    const path = workersDir(home);
    const nothing = { code: null, stdout: "", stderr: "" };
    await withFakeWorker(path, async (reader) => void await reader.next(), async () => {
      assert.deepEqual(await call(home, ["enqueue", "true"]), nothing);
    });
    // silent: the caller gives up after ACCEPT_MS and closes; the worker then reads no "go"
    const read = await withFakeWorker(path, async (reader) => {
      await reader.next();
      await reader.next();
    }, async () => {
      assert.deepEqual(await call(home, ["enqueue", "true"]), nothing);
    });
    assert.equal(read.length, 2);
    assert.equal(read[1], null);
  }, { prefix: "qctl-handoff-" }));

Deno.test("a call larger than a socket's buffer, to a worker that reads nothing, is the caller's after ACCEPT_MS", () =>
  withHome(async (home) => {
    // listening, never accepting: the kernel takes the connection and as much as its buffer holds
    const listener = Deno.listen({ transport: "unix", path: workersDir(home) });
    try {
      const words = Array.from({ length: 40_000 }, (_, i) => `argument-${i}`);
      const r = await call(home, ["enqueue", "--argv", "--", "echo", ...words]);
      assert.deepEqual(r, { code: null, stdout: "", stderr: "" });
    } finally {
      listener.close();
    }
  }, { prefix: "qctl-handoff-" }));

Deno.test("a worker lost after go: the caller says it cannot tell, exits 1, and does not run the call", () =>
  withHome(async (home) => {
    await withFakeWorker(workersDir(home), async (reader, conn) => {
      await acceptAndGo(reader, conn);
      await send(conn, { out: "01abc\n" });
    }, async () => {
      const r = await call(home, ["enqueue", "true"]);
      assert.deepEqual(r, { code: 1, stdout: "01abc\n", stderr: `error: ${INTERRUPTED}\n` });
    });
  }, { prefix: "qctl-handoff-" }));

Deno.test("a caller whose stdout is closed stays quiet and exits with the worker's code, as in its own process", () =>
  withHome(async (home) => {
    await withFakeWorker(workersDir(home), async (reader, conn) => {
      await acceptAndGo(reader, conn);
      await send(conn, { out: "01abc\n" });
      await send(conn, { exit: 0 });
    }, async () => {
      let stderr = "";
      const code = await handOff(["--home", home, "enqueue", "true"], {
        stdout: {
          write: () => {
            throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
          },
        },
        stderr: { write: (t) => void (stderr += t) },
        env: {},
        cwd: "/",
        uid: UID,
      });
      // a reader gone (`| true`) has all it wanted: the call ran, once (stream_gone.ts)
      assert.deepEqual([code, stderr], [0, ""]);
    });
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
    const read = await withFakeWorker(path, async (reader, conn) => {
      await acceptAndGo(reader, conn);
      await send(conn, { exit: 0 });
    }, async () => {
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
    });
    // the four refused calls never reached it: two calls, each a call and a "go"
    assert.equal(read.length, 4);
  }, { prefix: "qctl-handoff-" }));

Deno.test("the worker's server runs each call it is told to go on, relays it in order, and closes cleanly", () =>
  withHome(async (home) => {
    const ran: string[][] = [];
    let release = () => {};
    const held = new Promise<void>((r) => release = r);
    const server = serve(home, async (c, out, err) => {
      ran.push(c.argv);
      out("one\n");
      err("two\n");
      out("three\n");
      if (c.argv.includes("--hold")) await held;
      return 7;
    }, { tz: "Asia/Tokyo" });
    const path = server.path;
    const r = await call(home, ["enqueue", "true"], { TZ: "Asia/Tokyo" });
    assert.deepEqual(r, { code: 7, stdout: "one\nthree\n", stderr: "two\n" });
    // turned away before "accepted": a command line it may not take, a call from another time zone
    assert.equal(await rawCall(path, { argv: ["list"], cwd: "/", env: { TZ: "Asia/Tokyo" } }), null);
    assert.equal((await call(home, ["enqueue", "true"], { TZ: "UTC" })).code, null);
    assert.equal((await call(home, ["enqueue", "true"])).code, null);
    // a caller that hangs up after "accepted" has nothing run
    const conn = await Deno.connect({ transport: "unix", path });
    await send(conn, { argv: ["enqueue", "true"], cwd: "/", env: { TZ: "Asia/Tokyo" } });
    assert.deepEqual(await new MessageReader(conn).next(), { accepted: true });
    conn.close();
    assert.deepEqual(ran, [["--home", home, "enqueue", "true"]]);
    // close() waits for a call under way, drops a caller it has not accepted, and takes no new one
    const holding = call(home, ["enqueue", "--hold", "true"], { TZ: "Asia/Tokyo" });
    await waitFor(() => ran.length === 2, "the held call to run", 10_000, 5);
    const silent = await Deno.connect({ transport: "unix", path });
    const closing = server.close();
    assert.equal(await new MessageReader(silent).next(), null);
    silent.close();
    assert.equal((await call(home, ["enqueue", "true"], { TZ: "Asia/Tokyo" })).code, null);
    release();
    assert.equal((await holding).code, 7);
    await closing;
    assert.equal(ran.length, 2);
    assert.throws(() => Deno.lstatSync(path), Deno.errors.NotFound);
  }, { prefix: "qctl-handoff-" }));

Deno.test("the server turns away calls beyond MAX_CALLS at once: their callers run them", () =>
  withHome(async (home) => {
    let release = () => {};
    const held = new Promise<void>((r) => release = r);
    let running = 0;
    const server = serve(home, async () => {
      running++;
      await held;
      return 0;
    });
    const busy = Array.from({ length: MAX_CALLS }, () => call(home, ["enqueue", "true"]));
    await waitFor(() => running === MAX_CALLS, "every call to run", 10_000, 5);
    assert.equal((await call(home, ["enqueue", "true"])).code, null);
    release();
    assert.deepEqual((await Promise.all(busy)).map((r) => r.code), Array(MAX_CALLS).fill(0));
    await server.close();
  }, { prefix: "qctl-handoff-" }));

Deno.test("a worker's server listens only in a workers/ of this user closed to others, with --allow-net", () =>
  withHome((home) => {
    const path = workersDir(home);
    const options = { tz: undefined, run: () => Promise.resolve(0), stopped: () => {} };
    Deno.chmodSync(`${home}/workers`, 0o755);
    const refused = HandoffServer.listen(`${home}/workers`, path, { ...options, uid: UID });
    assert.match(String(refused), /closed to group and others/);
    assert.equal(typeof HandoffServer.listen(`${home}/workers`, path, { ...options, uid: null }), "string");
    assert.throws(() => Deno.lstatSync(path), Deno.errors.NotFound);
    // without --allow-net (a socket takes it), it says so
    const script = `${home}/listen.ts`;
    Deno.writeTextFileSync(
      script,
      `import { HandoffServer } from ${JSON.stringify(new URL("./server.ts", import.meta.url).href)};\n` +
        `console.log(HandoffServer.listen(${JSON.stringify(`${home}/workers`)}, ${JSON.stringify(path)}, ` +
        `{ uid: Deno.uid(), tz: undefined, run: () => Promise.resolve(0), stopped: () => {} }));\n`,
    );
    const noNet = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--allow-read", "--allow-write", "--allow-sys=uid", script],
    }).outputSync();
    assert.equal(noNet.code, 0, new TextDecoder().decode(noNet.stderr));
    assert.equal(
      new TextDecoder().decode(noNet.stdout),
      "it runs without Deno's --allow-net, which a socket takes\n",
    );
  }, { prefix: "qctl-handoff-" }));
