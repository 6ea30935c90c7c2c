/** A scratch directory per trial or case: the home, the ledger, batch files; removed at the end. */
import { removeLeftCgroups } from "../../testkit/cgroups.ts";
import { DIR_MODE, FILE_MODE } from "../../src/durable.ts";
import { type HomePaths, homePaths, scanGenerations } from "../../src/store/paths.ts";

export interface Scratch {
  dir: string;
  home: string;
  paths: HomePaths;
  ledger: string;
}

export function makeScratch(prefix: string): Scratch {
  const dir = Deno.makeTempDirSync({ prefix });
  const home = `${dir}/home`;
  return { dir, home, paths: homePaths(home), ledger: `${dir}/ledger` };
}

export function removeScratch(s: Scratch): void {
  removeLeftCgroups(s.home);
  try {
    Deno.removeSync(s.dir, { recursive: true });
  } catch { /* already gone */ }
}

/** Creates the home with a config.jsonc holding `settings` (snake_case keys, as the file takes). */
export function writeConfig(s: Scratch, settings: Record<string, number>): void {
  Deno.mkdirSync(s.home, { recursive: true, mode: DIR_MODE });
  Deno.writeTextFileSync(s.paths.config, JSON.stringify(settings, null, 2) + "\n", { mode: FILE_MODE });
}

export function readText(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "";
    throw e;
  }
}

/**
 * What an unfinished compaction leaves in a home, as a short signature ("" when nothing): temp
 * files, an older generation's files beside the newest, a snapshot without its log, or a newest
 * log whose last record is its seal. Meaningful only while no process can change the home (the
 * kill step stops every process of the trial while it looks).
 */
export function compactionLeftovers(s: Scratch): string {
  const g = scanGenerations(s.home);
  const parts: string[] = [];
  if (g.temps.length > 0) parts.push(`temps:${g.temps.map((t) => t.split("/").pop()).sort().join(",")}`);
  if (g.wals.length > 1) parts.push(`wals:${g.wals.join(",")}`);
  if (g.snapshots.length > 1) parts.push(`snapshots:${g.snapshots.join(",")}`);
  const newest = Math.max(0, ...g.wals);
  if (newest > 0 && lastLine(s.paths.wal(newest)).includes('"type":"seal"')) parts.push(`sealed:${newest}`);
  if (Math.max(0, ...g.snapshots) > newest) parts.push(`no-wal:${Math.max(...g.snapshots)}`);
  return parts.join(" ");
}

function lastLine(path: string): string {
  const text = readText(path).trimEnd();
  return text.slice(text.lastIndexOf("\n") + 1);
}

/** Copies the directory tree `from` to `to` (files and directories; modes kept). */
export function copyTree(from: string, to: string): void {
  Deno.mkdirSync(to, { mode: Deno.statSync(from).mode ?? DIR_MODE });
  for (const e of Deno.readDirSync(from)) {
    const src = `${from}/${e.name}`;
    const dst = `${to}/${e.name}`;
    if (e.isDirectory) copyTree(src, dst);
    else if (e.isFile) Deno.copyFileSync(src, dst);
  }
}
