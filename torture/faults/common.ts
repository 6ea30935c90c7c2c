/**
 * What every fault scenario shares: its report, a temp directory it always removes, the system
 * tricks that make a fault (a tiny tmpfs, a read-only bind mount, `ulimit -f` where mounting is
 * not allowed) and the one consistency check run once the fault is gone.
 *
 * A scenario returns violations as data (one sentence each) instead of throwing, so the torture
 * step can tabulate them and `tests/faults/fault_*_test.ts` can assert there are none.
 */
import type { Figure } from "../step.ts";
import {
  type Background,
  background,
  cli,
  CLI_FLAGS,
  type CliResult,
  DENO,
  MAIN,
  waitFor,
} from "../../testkit/mod.ts";
import { processesNaming } from "../lib/procs.ts";

export interface FaultOptions {
  /** smaller sizes (the `deno task test` variant) */
  quick: boolean;
  progress: (line: string) => void;
}

export interface FaultReport {
  name: string;
  figures: Figure[];
  violations: string[];
}

/** The figures of `report` that say how a fault was made ("disk full: method: tmpfs"). */
export function methodsOf(report: FaultReport): string[] {
  return report.figures.filter((f) => /: method\b/.test(f.label)).map((f) => `${f.label}: ${f.value}`);
}

/** Collects figures and broken expectations of one scenario. */
export class Findings {
  readonly figures: Figure[] = [];
  readonly violations: string[] = [];
  constructor(readonly name: string) {}

  figure(label: string, value: string | number): void {
    this.figures.push({ label: `${this.name}: ${label}`, value });
  }

  /** Records `why` as a violation unless `ok`; returns `ok`. */
  expect(ok: boolean, why: string): boolean {
    if (!ok) this.violations.push(`${this.name}: ${why}`);
    return ok;
  }

  report(): FaultReport {
    return { name: this.name, figures: this.figures, violations: this.violations };
  }
}

/** Runs `fn` with a fresh temp directory, removed afterwards (after `cleanup`, e.g. an umount). */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = Deno.makeTempDirSync({ prefix: `qctl-fault-${prefix}-` });
  try {
    return await fn(dir);
  } finally {
    unmountAll(dir);
    Deno.removeSync(dir, { recursive: true });
  }
}

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; text: string }> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    return { ok: out.success, text };
  } catch (e) {
    return { ok: false, text: (e as Error).message };
  }
}

let mountAllowed: boolean | null = null;

/**
 * Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN); probed once. TORTURE_NO_MOUNT=1
 * answers no without probing, to run the fallbacks (and see what they cannot do) where mounting works.
 */
export async function canMount(): Promise<boolean> {
  if (Deno.env.get("TORTURE_NO_MOUNT") === "1") return false;
  if (mountAllowed !== null) return mountAllowed;
  const probe = Deno.makeTempDirSync({ prefix: "qctl-fault-probe-" });
  try {
    mountAllowed = (await run("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe])).ok;
    if (mountAllowed) await run("umount", [probe]);
  } finally {
    Deno.removeSync(probe, { recursive: true });
  }
  return mountAllowed;
}

/** Mounts a tmpfs of `bytes` at `dir` (created); throws with mount's message when it cannot. */
export async function mountTmpfs(dir: string, bytes: number): Promise<void> {
  Deno.mkdirSync(dir, { recursive: true });
  const r = await run("mount", ["-t", "tmpfs", "-o", `size=${bytes},mode=0755`, "tmpfs", dir]);
  if (!r.ok) throw new Error(`mount -t tmpfs ${dir} failed: ${r.text.trim()}`);
}

/** Grows (or shrinks) the tmpfs at `dir` in place: its files stay. */
export async function resizeTmpfs(dir: string, bytes: number): Promise<void> {
  const r = await run("mount", ["-o", `remount,size=${bytes}`, dir]);
  if (!r.ok) throw new Error(`remount of ${dir} failed: ${r.text.trim()}`);
}

/** A read-only view of `source` at `target` (root ignores file modes, a ro mount it cannot). */
export async function mountReadOnly(source: string, target: string): Promise<void> {
  Deno.mkdirSync(target, { recursive: true });
  let r = await run("mount", ["--bind", source, target]);
  if (r.ok) r = await run("mount", ["-o", "remount,ro,bind", target]);
  if (!r.ok) {
    await run("umount", [target]);
    throw new Error(`read-only bind mount of ${source} failed: ${r.text.trim()}`);
  }
}

/** Unmounts everything mounted under `dir`, innermost first (lazily if busy). */
export function unmountAll(dir: string): void {
  let mounts: string[];
  try {
    mounts = Deno.readTextFileSync("/proc/self/mounts").split("\n")
      .map((line) => line.split(" ")[1]?.replace(/\\040/g, " "))
      .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(`${dir}/`)));
  } catch {
    return;
  }
  for (const m of mounts.sort((a, b) => b.length - a.length)) {
    const out = new Deno.Command("umount", { args: ["-l", m], stdout: "null", stderr: "null" }).outputSync();
    if (!out.success) throw new Error(`cannot unmount ${m}`);
  }
}

/**
 * Runs the CLI like `cli()`, but with other Deno permissions (`perms`) or through a shell
 * `script` that ends in `exec "$@"` (the deno command line).
 */
export async function cliCustom(
  home: string,
  args: string[],
  how: { perms?: string[]; script?: string },
): Promise<CliResult> {
  const deno = [DENO, "run", ...(how.perms ?? CLI_FLAGS), MAIN, ...args];
  const [cmd, ...rest] = how.script ? ["/bin/sh", "-c", how.script, "sh", ...deno] : deno;
  const out = await new Deno.Command(cmd, {
    args: rest,
    env: { QUEUECTL_HOME: home, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/**
 * Starts the CLI in the background like `spawnCli()`, through a shell `script` ending in
 * `exec "$@"`: the returned pid is the CLI's own (exec keeps it).
 */
export function spawnCustom(home: string, args: string[], script: string): Background {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", script, "sh", DENO, "run", ...CLI_FLAGS, MAIN, ...args],
    env: { QUEUECTL_HOME: home, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return background(child);
}

/**
 * Runs the CLI with `ulimit -f` at `blocks` 512-byte blocks: the fallback for a full disk where
 * no tmpfs can be mounted. SIGXFSZ is ignored first, so a write past the limit fails with EFBIG
 * (as a full disk fails with ENOSPC) instead of killing the process.
 */
export function cliFileLimit(home: string, args: string[], blocks: number): Promise<CliResult> {
  return cliCustom(home, args, { script: `trap '' XFSZ; ulimit -f ${blocks}; exec "$@"` });
}

/** A failing command's stderr is exactly one `error:` line (no stack, no second sentence). */
export function oneErrorLine(r: CliResult): boolean {
  const lines = r.stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("warning: "));
  return lines.length === 1 && lines[0].startsWith("error: ") && !/\n\s+at /.test(r.stderr);
}

export function describe(r: CliResult): string {
  return `exit ${r.code}, stderr ${JSON.stringify(r.stderr.trim().slice(0, 300))}`;
}

/**
 * The store is consistent: `doctor` says ok, every acknowledged id is listed once, no job is
 * listed that was never acknowledged (unless `allowed`), and the log holds one record per line.
 * Returns the listed jobs.
 */
export async function checkConsistent(
  f: Findings,
  home: string,
  acknowledged: Iterable<string>,
  when: string,
  allowed: (id: string) => boolean = () => false,
): Promise<Array<{ id: string; state: string }>> {
  const doctor = await cli(home, ["doctor"]);
  f.expect(
    doctor.code === 0 && /^store ok/.test(doctor.stdout),
    `${when}: doctor is not clean (${describe(doctor)})`,
  );
  const listed = await cli(home, ["list", "--limit", "0", "--json"]);
  if (!f.expect(listed.code === 0, `${when}: list --json failed (${describe(listed)})`)) return [];
  const jobs = JSON.parse(listed.stdout) as Array<{ id: string; state: string }>;
  const ids = new Set(jobs.map((j) => j.id));
  f.expect(ids.size === jobs.length, `${when}: list --json names a job twice`);
  const acked = new Set(acknowledged);
  const lost = [...acked].filter((id) => !ids.has(id));
  f.expect(lost.length === 0, `${when}: acknowledged job(s) lost: ${lost.slice(0, 5).join(", ")}`);
  const strangers = [...ids].filter((id) => !acked.has(id) && !allowed(id));
  f.expect(
    strangers.length === 0,
    `${when}: unacknowledged job(s) present: ${strangers.slice(0, 5).join(", ")}`,
  );
  for (const entry of Deno.readDirSync(home)) {
    if (!/^wal-\d{8}\.jsonl$/.test(entry.name)) continue;
    const text = Deno.readTextFileSync(`${home}/${entry.name}`);
    f.expect(text === "" || text.endsWith("\n"), `${when}: ${entry.name} ends with a torn line`);
    const bad = text.split("\n").filter((l) => l !== "").findIndex((l) => {
      try {
        return typeof JSON.parse(l).seq !== "number";
      } catch {
        return true;
      }
    });
    f.expect(bad < 0, `${when}: ${entry.name} line ${bad + 1} is not one whole record`);
  }
  return jobs;
}

/** Every file and directory under `dir` (relative names), for "nothing changed" checks. */
export function treeOf(dir: string): string[] {
  const out: string[] = [];
  const walk = (path: string, rel: string) => {
    for (const e of Deno.readDirSync(path)) {
      const name = rel ? `${rel}/${e.name}` : e.name;
      out.push(name);
      if (e.isDirectory) walk(`${path}/${e.name}`, name);
    }
  };
  walk(dir, "");
  return out.sort();
}

/** Resident set (VmRSS) and its peak (VmHWM) of `pid` in KiB, or null once it is gone. */
export function memoryKb(pid: number): { rss: number; hwm: number } | null {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/status`);
    const rss = /^VmRSS:\s+(\d+) kB$/m.exec(text);
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(text);
    return rss && hwm ? { rss: Number(rss[1]), hwm: Number(hwm[1]) } : null;
  } catch {
    return null;
  }
}

/** SIGKILLs every process whose command line contains `needle` (a test's own marker). */
export function killWith(needle: string): void {
  for (const pid of processesNaming(needle)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
}

/** `waitFor` that records a violation (with `context()`, e.g. a worker's output) instead of throwing. */
export async function waitOr(
  f: Findings,
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
  context: () => string = () => "",
): Promise<boolean> {
  try {
    await waitFor(predicate, what, timeoutMs, 200);
    return true;
  } catch (e) {
    const more = context();
    f.expect(false, `${(e as Error).message}${more ? `\n--- context:\n${more.slice(-1500)}` : ""}`);
    return false;
  }
}
