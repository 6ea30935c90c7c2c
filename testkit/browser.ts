/**
 * Helpers for the real-browser tests of the dashboard: Debian's Chromium driven by playwright-core,
 * the real `queuectl dashboard` on a temp home, and a watch on what the page reports (console
 * errors, CSP violations, uncaught exceptions, dialogs).
 */
import { type Browser, chromium, type ConsoleMessage, type Page } from "playwright-core";
import { type Background, exists, spawnCli, stopBackground, untilOutput, waitFor } from "./mod.ts";

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
