/** `queuectl dashboard`: serves the live page, the JSON API and /metrics over the home's store. */
import { printable } from "../printable.ts";
import { UsageError } from "../errors.ts";
import { parseCount } from "../validate.ts";
import { type AppContext, homeFlag, type JsonFlags, resolveHome } from "./context.ts";
import { command } from "./command.ts";

interface DashboardFlags extends JsonFlags {
  host?: string;
  port?: string;
  token?: string;
  "token-file"?: string;
  "no-token"?: boolean;
}

export const DEFAULT_PORT = 7700;
export const TOKEN_ENV = "QUEUECTL_DASHBOARD_TOKEN";

/** The URL a browser opens: IPv6 hosts in brackets, and the token when there is one. */
export function dashboardUrl(host: string, port: number, token: string | null): string {
  const h = host.includes(":") ? `[${host}]` : host;
  return `http://${h}:${port}/${token ? `?token=${encodeURIComponent(token)}` : ""}`;
}

/**
 * Why `host` cannot be a --host, or null: it must be an IPv4 address (four numbers 0-255), an
 * IPv6 address (with an optional %zone), or a host name (RFC 1123: dot-separated labels of letters,
 * digits and inner hyphens, at most 63 characters each and 253 in all). Checked before anything
 * is bound: Deno's listen() reports a malformed name as an error of no kind of its own.
 */
export function hostProblem(host: string): string | null {
  if (host.trim() === "") return "it is empty";
  if (host.includes(":")) {
    const [address, zone, ...more] = host.split("%");
    if (more.length > 0 || (zone !== undefined && !/^[A-Za-z0-9_.-]+$/.test(zone))) {
      return "its %zone is not an interface name";
    }
    try {
      new URL(`http://[${address}]/`);
      return null;
    } catch {
      return "it is not an IPv6 address";
    }
  }
  if (/^[0-9.]+$/.test(host)) {
    const parts = host.split(".");
    const ok = parts.length === 4 && parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255);
    return ok ? null : "it is not an IPv4 address (four numbers from 0 to 255, such as 127.0.0.1)";
  }
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  const label = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
  if (name.length > 253 || !name.split(".").every((l) => label.test(l))) {
    return "expected an IP address or a host name (letters, digits, inner hyphens and dots)";
  }
  return null;
}

/** Where the token came from, for the warnings and the errors. */
type TokenSource = "--token" | "--token-file" | "env" | "generated" | "none";

/**
 * The token this dashboard requires, checked: `--no-token`, `--token` or `--token-file` (one of
 * them at most), else $QUEUECTL_DASHBOARD_TOKEN, else a new random one. Throws UsageError (exit 2)
 * before anything is served.
 */
async function chooseToken(
  ctx: AppContext,
  flags: DashboardFlags,
  host: string,
): Promise<{ token: string | null; source: TokenSource }> {
  const { checkToken, generateToken, tokenInFile } = await import("../dashboard/token.ts");
  const { isLoopback } = await import("../dashboard/auth.ts");
  const given = (["--token", "--token-file", "--no-token"] as const).filter((f) =>
    f === "--token"
      ? flags.token !== undefined
      : f === "--token-file"
      ? flags["token-file"] !== undefined
      : flags["no-token"] === true
  );
  if (given.length > 1) {
    throw new UsageError(`Invalid ${given[1]}: give only one of --token, --token-file and --no-token`);
  }
  if (flags["no-token"]) {
    if (!isLoopback(host)) {
      throw new UsageError(
        `Refusing to serve on ${host} without a token: --no-token is for loopback addresses only`,
      );
    }
    return { token: null, source: "none" };
  }
  if (flags.token !== undefined) return { token: checkToken("--token", flags.token), source: "--token" };
  const file = flags["token-file"];
  if (file !== undefined) {
    if (file === "") throw new UsageError("Invalid --token-file: it must not be empty");
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (e) {
      throw new UsageError(
        `Invalid --token-file ${file}: it cannot be read (${(e as Error).message.split(":")[0]})`,
      );
    }
    return { token: checkToken(`--token-file ${file}`, tokenInFile(text)), source: "--token-file" };
  }
  const env = ctx.env(TOKEN_ENV);
  if (env !== undefined && env !== "") return { token: checkToken(`$${TOKEN_ENV}`, env), source: "env" };
  return { token: generateToken(), source: "generated" };
}

/** Mode bits of `path` that let users other than its owner read it, or 0 (or when unknown). */
function readableByOthers(path: string): number {
  try {
    return (Deno.statSync(path).mode ?? 0) & 0o044;
  } catch {
    return 0;
  }
}

async function dashboard(this: AppContext, flags: DashboardFlags): Promise<void> {
  const host = flags.host ?? "127.0.0.1";
  const problem = hostProblem(host);
  if (problem !== null) {
    throw new UsageError(`Invalid --host ${JSON.stringify(host.slice(0, 60))}: ${problem}`);
  }
  const port = flags.port === undefined ? DEFAULT_PORT : parseCount("port", flags.port, 0, 65535);
  // the dashboard's modules are loaded only once the flags are known good: a refused start loads nothing more
  const { token, source } = await chooseToken(this, flags, host);
  const home = resolveHome(this, flags);
  const warn = (m: string) => this.process.stderr.write(`warning: ${printable(m)}\n`);
  if (source === "--token") {
    warn(`--token can be read by every local user (ps shows it): prefer $${TOKEN_ENV} or --token-file`);
  }
  if (source === "--token-file") {
    const mode = readableByOthers(flags["token-file"]!);
    if (mode !== 0) {
      warn(`--token-file ${flags["token-file"]} can be read by other users: chmod 600 it`);
    }
  }
  if (source === "none") {
    warn("--no-token: any local user can use this dashboard, and enqueue commands your workers run as you");
  }
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
      env: this.env,
      signal: stop.signal,
      onWarning: warn,
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
      host: opt("Address to listen on (default 127.0.0.1)", "addr"),
      port: opt(`Port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)`, "n"),
      token: opt(
        `Require this token (16+ characters; other users can see it in ps: prefer $${TOKEN_ENV} or --token-file)`,
        "token",
      ),
      "token-file": opt("Require the token this file holds (one line; keep the file chmod 600)", "path"),
      "no-token": {
        kind: "boolean",
        brief: "Require no token: any local user may use the dashboard (loopback addresses only)",
        optional: true,
        withNegated: false,
      },
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
      "Serves until interrupted (Ctrl-C or SIGTERM), and prints the URL to open. Every request",
      "needs a token: the one given with --token-file, $QUEUECTL_DASHBOARD_TOKEN or --token, else",
      "a random one made at start. The printed URL carries it once; the page then keeps a cookie.",
      "--no-token serves loopback without one, to every local user. Any number of dashboards and",
      "workers may share one home.",
      "",
      "Examples:",
      "  queuectl dashboard",
      "  queuectl dashboard --port 8080 --token-file ~/.config/queuectl/token",
      "  QUEUECTL_DASHBOARD_TOKEN=$(cat ~/.queuectl-token) queuectl dashboard --host 0.0.0.0",
    ].join("\n"),
  },
});
