/**
 * Fault: a stranger process holds the store's lock file (`store.lock`, see src/store/paths.ts)
 * with `Deno.FsFile.lock`, as a stuck or stopped queuectl would.
 *
 * Exclusively held: readers and writers wait (there is no timeout: a lock is held only for the
 * length of one transaction, so a long hold is a stuck process) and say on stderr, after about a
 * second, that they wait; once it is released they proceed and exit 0. Held shared (as a reader
 * holds it): readers go ahead, writers wait. The store is consistent afterwards.
 */
import { cli, cliOk, DENO, lockWaiters, processAlive, spawnCli, stopBackground } from "../../testkit/mod.ts";
import {
  checkConsistent,
  describe,
  type FaultOptions,
  type FaultReport,
  Findings,
  waitOr,
  withTempDir,
} from "./common.ts";

const WAITING = /waiting for the lock/i;

interface Stranger {
  release(): Promise<void>;
}

/** A `deno eval` process that holds `path` locked (exclusive or shared) until released. */
async function holdLock(path: string, exclusive: boolean): Promise<Stranger> {
  const code = `const f = Deno.openSync(${JSON.stringify(path)}, { read: true, write: true });
await f.lock(${exclusive}); console.log("locked"); setInterval(() => {}, 1 << 30);`;
  const child = new Deno.Command(DENO, { args: ["eval", code], stdout: "piped", stderr: "inherit" }).spawn();
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  if (!new TextDecoder().decode(value).includes("locked")) {
    throw new Error("the stranger could not take the lock");
  }
  return {
    async release() {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await reader.cancel().catch(() => {});
      await child.status;
    },
  };
}

async function blockedThenProceeds(
  f: Findings,
  home: string,
  stranger: Stranger,
  blocked: Array<[string, string[]]>,
  free: Array<[string, string[]]>,
  label: string,
): Promise<number> {
  const started = blocked.map(([name, args]) => [name, spawnCli(home, args)] as const);
  try {
    for (const [name, args] of free) {
      const r = await cli(home, args);
      f.expect(r.code === 0, `${label}: ${name} should not wait (${describe(r)})`);
    }
    // each says it waits (which it does only after a second of waiting) and is still there:
    // neither given up nor gone ahead without the lock; a slow start only delays the line
    for (const [name, bg] of started) {
      const said = () => WAITING.test(bg.output());
      await waitOr(
        f,
        () => said() || !processAlive(bg.pid),
        `${label}: ${name} to say it waits`,
        30_000,
        bg.output,
      );
      f.expect(said(), `${label}: ${name} waits silently (no "waiting for the lock" line)`);
    }
    // and each is blocked in the kernel waiting for store.lock (not given up, not gone ahead): in
    // its own process, or, for an enqueue a worker of the home took (src/handoff), in that worker's
    const lock = `${home}/store.lock`;
    const workers = started.filter(([name]) => name === "worker").map(([, bg]) => bg.pid);
    const waits = (name: string, pid: number) => {
      const waiting = lockWaiters(lock);
      return waiting.includes(pid) || (name === "enqueue" && workers.some((w) => waiting.includes(w)));
    };
    for (const [name, bg] of started) {
      await waitOr(
        f,
        () => waits(name, bg.pid) || !processAlive(bg.pid),
        `${label}: ${name} to wait for the lock`,
        30_000,
      );
      f.expect(
        waits(name, bg.pid) && processAlive(bg.pid),
        `${label}: ${name} did not wait for the lock: ${bg.output().slice(0, 300)}`,
      );
    }
    const releasedAt = performance.now();
    await stranger.release();
    let slowest = 0;
    for (const [name, bg] of started) {
      const done = await waitOr(
        f,
        () => !processAlive(bg.pid),
        `${label}: ${name} to finish after release`,
        30_000,
      );
      const code = done ? await bg.exited() : -1;
      slowest = Math.max(slowest, performance.now() - releasedAt);
      f.expect(
        code === 0,
        `${label}: ${name} exited ${code} after the lock was released: ${bg.output().slice(0, 300)}`,
      );
    }
    return slowest;
  } finally {
    await stranger.release();
    for (const [, bg] of started) if (processAlive(bg.pid)) await stopBackground(bg, 2000);
  }
}

export async function lockHeld(options: FaultOptions): Promise<FaultReport> {
  const f = new Findings("lock held by a stranger");
  await withTempDir("lock", async (dir) => {
    const home = `${dir}/home`;
    const acked = new Set([(await cliOk(home, ["enqueue", "--id", "first", "echo first"])).trim()]);
    const lock = `${home}/store.lock`;
    options.progress("lock held: exclusively");
    const exclusive = await blockedThenProceeds(
      f,
      home,
      await holdLock(lock, true),
      [
        ["status", ["status"]],
        ["list", ["list", "--json"]],
        ["enqueue", ["enqueue", "--id", "while-locked", "echo w"]],
        ["worker", ["worker", "start", "--drain"]],
      ],
      [["worker list", ["worker", "list"]], ["config list", ["config", "list"]]],
      "exclusive",
    );
    acked.add("while-locked");
    f.figure("exclusive hold: slowest command done after release (ms)", Math.round(exclusive));
    options.progress("lock held: shared");
    const shared = await blockedThenProceeds(
      f,
      home,
      await holdLock(lock, false),
      [["enqueue", ["enqueue", "--id", "while-shared", "echo s"]]],
      [["status", ["status"]], ["show", ["show", "first"]], ["list", ["list"]]],
      "shared",
    );
    acked.add("while-shared");
    f.figure("shared hold: writer done after release (ms)", Math.round(shared));
    const jobs = await checkConsistent(f, home, acked, "after the lock was released");
    // the draining worker ran at least the job enqueued before it (it may have drained before
    // while-locked was enqueued: their order after the release is not defined)
    const first = jobs.find((j) => j.id === "first");
    f.expect(first?.state === "completed", `the draining worker did not run job first (${first?.state})`);
  });
  return f.report();
}
