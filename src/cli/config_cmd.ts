/** `queuectl config list | get | set`: the settings in the home's config.jsonc. */
import {
  CONFIG_KEYS,
  configKey,
  displayKey,
  loadConfig,
  parseConfigValue,
  setConfigValue,
} from "../config.ts";
import { ensureDir } from "../durable.ts";
import {
  type AppContext,
  homeFlag,
  type HomeFlags,
  jsonFlag,
  type JsonFlags,
  resolveHome,
} from "./context.ts";
import { command, routes } from "./command.ts";
import { json, table } from "./render.ts";
import { homePaths } from "../store/paths.ts";

async function list(this: AppContext, flags: JsonFlags): Promise<void> {
  const config = await loadConfig(homePaths(resolveHome(this, flags)).config);
  if (flags.json) {
    this.process.stdout.write(json(config));
    return;
  }
  this.process.stdout.write(table(
    ["KEY", "VALUE", "DEFAULT", "MEANING"],
    CONFIG_KEYS.map((
      k,
    ) => [displayKey(k.key), String(config[k.key]), String(k.default), k.doc]),
  ));
}

async function get(
  this: AppContext,
  flags: JsonFlags,
  name: string,
): Promise<void> {
  const key = configKey(name);
  const config = await loadConfig(homePaths(resolveHome(this, flags)).config);
  this.process.stdout.write(
    flags.json ? json({ [key]: config[key] }) : `${config[key]}\n`,
  );
}

async function set(
  this: AppContext,
  flags: HomeFlags,
  name: string,
  raw: string,
): Promise<void> {
  const key = configKey(name);
  const value = parseConfigValue(key, raw);
  const paths = homePaths(resolveHome(this, flags));
  ensureDir(paths.home);
  await setConfigValue(paths.config, key, value, paths.configLock);
  this.process.stdout.write(`${displayKey(key)} = ${value}\n`);
}

const keyParam = {
  brief: "Setting name, e.g. max-retries or backoff_base",
  parse: String,
  placeholder: "key",
};

export const configRoutes = routes({
  list: command({
    func: list,
    parameters: { flags: { ...jsonFlag, ...homeFlag } },
    docs: {
      brief: "Show every setting with its value and default",
      fullDescription: "Example:\n  queuectl config list",
    },
  }),
  get: command({
    func: get,
    parameters: {
      flags: { ...jsonFlag, ...homeFlag },
      positional: { kind: "tuple", parameters: [keyParam] },
    },
    docs: {
      brief: "Print one setting",
      fullDescription: "Example:\n  queuectl config get max-retries",
    },
  }),
  set: command({
    func: set,
    parameters: {
      flags: { ...homeFlag },
      positional: {
        kind: "tuple",
        parameters: [keyParam, {
          brief: "New value (validated)",
          parse: String,
          placeholder: "value",
        }],
      },
    },
    docs: {
      brief: "Change one setting; running workers apply it without a restart",
      fullDescription: [
        "Keys: " +
        CONFIG_KEYS.map((k) => `${displayKey(k.key)} (${k.doc}; default ${k.default})`).join(";\n  "),
        "",
        "A setting in seconds also takes a duration, as enqueue --timeout does (30s, 5m, 2h, 1d,",
        "250ms), and is stored as its number of seconds.",
        "",
        "Comments in config.jsonc are kept. Sets made at once (from several shells) hold a lock",
        "(config.lock in the home) and are applied one after another: none is lost.",
        "",
        "Examples:\n  queuectl config set max-retries 5\n  queuectl config set backoff_base 3\n  queuectl config set job-timeout 5m",
      ].join("\n"),
    },
  }),
}, { brief: "Read and change settings (config.jsonc in the home)" });
