/** `queuectl dashboard`: serves the live page, the JSON API and /metrics over the home's store. */
import { printable } from "../printable.ts";
import { UsageError } from "../errors.ts";
import { parseCount } from "../validate.ts";
import { type AppContext, command, homeFlag, type HomeFlags, resolveHome } from "./context.ts";

interface DashboardFlags extends HomeFlags {
  host?: string;
  port?: string;
  token?: string;
  json?: boolean;
}

export const DEFAULT_PORT = 7700;

/** The URL a browser opens: IPv6 hosts in brackets, and the token when there is one. */
export function dashboardUrl(host: string, port: number, token: string | null): string {
  const h = host.includes(":") ? `[${host}]` : host;
  return `http://${h}:${port}/${token ? `?token=${encodeURIComponent(token)}` : ""}`;
}

async function dashboard(this: AppContext, flags: DashboardFlags): Promise<void> {
  const host = flags.host ?? "127.0.0.1";
  if (host.trim() === "") throw new UsageError("Invalid --host: it must not be empty");
  const port = flags.port === undefined ? DEFAULT_PORT : parseCount("port", flags.port, 0, 65535);
  if (flags.token === "") throw new UsageError("Invalid --token: it must not be empty");
  const token = flags.token ?? (this.env("QUEUECTL_DASHBOARD_TOKEN") || null);
  // the module is loaded only after the refusals above, so a refused start loads nothing more
  const { isLoopback } = await import("../dashboard/auth.ts");
  if (token === null && !isLoopback(host)) {
    throw new UsageError(
      `Refusing to serve on ${host} without a token: pass --token or set QUEUECTL_DASHBOARD_TOKEN`,
    );
  }
  const home = resolveHome(this, flags);
  const { serveDashboard } = await import("../dashboard/serve.ts");
  const stop = new AbortController();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const onSignal = () => stop.abort();
  for (const sig of signals) Deno.addSignalListener(sig, onSignal);
  try {
    await serveDashboard({
      home,
      host,
      port,
      token,
      cwd: this.cwd,
      clock: this.clock,
      signal: stop.signal,
      onWarning: (m) => this.process.stderr.write(`warning: ${printable(m)}\n`),
      onListen: (addr) => {
        const url = dashboardUrl(host, addr.port, token);
        this.process.stdout.write(
          flags.json ? JSON.stringify({ url, host, port: addr.port }) + "\n" : `dashboard: ${url}\n`,
        );
      },
    });
  } finally {
    for (const sig of signals) Deno.removeSignalListener(sig, onSignal);
  }
}

const opt = (brief: string, placeholder: string) =>
  ({ kind: "parsed", parse: String, brief, optional: true, placeholder }) as const;

export const dashboardCommand = command({
  func: dashboard,
  parameters: {
    flags: {
      host: opt("Address to listen on (default 127.0.0.1; anything but loopback needs a token)", "addr"),
      port: opt(`Port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)`, "n"),
      token: opt("Require this token (default: $QUEUECTL_DASHBOARD_TOKEN; none on loopback)", "token"),
      json: {
        kind: "boolean",
        brief: 'Print {"url","host","port"} as one JSON line once listening',
        optional: true,
        withNegated: false,
      },
      ...homeFlag,
    },
  },
  docs: {
    brief: "Serve a live web dashboard, a JSON API and Prometheus /metrics",
    fullDescription: [
      "Serves until interrupted (Ctrl-C or SIGTERM), and prints the URL to open. With a token,",
      "every request needs it (the printed URL carries it once; the page then keeps a cookie).",
      "Any number of dashboards and workers may share one home.",
      "",
      "Examples:",
      "  queuectl dashboard",
      "  queuectl dashboard --port 8080",
      "  QUEUECTL_DASHBOARD_TOKEN=s3cret queuectl dashboard --host 0.0.0.0",
    ].join("\n"),
  },
});
