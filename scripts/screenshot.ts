/**
 * Makes `docs/dashboard.png`: fills a temp home with jobs in every state (a worker keeps one
 * running), serves it with the real `queuectl dashboard`, and photographs the page in headless
 * Chromium. `tests/dashboard/browser_dashboard_test.ts` runs the same steps into a temp file.
 *
 *   deno run -A scripts/screenshot.ts [out.png]     (default: docs/dashboard.png)
 */
import {
  type Background,
  cliJson,
  cliOk,
  configure,
  removeHome,
  ROOT,
  spawnCli,
  stopBackground,
  tempHome,
  waitFor,
} from "../testkit/mod.ts";
import { launchChromium, startDashboard, untilPage } from "../testkit/browser.ts";

/** The largest screenshot the repository takes. */
export const MAX_PNG_BYTES = 300 * 1024;

const JOBS = [
  { id: "nightly-backup", command: "echo backing up; sleep 1.2; echo done", priority: 5 },
  { id: "resize-images", command: "echo resizing 120 images; sleep 0.6" },
  { id: "send-digest", command: "echo sent 42 mails" },
  { id: "warm-cache", command: "sleep 0.3; echo warm" },
  { id: "report-q3", command: "echo report; sleep 0.8" },
  { id: "sync-crm", command: "echo synced" },
  { id: "rotate-logs", command: "echo rotated" },
  { id: "broken-import", command: "echo 'import failed: bad row 17' >&2; exit 3", max_retries: 0 },
  { id: "missing-tool", command: "frobnicate --all", max_retries: 0 },
  { id: "flaky-upload", command: "echo upload timed out; exit 1", max_retries: 3 },
  { id: "reindex", command: "echo reindexing; sleep 600", priority: 9 },
];
const LATER = [
  { id: "monthly-invoices", command: "make invoices", run_at: "2099-01-01T06:00:00Z" },
  { id: "purge-trash", command: "rm -rf ./trash/*", run_at: "2099-01-02T03:00:00Z" },
];

/**
 * Enqueues the demo jobs into `home` and starts a worker; resolves once every state has its jobs
 * (the worker is left running one long job: stop it with stopBackground).
 */
export async function fillHome(home: string): Promise<Background> {
  // a long backoff keeps the flaky job in "failed" while the picture is taken
  await configure(home, { "backoff-base": 600 });
  const lines = [...JOBS, ...LATER].map((j) => JSON.stringify(j)).join("\n") + "\n";
  await cliOk(home, ["enqueue", "--file", "-"], { stdin: lines });
  const worker = spawnCli(home, ["worker", "start", "--count", "2"]);
  try {
    await waitFor(
      async () => {
        const { counts } = await cliJson(home, ["status"]);
        return counts.completed === 7 && counts.dead === 2 && counts.failed === 1 && counts.processing === 1;
      },
      "the demo jobs to reach every state",
      60_000,
      300,
    );
  } catch (e) {
    await stopBackground(worker);
    throw e;
  }
  return worker;
}

/**
 * Photographs the dashboard at `url` (the one it printed, which logs the browser in) at a laptop's
 * width into `path`; returns the PNG's size.
 */
export async function photograph(url: string, path: string): Promise<number> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
    await page.goto(url);
    await untilPage(
      page,
      `document.getElementById("count-completed").textContent === "7" &&
       document.querySelectorAll("#jobs-body tr[data-id]").length > 0 &&
       document.querySelectorAll("#tp-chart rect").length > 0 &&
       document.getElementById("live").getAttribute("data-mode") === "live"`,
      "the page to show the filled home",
      30_000,
    );
    await page.screenshot({ path, fullPage: true });
  } finally {
    await browser.close();
  }
  return Deno.statSync(path).size;
}

/** The whole run: a filled temp home, its dashboard, the picture; everything removed after. */
export async function screenshot(path: string): Promise<number> {
  const home = tempHome("qctl-screenshot-");
  let worker: Background | undefined;
  let dashboard: Awaited<ReturnType<typeof startDashboard>> | undefined;
  try {
    worker = await fillHome(home);
    dashboard = await startDashboard(home);
    return await photograph(dashboard.login, path);
  } finally {
    await dashboard?.stop();
    if (worker) await stopBackground(worker, 3_000);
    removeHome(home);
  }
}

if (import.meta.main) {
  const out = Deno.args[0] ?? `${ROOT}/docs/dashboard.png`;
  Deno.mkdirSync(out.replace(/\/[^/]*$/, "") || ".", { recursive: true });
  const size = await screenshot(out);
  console.log(`wrote ${out} (${size} bytes)`);
  if (size > MAX_PNG_BYTES) {
    console.error(
      `error: ${out} is ${size} bytes, over the ${MAX_PNG_BYTES} bytes a committed screenshot may take`,
    );
    Deno.exit(1);
  }
}
