/**
 * Helpers for the real-browser tests of the dashboard: Debian's Chromium driven by playwright-core,
 * the real `queuectl dashboard` on a temp home, and a watch on what the page reports (console
 * errors, CSP violations, uncaught exceptions, dialogs).
 */
import assert from "node:assert/strict";
import { type Browser, type BrowserContext, chromium, type ConsoleMessage, type Page } from "playwright-core";
import {
  type Background,
  cliOk,
  configure,
  exists,
  spawnCli,
  stopBackground,
  untilOutput,
  waitFor,
  withHome,
} from "./mod.ts";

export const CHROMIUM = "/usr/bin/chromium";

/** Starts headless Chromium; a missing browser fails the test with what to install (never skips). */
export async function launchChromium(path = CHROMIUM): Promise<Browser> {
  if (!exists(path)) {
    throw new Error(
      `The browser tests need Chromium at ${path}: install it with "apt-get install chromium" (.ci/run does)`,
    );
  }
  return await chromium.launch({ executablePath: path, args: ["--no-sandbox"], timeout: 60_000 });
}

export interface Dashboard {
  /** the base URL it printed, e.g. http://127.0.0.1:40123 (no trailing slash, no token) */
  url: string;
  /** the URL it printed: with ?token=… unless started with --no-token; opening it logs in */
  login: string;
  /** its token (generated unless one is given); null with --no-token */
  token: string | null;
  port: number;
  bg: Background;
  stop(): Promise<void>;
}

/**
 * Starts `queuectl dashboard --port 0` on loopback for `home` and waits for the URL it prints.
 * `token`: a string is given through $QUEUECTL_DASHBOARD_TOKEN, null starts it with --no-token,
 * and without one it makes its own (the default).
 */
export async function startDashboard(
  home: string,
  options: { token?: string | null; args?: string[] } = {},
): Promise<Dashboard> {
  const args = ["dashboard", "--host", "127.0.0.1", "--port", "0", ...(options.args ?? [])];
  if (options.token === null) args.push("--no-token");
  const bg = spawnCli(home, args, { env: { QUEUECTL_DASHBOARD_TOKEN: options.token ?? "" } });
  const exited = bg.exited().then((code) => {
    throw new Error(`queuectl dashboard exited ${code} before serving:\n${bg.output()}`);
  });
  const printed = /^dashboard: (http:\/\/127\.0\.0\.1:(\d+))\/(\?token=(\S+))?$/m;
  try {
    await Promise.race([untilOutput(bg, printed, 60_000), exited]);
  } catch (e) {
    await stopBackground(bg);
    throw e;
  }
  exited.catch(() => {}); // it ends when stopped; nobody waits for this any more
  const [login, url, port, , token] = printed.exec(bg.output())!;
  return {
    url,
    login: login.slice("dashboard: ".length),
    token: token === undefined ? null : decodeURIComponent(token),
    port: Number(port),
    bg,
    stop: async () => void await stopBackground(bg),
  };
}

export interface PageWatch {
  /** console errors, CSP violations and uncaught exceptions, as text */
  problems: string[];
  /** every dialog: "confirm: text" etc. */
  dialogs: string[];
  /** what the next confirm() answers (true: OK) */
  confirmAnswer: boolean;
  /**
   * Lets the browser's own console line about a response with this status pass (Chromium logs
   * every 4xx of a fetch as an error), for a test that provokes one on purpose.
   */
  expectStatus(status: number): void;
}

/**
 * Records what goes wrong on `page`. confirm() dialogs are answered with `watch.confirmAnswer`;
 * any other dialog (alert, prompt) is recorded and dismissed, so a test can assert none fired.
 */
export async function watchPage(page: Page): Promise<PageWatch> {
  const expected = new Set<number>();
  const watch: PageWatch = {
    problems: [],
    dialogs: [],
    confirmAnswer: true,
    expectStatus: (status) => void expected.add(status),
  };
  page.on("console", (msg: ConsoleMessage) => {
    if (msg.type() !== "error" && msg.type() !== "warning") return;
    const status = /^Failed to load resource: the server responded with a status of (\d+)/.exec(msg.text());
    if (status && expected.has(Number(status[1]))) return;
    watch.problems.push(`console ${msg.type()}: ${msg.text()}`);
  });
  page.on("pageerror", (err: Error) => watch.problems.push(`uncaught: ${err.message}`));
  page.on("dialog", async (dialog) => {
    watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    if (dialog.type() === "confirm" && watch.confirmAnswer) await dialog.accept();
    else await dialog.dismiss();
  });
  // the page reports CSP violations as events too (an init script is not subject to the CSP)
  await page.addInitScript(`document.addEventListener("securitypolicyviolation", (e) => {
    console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
  });`);
  return watch;
}

/**
 * Polls the page until the expression `expr` (evaluated in the page) is true, or fails naming
 * `what`. Polled from here: playwright's waitForFunction evaluates its predicate with eval(), which
 * the page's CSP (rightly) refuses.
 */
export async function untilPage(page: Page, expr: string, what: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    async () => (await page.evaluate(expr)) === true,
    `${what} (in the page: ${expr})`,
    timeoutMs,
    50,
  );
}

/** The text of the element with this id. */
export async function textOf(page: Page, id: string): Promise<string> {
  return (await page.locator(`#${id}`).textContent()) ?? "";
}

// ---- a page against a real dashboard, for the browser tests in tests/dashboard/

/** What a test of the page gets from `withDashboard`. */
export interface Env {
  home: string;
  dash: Dashboard;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  watch: PageWatch;
  /** processes the test started (workers): stopped after it */
  background: Background[];
}

export interface Setup {
  /** the dashboard's token (default: the one it makes); null: --no-token */
  token?: string | null;
  /** the browser starts without the token's cookie (default: it has it, as after opening the printed URL) */
  loggedOut?: boolean;
  viewport?: { width: number; height: number };
  colorScheme?: "light" | "dark";
  /** runs before the dashboard starts */
  fill?: (home: string) => Promise<unknown>;
}

/**
 * Runs `body` against a fresh home served by a real dashboard, in a fresh browser; asserts that the
 * page logged no error and no CSP violation and opened no dialog but the confirmations it expects;
 * stops and removes everything after.
 */
export function withDashboard(setup: Setup, body: (env: Env) => Promise<void>): Promise<void> {
  return withHome(async (home) => {
    const background: Background[] = [];
    let dash: Dashboard | undefined;
    let browser: Browser | undefined;
    try {
      await configure(home, { "backoff-base": 1 });
      if (setup.fill) await setup.fill(home);
      dash = await startDashboard(home, { token: setup.token });
      browser = await launchChromium();
      const context = await browser.newContext({
        viewport: setup.viewport ?? { width: 1280, height: 900 },
        colorScheme: setup.colorScheme ?? "light",
      });
      context.setDefaultTimeout(30_000);
      if (dash.token !== null && !setup.loggedOut) {
        const value = encodeURIComponent(dash.token);
        await context.addCookies([{ name: `queuectl_token_${dash.port}`, value, url: dash.url }]);
      }
      const page = await context.newPage();
      const watch = await watchPage(page);
      await body({ home, dash, browser, context, page, watch, background });
      assert.deepEqual(watch.problems, [], "the page logged errors or CSP violations");
      assert.deepEqual(
        watch.dialogs.filter((d) => !d.startsWith("confirm: ")),
        [],
        "a dialog other than confirm()",
      );
    } finally {
      await browser?.close().catch(() => {});
      for (const bg of background) await stopBackground(bg, 3_000);
      await dash?.stop();
    }
  }, { prefix: "qctl-browser-" });
}

// browsers and servers hold sockets and pipes that Deno's sanitizers would count against a test
export const OPTS = { sanitizeOps: false, sanitizeResources: false };

/** Enqueues `jobs` (JSON objects) in one `enqueue --file -` call. */
export const enqueueLines = (home: string, jobs: object[]) =>
  cliOk(home, ["enqueue", "--file", "-"], { stdin: jobs.map((j) => JSON.stringify(j)).join("\n") + "\n" });

/** Waits for the page to show its data and to be connected to the event stream. */
export async function untilLoaded(page: Page): Promise<void> {
  await untilPage(page, `document.getElementById("count-pending").textContent !== "-"`, "the counts");
  await untilPage(
    page,
    `document.getElementById("live").getAttribute("data-mode") === "live"`,
    "the event stream",
  );
}
