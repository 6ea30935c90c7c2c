/**
 * The command tree. A top-level command's module is imported only when the command line names
 * that command, so `queuectl enqueue` does not load, compile or run the code of `worker`, `dlq`,
 * `config` and the rest (`help worker` loads `help` and then `worker`); `--help`, completion and
 * anything that is not a command name get the whole tree.
 */
import { type Application, buildApplication, type Command, type RouteMap } from "@stricli/core";
import type { AppContext } from "./context.ts";
import { routes } from "./command.ts";
import { VERSION } from "./global_args.ts";
import { lazy } from "../lazy.ts";

export { VERSION };
/** stricli's parser, which runs a command line on the application loadApp() builds. */
export { run as runApplication } from "@stricli/core";

type Route = Command<AppContext> | RouteMap<AppContext>;

/** The top-level routes in the order help lists them, each with the import that builds it. */
const ROUTES: Record<string, () => Promise<Route>> = {
  enqueue: async () =>
    (await lazy<typeof import("./enqueue_cmd.ts")>("src/cli/enqueue_cmd.ts")).enqueueCommand,
  worker: async () => (await lazy<typeof import("./worker_cmd.ts")>("src/cli/worker_cmd.ts")).workerRoutes,
  status: async () => (await lazy<typeof import("./read.ts")>("src/cli/read.ts")).statusCommand,
  list: async () => (await lazy<typeof import("./read.ts")>("src/cli/read.ts")).listCommand,
  show: async () => (await lazy<typeof import("./read.ts")>("src/cli/read.ts")).showCommand,
  logs: async () => (await lazy<typeof import("./logs.ts")>("src/cli/logs.ts")).logsCommand,
  rerun: async () => (await lazy<typeof import("./rerun.ts")>("src/cli/rerun.ts")).rerunCommand,
  dlq: async () => (await lazy<typeof import("./manage.ts")>("src/cli/manage.ts")).dlqRoutes,
  delete: async () => (await lazy<typeof import("./manage.ts")>("src/cli/manage.ts")).deleteCommand,
  queue: async () => (await lazy<typeof import("./queue_cmd.ts")>("src/cli/queue_cmd.ts")).queueRoutes,
  kill: async () => (await lazy<typeof import("./control.ts")>("src/cli/control.ts")).killCommand,
  cancel: async () => (await lazy<typeof import("./control.ts")>("src/cli/control.ts")).cancelCommand,
  wait: async () => (await lazy<typeof import("./control.ts")>("src/cli/control.ts")).waitCommand,
  config: async () => (await lazy<typeof import("./config_cmd.ts")>("src/cli/config_cmd.ts")).configRoutes,
  schedule: async () =>
    (await lazy<typeof import("./schedule_cmd.ts")>("src/cli/schedule_cmd.ts")).scheduleRoutes,
  prune: async () => (await lazy<typeof import("./prune_cmd.ts")>("src/cli/prune_cmd.ts")).pruneCommand,
  compact: async () => (await lazy<typeof import("./manage.ts")>("src/cli/manage.ts")).compactCommand,
  doctor: async () => (await lazy<typeof import("./manage.ts")>("src/cli/manage.ts")).doctorRoute,
  dashboard: async () =>
    (await lazy<typeof import("./dashboard_cmd.ts")>("src/cli/dashboard_cmd.ts")).dashboardCommand,
  completion: async () =>
    (await lazy<typeof import("./completion.ts")>("src/cli/completion.ts")).completionCommand,
  help: async () => (await lazy<typeof import("./help_cmd.ts")>("src/cli/help_cmd.ts")).helpCommand,
};

const DOCS = {
  brief: "A background job queue for shell commands, with retries, backoff and a dead letter queue",
  fullDescription: [
    "All state lives in one directory (--home, $QUEUECTL_HOME, default ~/.queuectl). It must be",
    "yours and writable by you alone (it is created 0700): a home another user can write is refused.",
    "",
    "Quick start:",
    "  queuectl enqueue 'echo hello'",
    "  queuectl worker start --count 2 --drain",
    "  queuectl status",
    "",
    "Help on a command: `queuectl help worker start`, the same as `queuectl worker start --help`.",
  ].join("\n"),
};

/**
 * The application that runs `args` (the command line after the global --home). When the first
 * word names a top-level command, stricli routes into that command and never consults the
 * others, so the tree holds just that one; otherwise (`--help`, a misspelt command that needs
 * suggestions, completion) it holds them all.
 */
export async function loadApp(args: readonly string[] = []): Promise<Application<AppContext>> {
  const first = args[0];
  const names = first !== undefined && Object.hasOwn(ROUTES, first) ? [first] : Object.keys(ROUTES);
  const tree: Record<string, Route> = {};
  // one at a time: routes that share a module then find it loaded (parallel imports load it again)
  for (const name of names) tree[name] = await ROUTES[name]();
  return buildApplication<AppContext>(routes(tree, DOCS), {
    name: "queuectl",
    versionInfo: { currentVersion: VERSION },
    // `--` ends the flags, so `enqueue --argv -- prog --flag` passes --flag to prog
    scanner: { allowArgumentEscapeSequence: true },
  });
}
