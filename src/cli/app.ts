/** The command tree. */
import { buildApplication } from "@stricli/core";
import { completionCommand } from "./completion.ts";
import { configRoutes } from "./config_cmd.ts";
import { type AppContext, routes } from "./context.ts";
import { enqueueCommand } from "./enqueue.ts";
import { compactCommand, deleteCommand, dlqRoutes, doctorRoute } from "./manage.ts";
import { listCommand, logsCommand, showCommand, statusCommand } from "./read.ts";
import { workerRoutes } from "./worker_cmd.ts";

export const VERSION = "0.1.0";

export const app = buildApplication<AppContext>(
  routes(
    {
      enqueue: enqueueCommand,
      worker: workerRoutes,
      status: statusCommand,
      list: listCommand,
      show: showCommand,
      logs: logsCommand,
      dlq: dlqRoutes,
      delete: deleteCommand,
      config: configRoutes,
      compact: compactCommand,
      doctor: doctorRoute,
      completion: completionCommand,
    },
    {
      brief: "A background job queue for shell commands, with retries, backoff and a dead letter queue",
      fullDescription: [
        "All state lives in one directory (--home, $QUEUECTL_HOME, default ~/.queuectl).",
        "",
        "Quick start:",
        "  queuectl enqueue 'echo hello'",
        "  queuectl worker start --count 2 --drain",
        "  queuectl status",
      ].join("\n"),
    },
  ),
  {
    name: "queuectl",
    versionInfo: { currentVersion: VERSION },
  },
);
