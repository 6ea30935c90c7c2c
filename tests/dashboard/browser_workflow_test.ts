/**
 * The dashboard's workflow controls in a real headless Chromium against the real `queuectl
 * dashboard`: pausing and resuming a queue and setting its limit, killing a running job and
 * cancelling a pending one, following a job's dependency links, and pausing, resuming and removing
 * a schedule. Each change is checked through the CLI, and the page is waited on for what it shows
 * (generous deadlines, no sleeps). Without Chromium these tests fail; they never skip.
 */
import assert from "node:assert/strict";
import { cliJson, cliOk, spawnCli, untilState, waitFor } from "../../testkit/mod.ts";
import { enqueueLines, OPTS, textOf, untilLoaded, untilPage, withDashboard } from "../../testkit/browser.ts";

const queueRow = (name: string) => `#queues-body tr[data-queue=${JSON.stringify(name)}]`;
const scheduleRow = (name: string) => `#schedules-body tr[data-schedule=${JSON.stringify(name)}]`;
const jobRow = (id: string) => `#jobs-body tr[data-id=${JSON.stringify(id)}]`;
/** An expression true when the element `selector` exists and its text is `text`. */
const shows = (selector: string, text: string) =>
  `(document.querySelector(${JSON.stringify(selector)}) || {}).textContent === ${JSON.stringify(text)}`;

interface QueueJson {
  name: string;
  concurrency: number;
  paused: boolean;
}
const queueOf = async (home: string, name: string): Promise<QueueJson | undefined> =>
  (await cliJson<QueueJson[]>(home, ["queue", "list"])).find((q) => q.name === name);

Deno.test({
  ...OPTS,
  name: "a queue is paused and resumed with its button, and its concurrency limit set from the page",
  fn: () =>
    withDashboard({
      fill: (home) =>
        enqueueLines(home, [
          { id: "up-1", command: "true", queue: "uploads" },
          { id: "up-2", command: "true", queue: "uploads" },
          { id: "plain", command: "true" },
        ]),
    }, async ({ home, dash, page, watch }) => {
      await page.goto(`${dash.url}/`);
      await untilLoaded(page);
      await untilPage(page, shows(`${queueRow("uploads")} td[data-state="pending"]`, "2"), "the uploads row");
      assert.equal(await page.locator(`${queueRow("uploads")} .badge`).textContent(), "running");
      assert.equal(await page.locator(`${queueRow("uploads")} td.limit`).textContent(), "no limit");
      assert.equal(await page.locator(`${queueRow("default")} td[data-state="pending"]`).textContent(), "1");
      assert.equal(await page.locator(`${jobRow("up-1")} td.queue`).textContent(), "uploads");

      await page.click(`${queueRow("uploads")} button[data-queue-pause]`);
      await waitFor(async () => (await queueOf(home, "uploads"))?.paused === true, "uploads paused");
      await untilPage(page, shows(`${queueRow("uploads")} .badge`, "paused"), "the paused badge");
      assert.equal(await queueOf(home, "default").then((q) => q?.paused), false, "only that queue");

      await page.click(`${queueRow("uploads")} button[data-queue-resume]`);
      await waitFor(async () => (await queueOf(home, "uploads"))?.paused === false, "uploads resumed");
      await untilPage(page, shows(`${queueRow("uploads")} .badge`, "running"), "the running badge");

      // the limit: the row's button fills the form with the queue and its limit
      await page.click(`${queueRow("uploads")} button[data-queue-limit]`);
      assert.equal(await page.inputValue("#limit-queue"), "uploads");
      assert.equal(await page.inputValue("#limit-value"), "0");
      await page.fill("#limit-value", "1");
      await page.click("#limit-set");
      await waitFor(async () => (await queueOf(home, "uploads"))?.concurrency === 1, "the limit of 1");
      await untilPage(page, shows(`${queueRow("uploads")} td.limit`, "1"), "the limit shown");

      // a bad limit: the server's sentence beside the form, and nothing changed
      watch.expectStatus(400);
      await page.fill("#limit-value", "-3");
      await page.click("#limit-set");
      await untilPage(
        page,
        `document.getElementById("limit-error").textContent !== ""`,
        "the error sentence",
      );
      assert.match(await textOf(page, "limit-error"), /^Invalid concurrency "-3": expected a whole number/);
      assert.equal((await queueOf(home, "uploads"))?.concurrency, 1);
      // a queue named by a setting only exists from then on, as with `queue set`
      await page.fill("#limit-queue", "reports");
      await page.fill("#limit-value", "2");
      await page.click("#limit-set");
      await untilPage(page, shows(`${queueRow("reports")} td.limit`, "2"), "the new queue's row");
      assert.equal(await textOf(page, "limit-error"), "");
    }),
});

Deno.test({
  ...OPTS,
  name:
    "a running job is killed from its page and a pending one cancelled from the table, each after a confirmation",
  fn: () =>
    withDashboard({
      fill: (home) =>
        enqueueLines(home, [
          { id: "runaway", command: "echo started; sleep 60", max_retries: 3 },
          { id: "waiting", command: "true", run_at: "2099-01-01T00:00:00Z" },
          { id: "after-waiting", command: "true", after: ["waiting"] },
        ]),
    }, async ({ home, dash, page, watch, background }) => {
      background.push(spawnCli(home, ["worker", "start"]));
      await untilState(home, "runaway", "processing", 60_000);
      await page.goto(`${dash.url}/`);
      await untilLoaded(page);
      await untilPage(
        page,
        `document.querySelector('${jobRow("runaway")} button[data-kill]') !== null`,
        "Kill",
      );
      assert.equal(await page.locator(`${jobRow("waiting")} button[data-cancel]`).count(), 1);
      assert.equal(await page.locator(`${jobRow("runaway")} button[data-cancel]`).count(), 0);

      // cancel from the table: refused at the confirmation, then confirmed
      watch.confirmAnswer = false;
      await page.click(`${jobRow("waiting")} button[data-cancel]`);
      await waitFor(
        () => /^confirm: Cancel job waiting\?/.test(watch.dialogs.at(-1) ?? ""),
        "the confirmation",
      );
      await page.evaluate(`fetch("/api/status").then((r) => r.json())`); // a round trip after the click
      assert.equal((await cliJson(home, ["show", "waiting"])).state, "pending");
      watch.confirmAnswer = true;
      await page.click(`${jobRow("waiting")} button[data-cancel]`);
      await untilState(home, "waiting", "dead");
      const waiting = await cliJson(home, ["show", "waiting"]);
      assert.equal(waiting.last_error, "cancelled");
      assert.equal((await cliJson(home, ["show", "after-waiting"])).state, "dead");
      await untilPage(page, shows(`${jobRow("waiting")} .badge`, "dead"), "waiting dead in the table");

      // kill from the job page
      await page.click(`${jobRow("runaway")} a`);
      await untilPage(page, `!document.getElementById("job-kill").hidden`, "the Kill button on the job page");
      assert.equal(await page.locator("#job-cancel").isHidden(), true);
      await page.click("#job-kill");
      await waitFor(
        () => /^confirm: Kill job runaway\?/.test(watch.dialogs.at(-1) ?? ""),
        "the confirmation",
      );
      await untilState(home, "runaway", "dead", 60_000);
      const runaway = await cliJson(home, ["show", "runaway"]);
      assert.equal(runaway.last_error, "killed");
      assert.equal(runaway.attempts, 1, "no retry after a kill");
      await untilPage(page, shows("#job-state", "dead"), "dead on its page", 30_000);
      assert.equal(await page.locator("#job-kill").isHidden(), true);
      assert.equal(await page.locator("#job-retry").isHidden(), false);
    }),
});

Deno.test({
  ...OPTS,
  name: "a job's page links the jobs it waits for, each with its state, and following a link opens that job",
  fn: () =>
    withDashboard({
      fill: async (home) => {
        await enqueueLines(home, [{ id: "build", command: "true" }]);
        await cliOk(home, ["worker", "start", "--drain"]);
        await enqueueLines(home, [
          { id: "test", command: "true", after: ["build"], run_at: "2099-01-01T00:00:00Z" },
          { id: "deploy", command: "true", after: ["build", "test"] },
        ]);
      },
    }, async ({ dash, page }) => {
      await page.goto(`${dash.url}/jobs/deploy`);
      await untilPage(page, `!document.getElementById("job-deps-box").hidden`, "the dependencies");
      assert.deepEqual(await page.locator("#job-deps li a").allTextContents(), ["build", "test"]);
      assert.equal(await page.locator('#job-deps li[data-dep="build"] .badge').textContent(), "completed");
      assert.equal(await page.locator('#job-deps li[data-dep="test"] .badge').textContent(), "pending");
      assert.equal(await page.locator('#job-deps li[data-dep="test"] a').getAttribute("href"), "/jobs/test");
      await page.evaluate("window.__sameDocument = true");

      await page.click('#job-deps li[data-dep="test"] a');
      await untilPage(page, `location.pathname === "/jobs/test"`, "the URL of test");
      await untilPage(
        page,
        shows("#job-id", "test") + ` && ${shows("#job-state", "pending")}`,
        "test's page",
      );
      assert.deepEqual(await page.locator("#job-deps li a").allTextContents(), ["build"]);
      assert.equal(await page.evaluate("window.__sameDocument === true"), true, "client-side navigation");

      // build's page waits for nothing: no dependency list
      await page.click('#job-deps li[data-dep="build"] a');
      await untilPage(page, shows("#job-state", "completed"), "build's page");
      assert.equal(await page.locator("#job-deps-box").isHidden(), true);
    }),
});

Deno.test({
  ...OPTS,
  name:
    "a schedule shows its next run, is paused and resumed with its button, and removed after a confirmation",
  fn: () =>
    withDashboard({
      fill: (home) =>
        cliOk(home, ["schedule", "add", "nightly", "0 3 * * *", "--queue", "backups", "--", "./backup.sh"]),
    }, async ({ home, dash, page, watch }) => {
      const scheduled = async () =>
        (await cliJson<Array<{ name: string; paused: boolean; next_run: string | null }>>(home, [
          "schedule",
          "list",
        ]))[0];
      await page.goto(`${dash.url}/`);
      await untilLoaded(page);
      await untilPage(
        page,
        `document.querySelector('${scheduleRow("nightly")}') !== null`,
        "the schedule row",
      );
      const next = (await scheduled()).next_run!;
      assert.equal(
        await page.locator(`${scheduleRow("nightly")} td.next-run time`).getAttribute("datetime"),
        next,
      );
      assert.match(
        await page.locator(`${scheduleRow("nightly")} td.next-run`).textContent() ?? "",
        /^in \d+/,
      );
      assert.equal(await page.locator(`${scheduleRow("nightly")} td.queue`).textContent(), "backups");
      assert.equal(await page.locator(`${scheduleRow("nightly")} td.cmd`).textContent(), "./backup.sh");
      assert.equal(await page.locator(`${scheduleRow("nightly")} .badge`).textContent(), "active");

      await page.click(`${scheduleRow("nightly")} button[data-schedule-pause]`);
      await waitFor(async () => (await scheduled()).paused, "nightly paused");
      await untilPage(page, shows(`${scheduleRow("nightly")} .badge`, "paused"), "the paused badge");
      assert.equal(await page.locator(`${scheduleRow("nightly")} td.next-run`).textContent(), "-");

      await page.click(`${scheduleRow("nightly")} button[data-schedule-resume]`);
      await waitFor(async () => !(await scheduled()).paused, "nightly resumed");
      await untilPage(page, shows(`${scheduleRow("nightly")} .badge`, "active"), "the active badge");

      watch.confirmAnswer = false;
      await page.click(`${scheduleRow("nightly")} button[data-schedule-remove]`);
      await waitFor(
        () => /^confirm: Remove schedule nightly\?/.test(watch.dialogs.at(-1) ?? ""),
        "the confirmation",
      );
      await page.evaluate(`fetch("/api/status").then((r) => r.json())`);
      assert.ok(await scheduled(), "kept when the confirmation is refused");
      watch.confirmAnswer = true;
      await page.click(`${scheduleRow("nightly")} button[data-schedule-remove]`);
      await waitFor(async () => (await scheduled()) === undefined, "nightly removed");
      await untilPage(page, `document.querySelector('${scheduleRow("nightly")}') === null`, "the row gone");
      assert.match(await textOf(page, "schedules-body"), /No schedule/);
    }),
});
