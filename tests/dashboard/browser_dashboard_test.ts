/**
 * The dashboard page in a real headless Chromium against the real `queuectl dashboard` on a temp
 * home: counts, live updates from the CLI, the actions (with their confirmations), the XSS case,
 * the job page, token mode, the polling fallback, a phone's width, dark mode, and no console error
 * or CSP violation anywhere. Without Chromium these tests fail (CI installs it); they never skip.
 */
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import {
  cli,
  cliJson,
  cliOk,
  dirOfHome,
  jobState,
  spawnCli,
  untilState,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";
import {
  type Dashboard,
  enqueueLines,
  launchChromium,
  OPTS,
  startDashboard,
  textOf,
  untilLoaded,
  untilPage,
  watchPage,
  withDashboard,
} from "../../testkit/browser.ts";
import { MAX_PNG_BYTES, screenshot } from "../../scripts/screenshot.ts";

const count = (page: Page, state: string) => textOf(page, `count-${state}`);
const row = (id: string) => `#jobs-body tr[data-id=${JSON.stringify(id)}]`;

/** Marks the document, to prove later that it was never reloaded. */
async function markDocument(page: Page): Promise<void> {
  await page.evaluate("window.__sameDocument = true");
}
async function assertSameDocument(page: Page): Promise<void> {
  assert.equal(await page.evaluate("window.__sameDocument === true"), true, "the page was reloaded");
}

Deno.test({
  ...OPTS,
  name:
    "the page shows counts, config and the job table, and then a job enqueued from the CLI without a reload",
  fn: () =>
    withDashboard({
      fill: (home) =>
        enqueueLines(home, [{ id: "first", command: "echo 1" }, { id: "second", command: "echo 2" }]),
    }, async ({ home, dash, page }) => {
      await page.goto(`${dash.url}/`);
      await untilLoaded(page);
      assert.equal(await count(page, "pending"), "2");
      for (const state of ["processing", "completed", "failed", "dead"]) {
        assert.equal(await count(page, state), "0");
      }
      assert.equal(await page.locator(`${row("first")} a`).textContent(), "first");
      assert.equal(await page.locator(`${row("first")} td.cmd`).textContent(), "echo 1");
      assert.match(await textOf(page, "config"), /backoff_base\s*1/);
      assert.match(await textOf(page, "workers-body"), /No worker is running/);
      assert.equal(await page.title(), "queuectl dashboard");

      await markDocument(page);
      await cliOk(home, ["enqueue", "--id", "third", "echo 3"]);
      // how soon is the bench's business: here, that it comes at all, by itself
      await untilPage(
        page,
        `document.getElementById("count-pending").textContent === "3" &&
         document.querySelector('#jobs-body tr[data-id="third"]') !== null`,
        "the CLI's job on the page",
        30_000,
      );
      // newest first: the new job heads the table
      assert.equal(await page.locator("#jobs-body tr").first().getAttribute("data-id"), "third");
      await assertSameDocument(page);
    }),
});

Deno.test({
  ...OPTS,
  name: "a dead job is retried with its button, retry all and delete ask first and do nothing when cancelled",
  fn: () =>
    withDashboard({
      fill: async (home) => {
        await enqueueLines(home, [
          { id: "doomed", command: "exit 3", max_retries: 0 },
          { id: "dead-2", command: "exit 4", max_retries: 0 },
          { id: "dead-3", command: "exit 5", max_retries: 0 },
          { id: "dead-4", command: "exit 6", max_retries: 0 },
        ]);
        await cliOk(home, ["worker", "start", "--drain"]);
      },
    }, async ({ home, dash, page, watch }) => {
      const posts: string[] = [];
      page.on("request", (r) => {
        if (r.method() !== "GET") posts.push(`${r.method()} ${new URL(r.url()).pathname}`);
      });
      await page.goto(`${dash.url}/`);
      await untilLoaded(page);
      assert.equal(await count(page, "dead"), "4");
      // the charts: four failures in the last hour, four durations
      await untilPage(
        page,
        `document.getElementById("tp-failed").textContent === "4"`,
        "the throughput legend",
      );
      assert.equal(await textOf(page, "tp-completed"), "0");
      assert.ok(await page.locator("#tp-chart rect.bar-failed").count() >= 1);
      assert.equal(await page.locator("#tp-chart rect.bar-completed").count(), 0);
      assert.equal(await textOf(page, "dur-count"), "4");
      assert.ok(await page.locator("#dur-chart rect.bar-duration").count() >= 1);

      // one dead job: its row's Retry button
      await page.click(`${row("doomed")} button[data-retry]`);
      await untilState(home, "doomed", "pending");
      await untilPage(
        page,
        `document.querySelector('#jobs-body tr[data-id="doomed"] .badge').textContent === "pending"`,
        "doomed pending",
      );
      await untilPage(page, `document.getElementById("count-dead").textContent === "3"`, "3 dead");

      // another: the Retry button of its job page
      await page.click(`${row("dead-4")} a`);
      await untilPage(
        page,
        `document.getElementById("job-state").textContent === "dead"`,
        "the job page of dead-4",
      );
      await page.click("#job-retry");
      await untilState(home, "dead-4", "pending");
      await untilPage(
        page,
        `document.getElementById("job-state").textContent === "pending"`,
        "dead-4 pending",
      );
      assert.equal(await page.locator("#job-retry").isHidden(), true);
      await page.goBack();
      await untilPage(page, `document.getElementById("count-dead").textContent === "2"`, "2 dead");

      // retry all, cancelled: nothing is sent
      watch.confirmAnswer = false;
      await page.click("#retry-all");
      await page.evaluate(`fetch("/api/status").then((r) => r.json())`); // a round trip after the click
      assert.deepEqual(posts, ["POST /api/jobs/doomed/retry", "POST /api/jobs/dead-4/retry"]);
      assert.equal(await jobState(home, "dead-2"), "dead");
      assert.match(watch.dialogs.at(-1)!, /^confirm: Retry all 2 dead job/);

      // retry all, confirmed
      watch.confirmAnswer = true;
      await page.click("#retry-all");
      await untilState(home, "dead-2", "pending");
      await untilState(home, "dead-3", "pending");
      await untilPage(page, `document.getElementById("count-dead").textContent === "0"`, "no dead job left");
      assert.equal(await page.locator("#retry-all").isDisabled(), true);

      // delete from the job page: cancelled, then confirmed
      await page.click(`${row("dead-2")} a`);
      await untilPage(
        page,
        `document.getElementById("job-fields").textContent.includes("exit 4")`,
        "the job page of dead-2",
      );
      watch.confirmAnswer = false;
      await page.click("#job-delete");
      await page.evaluate(`fetch("/api/status").then((r) => r.json())`);
      assert.equal(await jobState(home, "dead-2"), "pending");
      watch.confirmAnswer = true;
      await page.click("#job-delete");
      await waitFor(async () => (await cli(home, ["show", "dead-2"])).code === 1, "dead-2 to be deleted");
      await untilPage(
        page,
        `location.pathname === "/" && !document.getElementById("home-view").hidden`,
        "back home",
      );
      await untilPage(
        page,
        `document.querySelector('#jobs-body tr[data-id="dead-2"]') === null`,
        "the row gone",
      );
      assert.deepEqual(posts, [
        "POST /api/jobs/doomed/retry",
        "POST /api/jobs/dead-4/retry",
        "POST /api/dlq/retry",
        "DELETE /api/jobs/dead-2",
      ]);
      assert.equal(
        watch.dialogs.filter((d) => d.startsWith("confirm: ")).length,
        4,
        "only the destructive actions ask",
      );
    }),
});

Deno.test({
  ...OPTS,
  name: "commands and output that look like HTML render as text: no element is made, no dialog fires",
  fn: () =>
    withDashboard({
      fill: async (home) => {
        await enqueueLines(home, [
          { id: "xss-script", command: "<script>alert(1)</script>", max_retries: 0 },
          {
            id: "xss-img",
            command: "echo '<img src=x onerror=alert(2)>'; echo '</pre><b>bold</b>'",
            max_retries: 0,
          },
        ]);
        await cliOk(home, ["worker", "start", "--drain"]);
      },
    }, async ({ dash, page, watch }) => {
      await page.goto(`${dash.url}/`);
      await untilLoaded(page);
      assert.equal(
        await page.locator(`${row("xss-script")} td.cmd`).textContent(),
        "<script>alert(1)</script>",
      );
      assert.equal(
        await page.locator(`${row("xss-img")} td.cmd`).textContent(),
        "echo '<img src=x onerror=alert(2)>'; echo '</pre><b>bold</b>'",
      );
      assert.equal(await page.locator("#jobs-body script, #jobs-body img, #jobs-body b").count(), 0);

      // the enqueue form: a command typed into the page
      await page.fill("#e-command", "<svg onload=alert(3)>");
      await page.fill("#e-id", "xss-form");
      await page.click("#enqueue button[type=submit]");
      await untilPage(
        page,
        `document.querySelector('#jobs-body tr[data-id="xss-form"]') !== null`,
        "xss-form listed",
      );
      assert.equal(await page.locator(`${row("xss-form")} td.cmd`).textContent(), "<svg onload=alert(3)>");
      assert.equal(await page.locator("#jobs-body svg").count(), 0);

      // the output on the job page
      await page.click(`${row("xss-img")} a`);
      await untilPage(page, `document.querySelector("#attempts pre") !== null`, "the output of xss-img");
      assert.equal(
        await page.locator("#attempts pre").first().textContent(),
        "<img src=x onerror=alert(2)>\n</pre><b>bold</b>\n",
      );
      assert.equal(await page.locator("#job-view img, #job-view b, #job-view script").count(), 0);
      assert.equal(
        await page.locator('#job-fields dd[data-field="command"]').textContent(),
        await page.evaluate(
          `"echo '<img src=x onerror=alert(2)>'; echo '</pre><b>bold</b>'"`,
        ),
      );
      assert.deepEqual(watch.dialogs, []);
    }),
});

Deno.test({
  ...OPTS,
  name:
    "the page loads its own files only, with no console error and no CSP violation, and the watch would see one",
  fn: () =>
    withDashboard(
      { fill: (home) => enqueueLines(home, [{ command: "echo hi" }]) },
      async ({ dash, page, watch }) => {
        const origins = new Set<string>();
        page.on("request", (r) => void origins.add(new URL(r.url()).origin));
        await page.goto(`${dash.url}/`);
        await untilLoaded(page);
        await page.click(`#jobs-body tr a`);
        await untilPage(
          page,
          `document.querySelector("#attempts p, #attempts section") !== null`,
          "the job page",
        );
        assert.deepEqual([...origins], [dash.url], "the page loaded something from elsewhere");
        const csp =
          (await page.evaluate(`fetch("/").then((r) => r.headers.get("content-security-policy"))`)) as string;
        assert.match(csp, /script-src 'self'/);
        assert.deepEqual(watch.problems, []);

        // the watch catches a violation: an inline style is refused under this CSP
        await page.evaluate(`document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>')`);
        await waitFor(
          () => watch.problems.some((p) => /CSP violation|Content Security Policy/.test(p)),
          "a CSP report",
        );
        watch.problems.length = 0;
      },
    ),
});

Deno.test({
  ...OPTS,
  name: "at a phone's width of 375 px the page never scrolls sideways; tables scroll in their own box",
  fn: () =>
    withDashboard({
      viewport: { width: 375, height: 740 },
      fill: (home) =>
        enqueueLines(home, [
          { id: "a-rather-long-job-identifier-that-does-not-break-easily", command: "x".repeat(300) },
          { command: "echo " + "word ".repeat(80) },
        ]),
    }, async ({ dash, page }) => {
      const noSideways =
        `document.documentElement.scrollWidth <= window.innerWidth && document.body.scrollWidth <= window.innerWidth`;
      await page.goto(`${dash.url}/`);
      await untilLoaded(page);
      assert.equal(await page.evaluate(noSideways), true, "the home page scrolls sideways");
      const wrap = await page.evaluate(
        `(() => { const w = document.querySelector("#jobs").parentElement; return [w.scrollWidth, w.clientWidth, getComputedStyle(w).overflowX]; })()`,
      ) as [number, number, string];
      assert.equal(wrap[2], "auto");
      assert.ok(wrap[0] > wrap[1], `the job table fits in ${wrap[1]} px; expected it to scroll in its box`);
      await page.click(`#jobs-body tr[data-id="a-rather-long-job-identifier-that-does-not-break-easily"] a`);
      await untilPage(page, `document.getElementById("job-fields").children.length > 0`, "the job page");
      assert.equal(await page.evaluate(noSideways), true, "the job page scrolls sideways");
      // every control can be reached: the labels name them
      for (
        const id of [
          "f-state",
          "f-q",
          "f-order",
          "e-command",
          "e-id",
          "e-max-retries",
          "e-priority",
          "e-timeout",
          "e-run-at",
        ]
      ) {
        assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, `a label for #${id}`);
      }
    }),
});

Deno.test({
  ...OPTS,
  name: "in dark mode the page is light text on a dark background",
  fn: () =>
    withDashboard({ colorScheme: "dark" }, async ({ dash, page }) => {
      await page.goto(`${dash.url}/`);
      await untilLoaded(page);
      const [bg, fg] = await page.evaluate(
        `[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]`,
      ) as [string, string];
      const lum = (rgb: string) => rgb.match(/\d+/g)!.slice(0, 3).map(Number).reduce((a, b) => a + b, 0) / 3;
      assert.ok(lum(bg) < 60, `background ${bg} is not dark`);
      assert.ok(lum(fg) > 180, `text ${fg} is not light`);
    }),
});

Deno.test({
  ...OPTS,
  name: "the job page shows every field and each attempt's output, live while the job runs",
  fn: () =>
    withDashboard({
      fill: (home) =>
        enqueueLines(home, [{
          id: "slow",
          command: "echo begin; sleep 2; echo finish",
          max_retries: 2,
          priority: 3,
        }]),
    }, async ({ home, dash, page, watch, background }) => {
      await page.goto(`${dash.url}/`);
      await untilLoaded(page);
      await markDocument(page);
      // client-side routing: the row's link changes the URL, not the document
      await page.click(`${row("slow")} a`);
      await untilPage(page, `location.pathname === "/jobs/slow"`, "the job's URL");
      await untilPage(page, `document.getElementById("job-fields").children.length > 0`, "the fields");
      const job = await cliJson(home, ["show", "slow"]);
      const shown = await page.locator("#job-fields dt").allTextContents();
      for (const key of Object.keys(job)) {
        if (key !== "output_tail") assert.ok(shown.includes(key), `the field ${key} is shown`);
      }
      assert.equal(await page.locator('#job-fields dd[data-field="command"]').textContent(), job.command);
      assert.equal(await page.locator('#job-fields dd[data-field="priority"]').textContent(), "3");
      assert.match(await textOf(page, "attempts"), /Not started yet/);

      background.push(spawnCli(home, ["worker", "start"]));
      await untilPage(
        page,
        `document.getElementById("job-state").textContent === "processing"`,
        "processing",
        30_000,
      );
      await untilPage(
        page,
        `(document.querySelector("#attempts pre") || {}).textContent === "begin\\n"`,
        "live output",
      );
      assert.match(await textOf(page, "job-live"), /live/);
      await untilPage(
        page,
        `document.getElementById("job-state").textContent === "completed"`,
        "completed",
        30_000,
      );
      await untilPage(
        page,
        `document.querySelector("#attempts pre").textContent === "begin\\nfinish\\n"`,
        "the whole output",
      );
      assert.match(
        await page.locator("#attempts .attempt h3").first().textContent() ?? "",
        /^Attempt 1 of 3/,
      );
      assert.match(await page.locator("#attempts .end").first().textContent() ?? "", /^exit code 0/);
      assert.equal(await textOf(page, "job-live"), "");

      // back to the overview, still the same document
      await page.goBack();
      await untilPage(
        page,
        `!document.getElementById("home-view").hidden && location.pathname === "/"`,
        "home again",
      );
      await assertSameDocument(page);

      // a job page opened directly, and an unknown job
      await page.goto(`${dash.url}/jobs/slow`);
      await untilPage(
        page,
        `document.getElementById("job-state").textContent === "completed"`,
        "the direct job page",
      );
      watch.expectStatus(404);
      await page.goto(`${dash.url}/jobs/no-such-job`);
      await untilPage(
        page,
        `document.getElementById("job-error").textContent !== ""`,
        "the not-found sentence",
      );
      assert.match(await textOf(page, "job-error"), /no-such-job/);
    }),
});

Deno.test({
  ...OPTS,
  name: "the enqueue form creates a job, and shows the server's error sentence (the CLI's) next to the form",
  fn: () =>
    withDashboard({}, async ({ home, dash, page, watch }) => {
      await page.goto(`${dash.url}/`);
      await untilLoaded(page);
      await page.fill("#e-command", "echo from the form");
      await page.fill("#e-id", "form-1");
      await page.fill("#e-max-retries", "2");
      await page.fill("#e-priority", "5");
      await page.fill("#e-timeout", "30");
      await page.fill("#e-run-at", "2099-01-01T00:00:00Z");
      await page.click("#enqueue button[type=submit]");
      await untilPage(
        page,
        `document.getElementById("enqueue-result").textContent.includes("form-1")`,
        "the result",
      );
      const job = await cliJson(home, ["show", "form-1"]);
      assert.equal(job.command, "echo from the form");
      assert.equal(job.max_retries, 2);
      assert.equal(job.priority, 5);
      assert.equal(job.timeout, 30);
      assert.equal(Date.parse(job.run_at), Date.parse("2099-01-01T00:00:00Z"));
      assert.equal(await page.inputValue("#e-command"), "", "the form is cleared");

      // a bad field: the page shows the sentence the CLI prints for the same job
      const bad = await cli(home, ["enqueue", JSON.stringify({ command: "x", max_retries: -1 })]);
      assert.equal(bad.code, 2);
      const sentence = bad.stderr.trim().replace(/^error: /, "");
      watch.expectStatus(400);
      await page.fill("#e-command", "x");
      await page.fill("#e-max-retries", "-1");
      await page.click("#enqueue button[type=submit]");
      await untilPage(
        page,
        `document.getElementById("enqueue-error").textContent !== ""`,
        "the error sentence",
      );
      assert.equal(await textOf(page, "enqueue-error"), sentence);
      assert.equal(await page.inputValue("#e-command"), "x", "the form keeps what was typed");

      // a duplicate id
      watch.expectStatus(409);
      await page.fill("#e-max-retries", "");
      await page.fill("#e-id", "form-1");
      await page.click("#enqueue button[type=submit]");
      await untilPage(
        page,
        `document.getElementById("enqueue-error").textContent.includes("form-1")`,
        "the duplicate",
      );
      assert.match(await textOf(page, "enqueue-error"), /already exists/);
    }),
});

Deno.test({
  ...OPTS,
  name:
    "the job table filters by state, searches by id or command, sorts, and pages through the API's cursor",
  fn: () =>
    withDashboard({
      fill: async (home) => {
        await enqueueLines(home, [
          { id: "gone-1", command: "exit 1", max_retries: 0 },
          { id: "gone-2", command: "exit 2", max_retries: 0 },
        ]);
        await cliOk(home, ["worker", "start", "--drain"]);
        const jobs = [];
        for (let i = 1; i <= 60; i++) {
          const n = String(i).padStart(2, "0");
          jobs.push({
            id: `p-${n}`,
            command: i % 20 === 0 ? `echo needle ${n}` : `echo hay ${n}`,
            run_at: "2099-01-01T00:00:00Z",
          });
        }
        await enqueueLines(home, jobs);
      },
    }, async ({ dash, page }) => {
      const ids = () =>
        page.locator("#jobs-body tr[data-id]").evaluateAll((rows) =>
          rows.map((r) => r.getAttribute("data-id"))
        );
      const firstId =
        `(document.querySelector("#jobs-body tr[data-id]") || {getAttribute: () => null}).getAttribute("data-id")`;
      const requests: string[] = [];
      page.on("request", (r) => {
        const u = new URL(r.url());
        if (u.pathname === "/api/jobs") requests.push(u.search);
      });
      await page.goto(`${dash.url}/`);
      await untilLoaded(page);
      await untilPage(page, `${firstId} === "p-60"`, "newest first");
      assert.equal((await ids()).length, 25, "one page holds 25 jobs");
      assert.match(await textOf(page, "page-info"), /Page 1 of 3 · 62 jobs/);
      assert.equal(await page.locator("#prev").isDisabled(), true);

      await page.click("#next");
      await untilPage(page, `${firstId} === "p-35"`, "page 2");
      await page.click("#next");
      await untilPage(page, `${firstId} === "p-10"`, "page 3");
      assert.deepEqual((await ids()).slice(-2), ["gone-2", "gone-1"]);
      assert.equal(await page.locator("#next").isDisabled(), true);
      await page.click("#prev");
      await untilPage(page, `${firstId} === "p-35"`, "page 2 again");
      assert.match(await textOf(page, "page-info"), /Page 2 of 3/);
      // never everything at once: every request asked for one page
      assert.ok(requests.every((q) => /limit=25/.test(q)), requests.join(" "));
      assert.ok(requests.some((q) => /cursor=/.test(q)));

      await page.selectOption("#f-order", "asc");
      await untilPage(page, `${firstId} === "gone-1"`, "oldest first, from page 1");
      assert.match(await textOf(page, "page-info"), /^Page 1/);

      await page.fill("#f-q", "needle");
      await untilPage(
        page,
        `${firstId} === "p-20" && document.querySelectorAll("#jobs-body tr[data-id]").length === 3`,
        "the search",
      );
      assert.deepEqual(await ids(), ["p-20", "p-40", "p-60"]);
      await page.fill("#f-q", "p-3");
      await untilPage(
        page,
        `document.querySelectorAll("#jobs-body tr[data-id]").length === 10`,
        "the id search",
      );
      await page.fill("#f-q", "");

      // the state filter, from the select and from a count card
      await page.selectOption("#f-state", "dead");
      await untilPage(
        page,
        `document.querySelectorAll("#jobs-body tr[data-id]").length === 2`,
        "the dead jobs",
      );
      assert.deepEqual(await ids(), ["gone-1", "gone-2"]);
      assert.match(await textOf(page, "page-info"), /2 jobs/);
      await page.click('.count[data-state="pending"]');
      await untilPage(
        page,
        `document.getElementById("f-state").value === "pending" && ${firstId} === "p-01"`,
        "pending",
      );
      assert.equal(await page.getAttribute('.count[data-state="pending"]', "aria-pressed"), "true");
      await page.selectOption("#f-state", "processing");
      await untilPage(page, `document.querySelector("#jobs-body td.empty") !== null`, "no processing job");
      assert.equal(await textOf(page, "jobs-body"), "No job matches.");
    }),
});

Deno.test({
  ...OPTS,
  name: "the workers table shows a running worker, and Stop workers stops it only once confirmed",
  fn: () =>
    withDashboard({
      // it runs until released: the page shows a worker's jobs from its heartbeat file, which
      // it re-reads every few seconds, so a job of fixed length could end before it looked
      fill: (home) =>
        enqueueLines(home, [{
          id: "busy",
          command: `while [ ! -f ${dirOfHome(home)}/release ]; do sleep 0.05; done`,
        }]),
    }, async ({ home, dash, page, watch, background }) => {
      const worker = spawnCli(home, ["worker", "start", "--count", "3"]);
      background.push(worker);
      await page.goto(`${dash.url}/`);
      await untilLoaded(page);
      await untilPage(
        page,
        `document.querySelector('#workers-body a[href="/jobs/busy"]') !== null`,
        "the worker holding busy",
      );
      const cells = await page.locator("#workers-body tr").first().locator("td").allTextContents();
      assert.match(cells[0], /^w-/);
      assert.equal(cells[1], String(worker.pid));
      assert.equal(cells[2], "3");
      assert.equal(cells[3], "busy");
      assert.match(cells[4], /^\d+ s ago$/);
      assert.equal(await count(page, "processing"), "1");

      watch.confirmAnswer = false;
      await page.click("#stop-workers");
      assert.match(watch.dialogs.at(-1)!, /^confirm: Stop all 1 worker/);
      await page.evaluate(`fetch("/api/status").then((r) => r.json())`);
      assert.equal((await cliJson(home, ["worker", "list"]))[0].stopping, false);

      watch.confirmAnswer = true;
      await page.click("#stop-workers");
      await untilPage(
        page,
        `document.getElementById("notice").textContent === "Asked 1 worker(s) to stop."`,
        "the notice",
      );
      // it finishes its job, then exits
      Deno.writeTextFileSync(`${dirOfHome(home)}/release`, "");
      assert.equal(await worker.exited(), 0);
      assert.equal(await jobState(home, "busy"), "completed");
      await untilPage(
        page,
        `document.getElementById("workers-body").textContent.includes("No worker is running")`,
        "no worker",
      );
      await untilPage(
        page,
        `document.getElementById("count-completed").textContent === "1"`,
        "busy completed",
      );
    }),
});

Deno.test({
  ...OPTS,
  name: "the page asks for the token it made on a login page, and works once it is given (form or ?token=)",
  fn: () =>
    withDashboard({
      loggedOut: true,
      fill: (home) => enqueueLines(home, [{ id: "t1", command: "echo t" }]),
    }, async ({ home, dash, browser, page, watch }) => {
      const failed: string[] = [];
      page.on("response", (r) => {
        if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
      });
      // the browser asks for /favicon.ico on the login page (it names no icon); the API says 401
      watch.expectStatus(404);
      watch.expectStatus(401);
      await page.goto(`${dash.url}/`);
      await untilPage(page, `location.pathname === "/login"`, "the login page");
      assert.equal(await page.locator("label[for=token]").count(), 1);
      assert.equal(await page.evaluate(`fetch("/api/status").then((r) => r.status)`), 401);

      await page.fill("#token", "wrong");
      await page.click("button[type=submit]");
      await untilPage(page, `document.querySelector("[role=alert]") !== null`, "the login page's refusal");
      assert.equal(new URL(page.url()).pathname, "/login");
      assert.match(dash.token!, /^[A-Za-z0-9_-]{32}$/, "the token it made");
      await page.fill("#token", dash.token!);
      await page.click("button[type=submit]");
      await untilPage(page, `location.pathname === "/"`, "the dashboard");
      await untilLoaded(page);
      assert.equal(await count(page, "pending"), "1");
      // the cookie it set carries the mutations too
      await page.fill("#e-command", "echo with token");
      await page.fill("#e-id", "t2");
      await page.click("#enqueue button[type=submit]");
      await untilPage(page, `document.querySelector('#jobs-body tr[data-id="t2"]') !== null`, "t2 enqueued");
      assert.equal(await jobState(home, "t2"), "pending");

      // a link with ?token= logs a fresh browser in, and the token leaves the address bar
      const other = await browser.newContext();
      try {
        const p2 = await other.newPage();
        const watch2 = await watchPage(p2);
        await p2.goto(`${dash.url}/jobs/t1?token=${dash.token}`);
        await untilPage(
          p2,
          `document.getElementById("job-state").textContent === "pending"`,
          "the job page with the token",
        );
        assert.equal(new URL(p2.url()).search, "");
        assert.deepEqual(watch2.problems, []);
      } finally {
        await other.close();
      }
      assert.deepEqual(failed.filter((f) => f !== "404 /favicon.ico"), ["401 /api/status", "401 /login"]);
    }),
});

Deno.test({
  ...OPTS,
  name:
    "two dashboards on one host: one browser logs in to both from their printed URLs, and stays logged in to each",
  fn: () =>
    withHome((homeA) =>
      withHome(async (homeB) => {
        await enqueueLines(homeA, [{ id: "only-in-a", command: "echo a" }]);
        await enqueueLines(homeB, [{ id: "only-in-b", command: "echo b" }]);
        let a: Dashboard | undefined;
        let b: Dashboard | undefined;
        let browser: Browser | undefined;
        try {
          a = await startDashboard(homeA);
          b = await startDashboard(homeB);
          assert.notEqual(a.token, b.token, "each makes its own token");
          browser = await launchChromium();
          const context = await browser.newContext();
          context.setDefaultTimeout(30_000);
          const page = await context.newPage();
          const watch = await watchPage(page);
          const shows = async (d: Dashboard, id: string) => {
            await untilPage(
              page,
              `location.pathname === "/" && document.querySelector('#jobs-body tr[data-id="${id}"]') !== null`,
              `the page of ${d.url} with ${id}`,
            );
            assert.equal(new URL(page.url()).origin, d.url);
          };
          await page.goto(a.login);
          await shows(a, "only-in-a");
          await page.goto(b.login);
          await shows(b, "only-in-b");
          // logging in to b left a's cookie alone: a still lets this browser in, without the token
          await page.goto(`${a.url}/`);
          await shows(a, "only-in-a");
          await page.goto(`${b.url}/`);
          await shows(b, "only-in-b");
          const names = (await context.cookies()).map((c) => c.name).sort();
          assert.deepEqual(names, [`queuectl_token_${a.port}`, `queuectl_token_${b.port}`].sort());
          assert.deepEqual(watch.problems, []);
        } finally {
          await browser?.close().catch(() => {});
          await a?.stop();
          await b?.stop();
        }
      }, { prefix: "qctl-browser-b-" }), { prefix: "qctl-browser-a-" }),
});

Deno.test({
  ...OPTS,
  name: "when the event stream cannot be had the page polls /api/status every 2 s and still follows the CLI",
  fn: () =>
    withDashboard(
      { fill: (home) => enqueueLines(home, [{ command: "echo 1" }]) },
      async ({ home, dash, page, watch }) => {
        let aborted = 0;
        await page.route("**/api/events", (route) => {
          aborted++;
          return route.abort();
        });
        await page.goto(`${dash.url}/`);
        await untilPage(
          page,
          `document.getElementById("live").getAttribute("data-mode") === "polling"`,
          "polling",
        );
        // the mode can change before the first status answer has been drawn
        await untilPage(
          page,
          `document.getElementById("count-pending").textContent === "1"`,
          "the first count",
        );
        await markDocument(page);
        await cliOk(home, ["enqueue", "--id", "polled", "echo 2"]);
        await untilPage(
          page,
          `document.getElementById("count-pending").textContent === "2"`,
          "the new count",
          10_000,
        );
        await untilPage(
          page,
          `document.querySelector('#jobs-body tr[data-id="polled"]') !== null`,
          "the new row",
          10_000,
        );
        await assertSameDocument(page);
        assert.ok(aborted >= 1);
        // the refused stream is the browser's own console line
        watch.problems = watch.problems.filter((p) => !/net::ERR_FAILED/.test(p));
      },
    ),
});

Deno.test({
  ...OPTS,
  name: "scripts/screenshot.ts photographs a home with jobs in every state into a PNG small enough to commit",
  fn: () =>
    withHome(async (home) => {
      const path = `${dirOfHome(home)}/dashboard.png`;
      const size = await screenshot(path);
      const bytes = Deno.readFileSync(path);
      assert.deepEqual(
        [...bytes.slice(0, 8)],
        [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
        "a PNG signature",
      );
      assert.equal(size, bytes.length);
      assert.ok(size <= MAX_PNG_BYTES, `${size} bytes`);
      // the picture is a laptop's width across
      const width = new DataView(bytes.buffer).getUint32(16);
      assert.equal(width, 1280);
    }, { prefix: "qctl-shot-" }),
});

Deno.test({
  ...OPTS,
  name: "the page can be used from the keyboard alone: filter by a count card, open a job, come back",
  fn: () =>
    withDashboard({
      fill: async (home) => {
        await enqueueLines(home, [{ id: "k-dead", command: "exit 9", max_retries: 0 }]);
        await cliOk(home, ["worker", "start", "--drain"]);
        await enqueueLines(home, [{ id: "k-pending", command: "echo k", run_at: "2099-01-01T00:00:00Z" }]);
      },
    }, async ({ dash, page }) => {
      await page.goto(`${dash.url}/`);
      await untilLoaded(page);
      const active = () =>
        page.evaluate(`document.activeElement.id || document.activeElement.textContent.trim()`);
      /** Tabs (or Shift+Tabs) until the focused element matches `selector` (at most 60 steps). */
      const tabTo = async (selector: string, key = "Tab") => {
        for (let i = 0; i < 60; i++) {
          await page.keyboard.press(key);
          if (await page.evaluate(`document.activeElement.matches(${JSON.stringify(selector)})`)) return;
        }
        throw new Error(`Tab never reached ${selector}; focus is on ${await active()}`);
      };
      await page.keyboard.press("Tab");
      assert.equal(await active(), "Skip to content");
      await tabTo('.count[data-state="dead"]');
      await page.keyboard.press("Enter");
      await untilPage(
        page,
        `document.querySelectorAll("#jobs-body tr[data-id]").length === 1`,
        "the dead filter",
      );
      assert.equal(await page.getAttribute('.count[data-state="dead"]', "aria-pressed"), "true");
      await tabTo('#jobs-body a[href="/jobs/k-dead"]');
      await page.keyboard.press("Enter");
      await untilPage(page, `location.pathname === "/jobs/k-dead"`, "the job page");
      await untilPage(page, `document.activeElement.id === "job-h"`, "focus on the job's heading");
      // the buttons follow the job's state: wait for it before tabbing to one
      await untilPage(page, `document.getElementById("job-state").textContent === "dead"`, "the job loaded");
      await tabTo("#job-retry");
      await page.keyboard.press("Enter");
      await untilPage(
        page,
        `document.getElementById("job-state").textContent === "pending"`,
        "retried by keyboard",
      );
      await tabTo(".back a", "Shift+Tab");
      await page.keyboard.press("Enter");
      await untilPage(
        page,
        `location.pathname === "/" && !document.getElementById("home-view").hidden`,
        "back home",
      );
    }),
});

Deno.test({
  ...OPTS,
  name: "the job page shows the last 64 KiB of a large output, scrolled to its end",
  fn: () =>
    withDashboard({
      fill: async (home) => {
        await enqueueLines(home, [{ id: "big", command: "seq 1 40000; echo THE-END" }]);
        await cliOk(home, ["worker", "start", "--drain"]);
      },
    }, async ({ dash, page }) => {
      await page.goto(`${dash.url}/jobs/big`);
      await untilPage(page, `document.querySelector("#attempts pre") !== null`, "the output");
      assert.match(
        await textOf(page, "logs-note"),
        /^Showing the last 64 KiB of 22\d KiB of output\.$/,
      );
      // the cut-off start is a section of its own; the attempt's closing line is kept
      assert.equal(await page.locator("#attempts h3").first().textContent(), "Earlier output (cut)");
      const text = await page.locator("#attempts pre").last().textContent() ?? "";
      assert.ok(text.endsWith("39999\n40000\nTHE-END\n"), text.slice(-40));
      assert.match(await page.locator("#attempts .end").last().textContent() ?? "", /^exit code 0/);
      const atEnd = `(() => { const p = document.querySelector("#attempts pre");
        return p.scrollHeight > p.clientHeight && p.scrollTop + p.clientHeight >= p.scrollHeight - 4; })()`;
      await untilPage(page, atEnd, "the output scrolled to its end");
    }),
});

Deno.test({
  ...OPTS,
  name: "a search the server answers in bounded stretches still finds a job behind 20,000 others",
  fn: () =>
    withDashboard({
      fill: (home) =>
        enqueueLines(home, [
          { id: "needle-job", command: "echo needle" },
          ...Array.from({ length: 20_010 }, () => ({ command: "echo hay" })),
        ]),
    }, async ({ dash, page }) => {
      const asked: string[] = [];
      page.on("request", (r) => {
        const u = new URL(r.url());
        if (u.pathname === "/api/jobs" && u.searchParams.has("q")) asked.push(u.search);
      });
      await page.goto(`${dash.url}/`);
      await untilLoaded(page);
      await page.fill("#f-q", "needle");
      await untilPage(
        page,
        `document.querySelector('#jobs-body tr[data-id="needle-job"]') !== null`,
        "the needle",
      );
      assert.equal(await page.locator("#jobs-body tr[data-id]").count(), 1);
      // the first stretch (the newest 20,000 jobs) held no match: the page asked on with its cursor
      assert.ok(asked.length >= 2 && asked.slice(1).every((q) => /cursor=/.test(q)), asked.join(" "));
    }),
});

Deno.test("without Chromium the browser tests fail, saying what to install", async () => {
  await assert.rejects(
    launchChromium("/nonexistent/chromium"),
    /^Error: The browser tests need Chromium at \/nonexistent\/chromium: install it with "apt-get install chromium"/,
  );
});
