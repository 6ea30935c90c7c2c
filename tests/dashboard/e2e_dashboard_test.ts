/**
 * `queuectl dashboard` for real: the process, its printed URL, HTTP on a free loopback port, a
 * change made by another CLI process arriving as a server-sent event, the refusals, and a clean
 * exit on SIGTERM.
 */
import assert from "node:assert/strict";
import {
  type Background,
  cli,
  cliOk,
  exists,
  spawnCli,
  stopBackground,
  untilOutput,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";

/** Starts the dashboard on a free port; returns it with the URL it printed (--json). */
async function start(
  home: string,
  extra: string[] = [],
): Promise<{ bg: Background; url: string; port: number }> {
  const bg = spawnCli(home, ["dashboard", "--port", "0", "--json", ...extra], {
    env: { QUEUECTL_DASHBOARD_TOKEN: "" },
  });
  try {
    await untilOutput(bg, /^\{.*\}\n/m, 60_000);
  } catch (e) {
    await stopBackground(bg);
    throw e;
  }
  const info = JSON.parse(/^\{.*\}$/m.exec(bg.output())![0]);
  return { bg, url: info.url, port: info.port };
}

function withDashboard(
  fn: (d: { home: string; bg: Background; url: string; port: number }) => Promise<void>,
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

Deno.test("dashboard --port 0 prints its URL, answers /api/status, and exits 0 on SIGTERM", async () => {
  await withDashboard(async ({ home, bg, url, port }) => {
    assert.equal(url, `http://127.0.0.1:${port}/`);
    assert.ok(port > 0);
    await cliOk(home, ["enqueue", '{"id":"e1","command":"true"}']);
    const res = await fetch(`${url}api/status`);
    assert.equal(res.status, 200);
    const status = await res.json();
    assert.deepEqual(status.counts, { pending: 1, processing: 0, completed: 0, failed: 0, dead: 0 });
    assert.equal(status.head, 1);
    const job = await (await fetch(`${url}api/jobs/e1`)).json();
    const shown = JSON.parse(await cliOk(home, ["show", "e1", "--json"]));
    assert.deepEqual(job, shown, "the API's job is show --json's");
    bg.signal("SIGTERM");
    assert.equal(await bg.exited(), 0);
  });
});

Deno.test("a job enqueued by the CLI arrives as a change event; SIGTERM ends open streams and exits 0", async () => {
  await withDashboard(async ({ home, bg, url }) => {
    const abort = new AbortController();
    const res = await fetch(`${url}api/events`, { signal: abort.signal });
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
  await withDashboard(async ({ home, url }) => {
    const origin = url.replace(/\/$/, "");
    const post = (path: string, body?: unknown, headers: Record<string, string> = { origin }) =>
      fetch(`${url}${path}`, {
        method: "POST",
        headers,
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
    const metrics = await (await fetch(`${url}metrics`)).text();
    assert.match(metrics, /^queuectl_jobs\{state="pending"\} 1$/m);
  });
});

Deno.test("with a token, requests need it; the printed URL carries it and logs the browser in", async () => {
  await withDashboard(async ({ url, port }) => {
    assert.equal(url, `http://127.0.0.1:${port}/?token=t%2Fk%20n`);
    const base = `http://127.0.0.1:${port}/`;
    const denied = await fetch(`${base}api/status`);
    assert.equal(denied.status, 401);
    await denied.body?.cancel();
    const ok = await fetch(`${base}api/status`, { headers: { authorization: "Bearer t/k n" } });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const login = await fetch(url, { redirect: "manual" });
    assert.equal(login.status, 303);
    assert.equal(login.headers.get("location"), "/");
    const cookie = login.headers.get("set-cookie")!.split(";")[0];
    const page = await fetch(base, { headers: { cookie } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type")!, /^text\/html/);
    await page.body?.cancel();
  }, ["--token", "t/k n"]);
});

Deno.test("a non-loopback address without a token is refused with exit 2, before any file is made", () =>
  withHome(async (home) => {
    for (const host of ["0.0.0.0", "::", "192.0.2.1"]) {
      const r = await cli(home, ["dashboard", "--host", host, "--port", "0"], {
        env: { QUEUECTL_DASHBOARD_TOKEN: "" },
      });
      assert.equal(r.code, 2, host);
      assert.equal(
        r.stderr,
        `error: Refusing to serve on ${host} without a token: pass --token or set QUEUECTL_DASHBOARD_TOKEN\n`,
      );
      assert.equal(r.stdout, "");
    }
    assert.ok(!exists(home), "no home was created");
  }, { prefix: "qctl-e2e-dash-" }));

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
        headers: { origin: a.url.replace(/\/$/, "") },
        body: JSON.stringify({ id: "shared", command: "echo shared" }),
      });
      assert.equal(created.status, 201);
      await created.body?.cancel();
      await waitFor(
        async () => {
          const job = await (await fetch(`${b.url}api/jobs/shared`)).json();
          return job.state === "completed";
        },
        "the job to complete, seen by the other dashboard",
        60_000,
        200,
      );
      const logs = await (await fetch(`${b.url}api/jobs/shared/logs`)).json();
      assert.match(logs.output, /^=== attempt 1 of 4 · .* ===\nshared\n/);
      const status = await (await fetch(`${a.url}api/status`)).json();
      assert.equal(status.workers.length, 1);
    } finally {
      for (const bg of started) await stopBackground(bg);
    }
  }, { prefix: "qctl-e2e-dash-" }));
