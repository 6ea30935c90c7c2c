/**
 * What every command receives as `this`: output streams, environment, the clock and the
 * resolved global options. Built once per run (run.ts); commands never reach for globals. Also
 * what a command body uses around it: its home and store (openSession), and `action`, which runs
 * the body and turns its failure into one line and an exit code. Nothing here loads stricli (its
 * types only): run.ts runs `enqueue <job>` through `action` without the command parser, and the
 * command tree's builders are in command.ts.
 */
import { printable } from "../printable.ts";
import type { BaseArgs, CommandContext } from "@stricli/core";
import { loadConfig } from "../config.ts";
import { OperationError, QueueError } from "../errors.ts";
import { checkHomeTrusted, processUid } from "../home_trust.ts";
import type { Store } from "../store/mod.ts";
import { openStore } from "../store/open.ts";
import type { Clock } from "../clock.ts";
import { type HomePaths, homePaths } from "../store/paths.ts";
import { homeDir } from "./global_args.ts";
import { isStreamGone } from "../stream_gone.ts";

export interface Streams {
  write(text: string): void;
}

export interface AppContext extends CommandContext {
  readonly process: { readonly stdout: Streams; readonly stderr: Streams };
  readonly env: (name: string) => string | undefined;
  /** `--home` given before the command name */
  readonly globalHome: string | undefined;
  readonly cwd: string;
  readonly clock: Clock;
  readStdin(): Promise<string>;
  /** exit code of a command that failed with a QueueError */
  exitCode: number;
  /** called when a command body starts: argument parsing is over */
  commandStarted(): void;
  /**
   * The command's exit code is its answer (`wait`, `enqueue --wait`): should stdout go away, its
   * output is dropped and the exit code stands (run.ts runApp), where any other command ends with 0.
   */
  keepExitCode(): void;
}

export interface HomeFlags {
  home?: string;
}

export const homeFlag = {
  home: {
    kind: "parsed",
    parse: String,
    brief: "Home directory of the queue (default: $QUEUECTL_HOME, else ~/.queuectl)",
    optional: true,
    placeholder: "dir",
  },
} as const;

/** The flags of a command that takes `--json` (jsonFlag) and `--home` (homeFlag). */
export interface JsonFlags extends HomeFlags {
  json?: boolean;
}

export const jsonFlag = {
  json: {
    kind: "boolean",
    brief: "Print JSON instead of a table",
    optional: true,
    withNegated: false,
  },
} as const;

export function resolveHome(ctx: AppContext, flags: HomeFlags): string {
  const clean = homeDir([flags.home, ctx.globalHome, ctx.env("QUEUECTL_HOME")], ctx.env("HOME"), ctx.cwd);
  checkHomePath(clean);
  checkHomeTrusted(clean, processUid());
  return clean;
}

/**
 * Fails when a file stands where the home or one of its parents must be a directory: Deno's own
 * error for that ("Not a directory (os error 20)") names no path.
 */
function checkHomePath(home: string): void {
  for (let path = home; path.length > 0; path = path.slice(0, path.lastIndexOf("/"))) {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(path);
    } catch {
      continue; // missing (created by the first write), or under a file: look further up
    }
    if (!info.isDirectory) {
      throw new OperationError(`Cannot use the home directory ${home}: ${path} is a file (Not a directory)`);
    }
    return;
  }
}

export interface Session {
  home: string;
  paths: HomePaths;
  store: Store;
}

/** Opens the store of the home the flags name (a worker's may not create it: `createHome` false). */
export function openSession(ctx: AppContext, flags: HomeFlags, createHome = true): Session {
  const home = resolveHome(ctx, flags);
  const store = openStore(home, {
    clock: ctx.clock,
    env: ctx.env,
    warn: (m) => ctx.process.stderr.write(`warning: ${printable(m)}\n`),
    createHome,
  });
  return { home, paths: homePaths(home), store };
}

export function sessionConfig(session: Session) {
  return loadConfig(session.paths.config);
}

/** Runs a command body, turning QueueErrors (and file-system failures) into one stderr line. */
export function action<F, A extends BaseArgs>(
  body: (this: AppContext, flags: F, ...args: A) => void | Promise<void>,
) {
  return async function (
    this: AppContext,
    flags: F,
    ...args: A
  ): Promise<void> {
    this.commandStarted();
    try {
      await body.call(this, flags, ...args);
    } catch (e) {
      this.exitCode = report(this, e);
    }
  };
}

function report(ctx: AppContext, e: unknown): number {
  // the reader of our output went away (`queuectl logs ID | head -1`): nothing is wrong with what
  // was done (a write command writes its output after its work), so stop quietly, as ripgrep does
  if (isStreamGone(e)) return 0;
  if (e instanceof QueueError) {
    ctx.process.stderr.write(`error: ${printable(e.message)}\n`);
    return e.exitCode;
  }
  if (isOsError(e)) {
    // the OS's words quote paths, which may hold any byte but NUL: one line, escaped
    ctx.process.stderr.write(`error: ${printable(e.message)}\n`);
    return 1;
  }
  const err = e as Error;
  ctx.process.stderr.write(
    `error: internal error: ${printable(err?.message ?? String(e))}\n`,
  );
  if (ctx.env("QUEUECTL_DEBUG")) ctx.process.stderr.write(`${err?.stack}\n`);
  return 1;
}

/**
 * An error the operating system reported (a file or process call failed: ENOSPC, ELOOP, EACCES…),
 * told by its kind: Deno's classes for the errno values it maps, and an errno `code` on the rest
 * (ENOSPC, EROFS, EXDEV… come as plain Errors carrying it); never by the message's words.
 */
export function isOsError(e: unknown): e is Error {
  if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotFound) return true;
  if (e instanceof Deno.errors.NotADirectory) return true;
  const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  return typeof code === "string" && /^E[A-Z0-9]+$/.test(code);
}
