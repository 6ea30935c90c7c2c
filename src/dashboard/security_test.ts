/** The security model through the handler: token, login, same-origin checks, headers, traversal, body size. */
import assert from "node:assert/strict";
import { cookieName, CSP, isLoopback, loginPage, tokenMatches } from "./auth.ts";
import { MAX_BODY_BYTES } from "./handler.ts";
import { MAX_FAILURES } from "./limiter.ts";
import { body, ORIGIN, withHarness } from "./test_harness.ts";

const TOKEN = "s3cret-token";

Deno.test("with a token, the API answers 401 without it, and accepts it as a Bearer header or the cookie", async () => {
  await withHarness(async (h) => {
    const none = await h.fetch("/api/status");
    assert.equal(none.status, 401);
    assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="queuectl"');
    assert.match((await body(none)).error, /^Authentication required/);
    const wrong: Array<Record<string, string>> = [
      { authorization: "Bearer wrong" },
      { cookie: "queuectl_token_7700=wrong" },
      { authorization: "Basic " + btoa("x:" + TOKEN) },
    ];
    for (const headers of wrong) {
      assert.equal((await h.fetch("/api/status", { headers })).status, 401, JSON.stringify(headers));
    }
    assert.equal((await h.fetch("/metrics")).status, 401);
    assert.equal((await h.fetch("/api/events")).status, 401);
    const header = await h.fetch("/api/status", { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(header.status, 200);
    const cookie = await h.fetch("/api/status", {
      headers: { cookie: `other=1; queuectl_token_7700=${TOKEN}` },
    });
    assert.equal(cookie.status, 200);
    await cookie.body?.cancel();
    await header.body?.cancel();
  }, { token: TOKEN });
});

Deno.test("with a token, pages redirect to /login, which logs in with a form and sets an HttpOnly SameSite=Strict cookie", async () => {
  await withHarness(async (h) => {
    for (const path of ["/", "/jobs/a1", "/assets/app.js"]) {
      const res = await h.fetch(path);
      assert.equal(res.status, 303, path);
      assert.equal(res.headers.get("location"), "/login");
    }
    const form = await h.fetch("/login");
    assert.equal(form.status, 200);
    const html = await form.text();
    assert.match(html, /<form method="post" action="\/login">/);
    assert.match(html, /<label for="token">/);
    const post = (token: string, origin = ORIGIN) =>
      h.fetch("/login", {
        method: "POST",
        headers: { origin, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token }).toString(),
      });
    const wrong = await post("nope");
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /role="alert">That token is not the right one\./);
    assert.equal((await post(TOKEN, "http://evil.example")).status, 403, "login is same-origin too");
    const ok = await post(TOKEN);
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get("location"), "/");
    assert.equal(
      ok.headers.get("set-cookie"),
      `queuectl_token_7700=${TOKEN}; HttpOnly; SameSite=Strict; Path=/`,
    );
    const page = await h.fetch("/", { headers: { cookie: `queuectl_token_7700=${TOKEN}` } });
    assert.equal(page.status, 200);
    assert.equal(await page.text(), "<!doctype html><title>page</title>");
  }, { token: TOKEN });
});

Deno.test("?token=T on a GET sets the cookie and redirects to the same URL without it; a wrong one does not", async () => {
  await withHarness(async (h) => {
    const res = await h.fetch(`/jobs/a1?x=1&token=${TOKEN}&y=2`);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/jobs/a1?x=1&y=2");
    assert.match(
      res.headers.get("set-cookie")!,
      /^queuectl_token_7700=s3cret-token; HttpOnly; SameSite=Strict; Path=\/$/,
    );
    const root = await h.fetch(`/?token=${TOKEN}`);
    assert.equal(root.headers.get("location"), "/");
    const wrong = await h.fetch("/?token=nope");
    assert.equal(wrong.status, 303);
    assert.equal(wrong.headers.get("location"), "/login");
    assert.equal(wrong.headers.get("set-cookie"), null);
  }, { token: TOKEN });
});

Deno.test("without a token, /login sends to the page, and a Host that is not loopback is refused (DNS rebinding)", async () => {
  await withHarness(async (h) => {
    assert.equal((await h.fetch("/login")).headers.get("location"), "/");
    for (const host of ["http://localhost:7700", "http://127.0.0.2:7700", "http://[::1]:7700"]) {
      const res = await h.handle(new Request(`${host}/api/status`));
      assert.equal(res.status, 200, host);
      await res.body?.cancel();
    }
    const evil = await h.handle(new Request("http://attacker.example:7700/api/status"));
    assert.equal(evil.status, 403);
    assert.match((await body(evil)).error, /^Refusing a request for host attacker\.example:7700/);
  });
});

Deno.test("a token-protected dashboard answers any Host (it may be bound to a public address)", async () => {
  await withHarness(async (h) => {
    const res = await h.handle(
      new Request("http://queue.example.com/api/status", { headers: { authorization: `Bearer ${TOKEN}` } }),
    );
    assert.equal(res.status, 200);
    await res.body?.cancel();
  }, { token: TOKEN });
});

Deno.test("mutations must be same-origin: cross-site or origin-less browser requests get 403, scripts with a Bearer header pass", async () => {
  await withHarness(async (h) => {
    const job = JSON.stringify({ command: "true" });
    const refused: Array<[Record<string, string>, RegExp]> = [
      [{ origin: "http://evil.example" }, /^Refusing a cross-origin request from http:\/\/evil\.example$/],
      [{ origin: "null" }, /^Refusing a cross-origin request from null$/],
      [{ origin: "http://127.0.0.1:7701" }, /cross-origin/],
      [{ "sec-fetch-site": "cross-site" }, /^Refusing a cross-site request without an Origin header$/],
      [{ "sec-fetch-site": "same-site" }, /same-site/],
      [{ referer: "http://evil.example/page" }, /^Refusing a request whose Referer is another site$/],
      [{}, /^Refusing a change without an Origin header/],
    ];
    for (const [headers, sentence] of refused) {
      const res = await h.fetch("/api/jobs", { method: "POST", headers, body: job });
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.match((await body(res)).error, sentence);
      const del = await h.fetch("/api/jobs/x", { method: "DELETE", headers });
      assert.equal(del.status, 403, JSON.stringify(headers));
      await del.body?.cancel();
    }
    assert.equal(await h.store.head(), 0, "nothing was written");
    const allowed: Array<Record<string, string>> = [
      { origin: ORIGIN },
      { "sec-fetch-site": "same-origin" },
      { referer: `${ORIGIN}/jobs/a` },
      { authorization: "Bearer anything" },
    ];
    for (const headers of allowed) {
      const res = await h.fetch("/api/jobs", { method: "POST", headers, body: job });
      assert.equal(res.status, 201, JSON.stringify(headers));
      await res.body?.cancel();
    }
  });
});

Deno.test("with a token, a script's mutation needs the right Bearer token; the cookie alone still needs the same origin", async () => {
  await withHarness(async (h) => {
    const job = JSON.stringify({ command: "true" });
    const script = await h.fetch("/api/jobs", {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: job,
    });
    assert.equal(script.status, 201);
    const wrong = await h.fetch("/api/jobs", {
      method: "POST",
      headers: { authorization: "Bearer nope" },
      body: job,
    });
    assert.equal(wrong.status, 401);
    const cookie = { cookie: `queuectl_token_7700=${TOKEN}` };
    const crossSite = await h.fetch("/api/jobs", {
      method: "POST",
      headers: { ...cookie, origin: "http://evil.example" },
      body: job,
    });
    assert.equal(crossSite.status, 403);
    const page = await h.fetch("/api/jobs", {
      method: "POST",
      headers: { ...cookie, origin: ORIGIN },
      body: job,
    });
    assert.equal(page.status, 201);
    await Promise.all([script, wrong, crossSite, page].map((r) => r.body?.cancel()));
  }, { token: TOKEN });
});

Deno.test("every response carries the CSP, nosniff, no-referrer and no-store headers, errors and redirects included", async () => {
  await withHarness(async (h) => {
    const responses = [
      await h.fetch("/"),
      await h.fetch("/assets/app.js"),
      await h.fetch("/api/status"),
      await h.fetch("/api/jobs/nope"),
      await h.fetch("/nowhere"),
      await h.fetch("/metrics"),
      await h.fetch("/api/jobs", { method: "POST", body: "{}" }),
      await h.fetch("/login"),
    ];
    for (const res of responses) {
      assert.equal(res.headers.get("content-security-policy"), CSP, res.url);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(res.headers.get("referrer-policy"), "no-referrer");
      assert.equal(res.headers.get("cache-control"), "no-store");
      await res.body?.cancel();
    }
    assert.equal(
      CSP,
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
  });
});

Deno.test("assets are served by name from the map only: traversal and encoded slashes find nothing", async () => {
  await withHarness(async (h) => {
    const js = await h.fetch("/assets/app.js");
    assert.equal(js.status, 200);
    assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(await js.text(), "console.log(1)");
    const attempts = [
      "/assets/../../etc/passwd",
      "/assets/%2e%2e/%2e%2e/etc/passwd",
      "/assets/..%2F..%2Fetc%2Fpasswd",
      "/assets/%2E%2E%5C%2E%2E%5Cetc%5Cpasswd",
      "/assets/%252e%252e%252fetc%252fpasswd",
      "/assets//etc/passwd",
      "/assets/constructor",
      "/assets/__proto__",
      "/assets/index.html%00.js",
      "/api/jobs/..%2F..%2F..%2Fetc%2Fpasswd/logs",
      "/api/jobs/%2e%2e/logs",
    ];
    for (const path of attempts) {
      const res = await h.fetch(path);
      assert.ok(res.status === 404 || res.status === 400, `${path}: ${res.status}`);
      const text = await res.text();
      assert.ok(!text.includes("root:"), path);
    }
  });
});

Deno.test("a request body over 1 MiB is refused with 413, whether its length is declared or not", async () => {
  await withHarness(async (h) => {
    const big = JSON.stringify({ command: "x".repeat(MAX_BODY_BYTES) });
    const declared = await h.send("POST", "/api/jobs", big);
    assert.equal(declared.status, 413);
    assert.deepEqual(await body(declared), { error: "Refusing a request body over 1048576 bytes" });
    const chunks = [
      new TextEncoder().encode(big.slice(0, 600_000)),
      new TextEncoder().encode(big.slice(600_000)),
    ];
    const streamed = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const res = await h.fetch("/api/jobs", { method: "POST", headers: { origin: ORIGIN }, body: streamed });
    assert.equal(res.status, 413);
    await res.body?.cancel();
    assert.equal(await h.store.head(), 0);
  });
});

Deno.test("tokenMatches compares whole tokens; isLoopback knows 127.0.0.0/8, ::1 and localhost only", async () => {
  assert.equal(await tokenMatches(TOKEN, TOKEN), true);
  for (const given of [null, undefined, "", "s3cret", TOKEN + "x", TOKEN.toUpperCase()]) {
    assert.equal(await tokenMatches(given, TOKEN), false, String(given));
  }
  for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "LOCALHOST"]) {
    assert.ok(isLoopback(host), host);
  }
  for (const host of ["0.0.0.0", "::", "192.168.1.2", "127.0.0.256", "localhost.evil.com", "128.0.0.1", ""]) {
    assert.ok(!isLoopback(host), host);
  }
});

Deno.test("ten wrong tokens from one address and any token it sends gets 429 until the window ends; others are unaffected", async () => {
  await withHarness(async (h) => {
    const from = (address: string, path: string, init: RequestInit = {}) =>
      h.handle(new Request(ORIGIN + path, init), { address });
    const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < MAX_FAILURES; i++) {
      const kinds: RequestInit[] = [bearer("wrong"), { headers: { cookie: "queuectl_token_7700=wrong" } }];
      const res = i === 3
        ? await from("10.0.0.9", "/?token=wrong")
        : await from("10.0.0.9", "/api/status", kinds[i % 2]);
      assert.ok(res.status === 401 || res.status === 303, `failure ${i + 1}: ${res.status}`);
      await res.body?.cancel();
    }
    const refused = await from("10.0.0.9", "/api/status", bearer(TOKEN));
    assert.equal(refused.status, 429, "even the right token: a refused guess tells nothing");
    assert.equal(refused.headers.get("retry-after"), "60");
    assert.deepEqual(await body(refused), {
      error: "Too many failed logins from 10.0.0.9: try again in 60 s",
    });
    assert.equal(refused.headers.get("content-security-policy"), CSP);
    const form = await from("10.0.0.9", "/login", {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: TOKEN }).toString(),
    });
    assert.equal(form.status, 429);
    assert.match(
      await form.text(),
      /role="alert">Too many failed logins from 10\.0\.0\.9: try again in 60 s</,
    );
    const page = await from("10.0.0.9", `/?token=${TOKEN}`);
    assert.equal(page.status, 429);
    assert.match(page.headers.get("content-type")!, /^text\/html/);
    await page.body?.cancel();
    // no token at all: the usual answers, nothing to refuse
    const none = await from("10.0.0.9", "/api/status");
    assert.equal(none.status, 401);
    await none.body?.cancel();
    const other = await from("10.0.0.10", "/api/status", bearer(TOKEN));
    assert.equal(other.status, 200, "another address");
    await other.body?.cancel();
    h.clock.now = new Date(h.clock.now.getTime() + 60_000);
    const later = await from("10.0.0.9", "/api/status", bearer(TOKEN));
    assert.equal(later.status, 200, "the window is over");
    await later.body?.cancel();
  }, { token: TOKEN });
});

Deno.test("the cookie is named after the dashboard's port: another port's cookie is not this one's, and a wrong one is cleared", async () => {
  await withHarness(async (h) => {
    const other = "http://127.0.0.1:7701";
    const login = await h.handle(new Request(`${other}/?token=${TOKEN}`));
    assert.equal(login.status, 303);
    assert.equal(
      login.headers.get("set-cookie"),
      `queuectl_token_7701=${TOKEN}; HttpOnly; SameSite=Strict; Path=/`,
    );
    const withOther = await h.fetch("/api/status", { headers: { cookie: `queuectl_token_7701=${TOKEN}` } });
    assert.equal(withOther.status, 401, "7701's cookie does not open 7700");
    assert.equal(withOther.headers.get("set-cookie"), null, "and is left alone");
    await withOther.body?.cancel();
    const both = await h.fetch("/api/status", {
      headers: { cookie: `queuectl_token_7701=other-dashboards-token; queuectl_token_7700=${TOKEN}` },
    });
    assert.equal(both.status, 200, "each dashboard reads its own");
    await both.body?.cancel();
    const stale = await h.fetch("/", { headers: { cookie: "queuectl_token_7700=of-an-earlier-run" } });
    assert.equal(stale.status, 303);
    assert.equal(stale.headers.get("location"), "/login");
    assert.equal(
      stale.headers.get("set-cookie"),
      "queuectl_token_7700=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/",
    );
    const api = await h.fetch("/api/status", {
      headers: { cookie: "queuectl_token_7700=of-an-earlier-run" },
    });
    assert.equal(api.status, 401);
    assert.match(api.headers.get("set-cookie")!, /^queuectl_token_7700=; Max-Age=0;/);
    await api.body?.cancel();
    assert.equal(cookieName(new URL("https://dash.example/")), "queuectl_token_443");
    assert.equal(cookieName(new URL("http://[::1]:8080/x")), "queuectl_token_8080");
  }, { token: TOKEN });
});

Deno.test("the login page is plain HTML: no script, no style, and the refusal's text is escaped", async () => {
  const page = await loginPage('<img src=x onerror="alert(1)">', 401).text();
  assert.doesNotMatch(page, /<script|<style|\sstyle=|\son[a-z]+=\s*"/i);
  assert.match(page, /<p role="alert">&#60;img src=x onerror=&#34;alert\(1\)&#34;&#62;<\/p>/);
  assert.match(page, /<form method="post" action="\/login">/);
});
