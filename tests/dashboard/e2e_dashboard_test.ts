/**
 * `queuectl dashboard` for real: the process, its printed URL, HTTP on a free loopback port, a
 * change made by another CLI process arriving as a server-sent event, the refusals, and a clean
 * exit on SIGTERM.
 */
import assert from "node:assert/strict";
import {
  type Background,
  background,
  cli,
  CLI_FLAGS,
  cliOk,
  DENO,
  exists,
  MAIN,
  spawnCli,
  stopBackground,
  untilOutput,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";

interface Started {
  bg: Background;
  /** the URL it printed (with ?token=… unless --no-token) */
  printed: string;
  /** http://127.0.0.1:PORT/ */
  url: string;
  port: number;
  token: string | null;
  /** the token as an Authorization header (none with --no-token) */
  auth: Record<string, string>;
}

/** Starts the dashboard on a free port; returns it with the URL it printed (--json). */
async function start(
  home: string,
  extra: string[] = [],
  env: Record<string, string> = { QUEUECTL_DASHBOARD_TOKEN: "" },
): Promise<Started> {
  const bg = spawnCli(home, ["dashboard", "--port", "0", "--json", ...extra], { env });
  try {
    await untilOutput(bg, /^\{.*\}\n/m, 60_000);
  } catch (e) {
    await stopBackground(bg);
    throw e;
  }
  const info = JSON.parse(/^\{.*\}$/m.exec(bg.output())![0]);
  const token = new URL(info.url).searchParams.get("token");
  return {
    bg,
    printed: info.url,
    url: `http://127.0.0.1:${info.port}/`,
    port: info.port,
    token,
    auth: token === null ? {} : { authorization: `Bearer ${token}` },
  };
}

function withDashboard(
  fn: (d: Started & { home: string }) => Promise<void>,
  extra: string[] = [],
): Promise<void> {
  return withHome(async (home) => {
    let bg: Background | null = null;
    try {
      const d = await start(home, extra);
      bg = d.bg;
      await fn({ home, ...d });
    } finally {
      if (bg) await stopBackground(bg);
    }
  }, { prefix: "qctl-e2e-dash-" });
}

Deno.test("dashboard --port 0 prints its URL with the token it made, answers /api/status, and exits 0 on SIGTERM", async () => {
  await withDashboard(async ({ home, bg, printed, url, port, token, auth }) => {
    assert.match(token!, /^[A-Za-z0-9_-]{32}$/);
    assert.equal(printed, `http://127.0.0.1:${port}/?token=${token}`);
    assert.ok(port > 0);
    assert.doesNotMatch(bg.output(), /warning/, "a token it made needs no warning");
    await cliOk(home, ["enqueue", '{"id":"e1","command":"true"}']);
    const denied = await fetch(`${url}api/status`);
    assert.equal(denied.status, 401, "not without the token");
    await denied.body?.cancel();
    const res = await fetch(`${url}api/status`, { headers: auth });
    assert.equal(res.status, 200);
    const status = await res.json();
    assert.deepEqual(status.counts, { pending: 1, processing: 0, completed: 0, failed: 0, dead: 0 });
    assert.equal(status.head, 1);
    const job = await (await fetch(`${url}api/jobs/e1`, { headers: auth })).json();
    const shown = JSON.parse(await cliOk(home, ["show", "e1", "--json"]));
    assert.deepEqual(job, shown, "the API's job is show --json's");
    bg.signal("SIGTERM");
    assert.equal(await bg.exited(), 0);
  });
});

Deno.test("a job enqueued by the CLI arrives as a change event; SIGTERM ends open streams and exits 0", async () => {
  await withDashboard(async ({ home, bg, url, auth }) => {
    const abort = new AbortController();
    const res = await fetch(`${url}api/events`, { signal: abort.signal, headers: auth });
    assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
    let text = "";
    const decoder = new TextDecoder();
    const reading = (async () => {
      try {
        for await (const chunk of res.body!) text += decoder.decode(chunk, { stream: true });
      } catch { /* aborted */ }
    })();
    try {
      await waitFor(() => text.includes('event: change\ndata: {"head":0}\n\n'), "the initial event", 30_000);
      await cliOk(home, ["enqueue", "echo hi"]);
      await waitFor(() => text.includes('data: {"head":1}'), "the change event", 30_000, 10);
      bg.signal("SIGTERM");
      assert.equal(await bg.exited(), 0);
      await reading; // the server ended the stream
    } finally {
      abort.abort();
      await reading;
    }
  });
});

Deno.test("a mutation through the API is seen by the CLI, and the CLI's errors come back as HTTP statuses", async () => {
  await withDashboard(async ({ home, url, auth }) => {
    const origin = url.replace(/\/$/, "");
    const post = (path: string, body?: unknown, headers: Record<string, string> = { origin }) =>
      fetch(`${url}${path}`, {
        method: "POST",
        headers: { ...auth, ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const created = await post("api/jobs", { id: "web-1", command: "echo from the web" });
    assert.equal(created.status, 201);
    await created.body?.cancel();
    const listed = JSON.parse(await cliOk(home, ["list", "--json"]));
    assert.deepEqual(listed.map((j: { id: string }) => j.id), ["web-1"]);
    const again = await post("api/jobs", { id: "web-1", command: "true" });
    assert.equal(again.status, 409);
    assert.deepEqual(await again.json(), {
      error: 'Cannot enqueue job "web-1": a job with this id already exists',
    });
    const cli409 = await cli(home, ["enqueue", '{"id":"web-1","command":"true"}']);
    assert.equal(
      cli409.stderr.trim(),
      'error: Cannot enqueue job "web-1": a job with this id already exists',
    );
    const cross = await post("api/jobs", { command: "true" }, { origin: "http://evil.example" });
    assert.equal(cross.status, 403);
    await cross.body?.cancel();
    const metrics = await (await fetch(`${url}metrics`, { headers: auth })).text();
    assert.match(metrics, /^queuectl_jobs\{state="pending"\} 1$/m);
  });
});

Deno.test("a --token is required as given, the printed URL carries it and logs the browser in, and ps can see it: a warning says so", async () => {
  const given = "t/k n&x=1;%20 and more";
  await withDashboard(async ({ bg, printed, url, port, token }) => {
    assert.equal(token, given);
    assert.equal(printed, `http://127.0.0.1:${port}/?token=t%2Fk%20n%26x%3D1%3B%2520%20and%20more`);
    assert.match(
      bg.output(),
      /^warning: --token can be read by every local user \(ps shows it\): prefer \$QUEUECTL_DASHBOARD_TOKEN or --token-file$/m,
    );
    const denied = await fetch(`${url}api/status`);
    assert.equal(denied.status, 401);
    await denied.body?.cancel();
    const ok = await fetch(`${url}api/status`, { headers: { authorization: `Bearer ${given}` } });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const login = await fetch(printed, { redirect: "manual" });
    assert.equal(login.status, 303);
    assert.equal(login.headers.get("location"), "/");
    const cookie = login.headers.get("set-cookie")!.split(";")[0];
    assert.match(cookie, new RegExp(`^queuectl_token_${port}=`));
    const page = await fetch(url, { headers: { cookie } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type")!, /^text\/html/);
    await page.body?.cancel();
  }, ["--token", given]);
});

Deno.test("the token comes from --token-file or $QUEUECTL_DASHBOARD_TOKEN, a flag before the variable; a file others can read is warned about", () =>
  withHome(async (home) => {
    const file = `${home}.token`;
    const fromFile = "from-the-file-0123456789";
    const fromEnv = "from-the-environment-0123456789";
    Deno.writeTextFileSync(file, fromFile + "\n", { mode: 0o600 });
    Deno.chmodSync(file, 0o600);
    const started: Background[] = [];
    try {
      const a = await start(home, ["--token-file", file], { QUEUECTL_DASHBOARD_TOKEN: fromEnv });
      started.push(a.bg);
      assert.equal(a.token, fromFile);
      assert.doesNotMatch(a.bg.output(), /warning/);
      const b = await start(home, [], { QUEUECTL_DASHBOARD_TOKEN: fromEnv });
      started.push(b.bg);
      assert.equal(b.token, fromEnv);
      assert.doesNotMatch(b.bg.output(), /warning/);
      const ok = await fetch(`${b.url}api/status`, { headers: { authorization: `Bearer ${fromEnv}` } });
      assert.equal(ok.status, 200);
      await ok.body?.cancel();
      Deno.chmodSync(file, 0o644);
      const c = await start(home, ["--token-file", file]);
      started.push(c.bg);
      assert.equal(c.token, fromFile);
      assert.ok(
        c.bg.output().includes(`warning: --token-file ${file} can be read by other users: chmod 600 it\n`),
        c.bg.output(),
      );
    } finally {
      for (const bg of started) await stopBackground(bg);
      Deno.removeSync(file);
    }
  }, { prefix: "qctl-e2e-dash-" }));

Deno.test("--no-token serves loopback to anyone, with a warning; it is refused for any other address", () =>
  withHome(async (home) => {
    const started = await start(home, ["--no-token"]);
    try {
      assert.equal(started.printed, started.url);
      assert.equal(started.token, null);
      assert.match(
        started.bg.output(),
        /^warning: --no-token: any local user can use this dashboard, and enqueue commands your workers run as you$/m,
      );
      const res = await fetch(`${started.url}api/status`);
      assert.equal(res.status, 200);
      await res.body?.cancel();
    } finally {
      await stopBackground(started.bg);
    }
    for (const host of ["0.0.0.0", "::", "192.0.2.1"]) {
      const r = await cli(home, ["dashboard", "--host", host, "--port", "0", "--no-token"]);
      assert.equal(r.code, 2, host);
      assert.equal(
        r.stderr,
        `error: Refusing to serve on ${host} without a token: --no-token is for loopback addresses only\n`,
      );
      assert.equal(r.stdout, "");
    }
  }, { prefix: "qctl-e2e-dash-" }));

Deno.test("a bad token, token file or combination of them is refused with exit 2 and one sentence, before anything is made", () =>
  withHome(async (home) => {
    const dir = Deno.makeTempDirSync({ prefix: "qctl-e2e-dash-tok-" });
    try {
      const short = `${dir}/short`;
      Deno.writeTextFileSync(short, "s3cret\n");
      const twoLines = `${dir}/two`;
      Deno.writeTextFileSync(twoLines, "0123456789abcdef\nmore\n");
      const ascii = "the token may hold printable ASCII characters only (no control characters, no accents)";
      const cases: Array<[string[], Record<string, string>, string]> = [
        [["--token", "s3cret"], {}, "Invalid --token: the token has 6 characters; use at least 16"],
        [["--token", ""], {}, "Invalid --token: the token has 0 characters; use at least 16"],
        [["--token", "0123456789abcdéf"], {}, `Invalid --token: ${ascii}`],
        [
          [],
          { QUEUECTL_DASHBOARD_TOKEN: "short" },
          "Invalid $QUEUECTL_DASHBOARD_TOKEN: the token has 5 characters; use at least 16",
        ],
        [
          ["--token-file", short],
          {},
          `Invalid --token-file ${short}: the token has 6 characters; use at least 16`,
        ],
        [["--token-file", twoLines], {}, `Invalid --token-file ${twoLines}: ${ascii}`],
        [
          ["--token-file", `${dir}/missing`],
          {},
          `Invalid --token-file ${dir}/missing: it cannot be read (No such file or directory (os error 2))`,
        ],
        [["--token-file", ""], {}, "Invalid --token-file: it must not be empty"],
        [
          ["--token", "0123456789abcdef", "--token-file", short],
          {},
          "Invalid --token-file: give only one of --token, --token-file and --no-token",
        ],
        [
          ["--no-token", "--token", "0123456789abcdef"],
          {},
          "Invalid --no-token: give only one of --token, --token-file and --no-token",
        ],
      ];
      for (const [args, env, sentence] of cases) {
        const r = await cli(home, ["dashboard", "--port", "0", ...args], {
          env: { QUEUECTL_DASHBOARD_TOKEN: "", ...env },
        });
        assert.equal(r.code, 2, args.join(" "));
        assert.equal(r.stderr, `error: ${sentence}\n`, args.join(" "));
        assert.equal(r.stdout, "");
      }
      assert.ok(!exists(home), "no home was created");
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  }, { prefix: "qctl-e2e-dash-" }));

Deno.test("a malformed --host is refused before anything is bound: exit 2, one sentence naming it, no home", () =>
  withHome(async (home) => {
    const name = "expected an IP address or a host name (letters, digits, inner hyphens and dots)";
    const cases: Array<[string, string]> = [
      ["not a host", `Invalid --host "not a host": ${name}`],
      ["-bad", `Invalid --host "-bad": ${name}`],
      ["a..b", `Invalid --host "a..b": ${name}`],
      [
        "999.1.1.1",
        'Invalid --host "999.1.1.1": it is not an IPv4 address (four numbers from 0 to 255, such as 127.0.0.1)',
      ],
      ["::g", 'Invalid --host "::g": it is not an IPv6 address'],
      ["", 'Invalid --host "": it is empty'],
    ];
    for (const [host, sentence] of cases) {
      // --host=VALUE: a value starting with "-" is read as a flag after a separate --host
      const r = await cli(home, [
        "dashboard",
        ...(host === "" ? ["--host", ""] : [`--host=${host}`]),
        "--port",
        "0",
      ]);
      assert.equal(r.code, 2, `${host}: ${r.stderr}`);
      assert.equal(r.stderr, `error: ${sentence}\n`);
      assert.equal(r.stdout, "");
    }
    assert.ok(!exists(home), "no home was created");
  }));

Deno.test("a well-formed --host that cannot be bound or resolved is an operational error: exit 1, one sentence", () =>
  withHome(async (home) => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737), on no interface; .invalid never resolves (RFC 6761)
    for (const host of ["192.0.2.1", "nosuch.invalid"]) {
      const r = await cli(home, ["dashboard", "--host", host, "--port", "0"]);
      assert.equal(r.code, 1, `${host}: ${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(`^error: Cannot serve on ${host.replaceAll(".", "\\.")}:0: [^\\n]+\\n$`),
      );
      assert.doesNotMatch(r.stderr, /internal error/);
    }
  }));

Deno.test("a port in use is refused with exit 1 and one sentence", async () => {
  await withDashboard(async ({ home, port }) => {
    const r = await cli(home, ["dashboard", "--port", String(port)]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `error: Cannot serve on 127.0.0.1:${port}: the port is in use by another program; pick another with --port\n`,
    );
  });
});

Deno.test("two dashboards and a worker share one home: a job sent to one runs, and the other shows it completed", () =>
  withHome(async (home) => {
    const started: Background[] = [];
    try {
      const a = await start(home);
      started.push(a.bg);
      const b = await start(home);
      started.push(b.bg);
      const worker = spawnCli(home, ["worker", "start"]);
      started.push(worker);
      const created = await fetch(`${a.url}api/jobs`, {
        method: "POST",
        headers: { origin: a.url.replace(/\/$/, ""), ...a.auth },
        body: JSON.stringify({ id: "shared", command: "echo shared" }),
      });
      assert.equal(created.status, 201);
      await created.body?.cancel();
      await waitFor(
        async () => {
          const job = await (await fetch(`${b.url}api/jobs/shared`, { headers: b.auth })).json();
          return job.state === "completed";
        },
        "the job to complete, seen by the other dashboard",
        60_000,
        200,
      );
      const logs = await (await fetch(`${b.url}api/jobs/shared/logs`, { headers: b.auth })).json();
      assert.match(logs.output, /^=== attempt 1 of 4 · .* ===\nshared\n/);
      const status = await (await fetch(`${a.url}api/status`, { headers: a.auth })).json();
      assert.equal(status.workers.length, 1);
    } finally {
      for (const bg of started) await stopBackground(bg);
    }
  }, { prefix: "qctl-e2e-dash-" }));

Deno.test("out of file descriptors the dashboard says so, closes idle connections and keeps serving: a flood cannot end it", () =>
  withHome(async (home) => {
    // a limit the flood below exhausts: Deno itself holds about 25 descriptors
    const limit = 64;
    const child = new Deno.Command("/bin/sh", {
      args: [
        "-c",
        `ulimit -n ${limit} && exec "$@"`,
        "sh",
        DENO,
        "run",
        ...CLI_FLAGS,
        "--allow-net",
        MAIN,
        "dashboard",
        "--port",
        "0",
        "--json",
      ],
      env: { QUEUECTL_HOME: home, NO_COLOR: "1", QUEUECTL_DASHBOARD_TOKEN: "" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const bg = background(child);
    const flood: Deno.Conn[] = [];
    try {
      await untilOutput(bg, /^\{.*\}\n/m, 60_000);
      const info = JSON.parse(/^\{.*\}$/m.exec(bg.output())![0]);
      const auth = { authorization: `Bearer ${new URL(info.url).searchParams.get("token")}` };
      const status = async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${info.port}/api/status`, { headers: auth });
          await res.body?.cancel();
          return res.status;
        } catch {
          return 0; // refused or cut: not an answer
        }
      };
      assert.equal(await status(), 200);
      for (let i = 0; i < 3 * limit; i++) {
        flood.push(await Deno.connect({ hostname: "127.0.0.1", port: info.port }));
      }
      await untilOutput(
        bg,
        /^warning: Cannot accept a connection: Too many open files \(os error 24\); closing the oldest unfinished one, and serving at most \d+ at once$/m,
      );
      // while the flood still holds its connections, a real request gets through
      await waitFor(async () => await status() === 200, "an answer during the flood", 60_000, 100);
      for (const c of flood.splice(0)) c.close();
      assert.equal(await status(), 200);
      bg.signal("SIGTERM");
      assert.equal(await bg.exited(), 0);
    } finally {
      for (const c of flood) c.close();
      await stopBackground(bg);
    }
  }, { prefix: "qctl-e2e-dash-" }));
