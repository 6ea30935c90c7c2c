/**
 * A worker killed while it started left its slots' cgroups for good: it created them before it
 * wrote its file in `workers/`, the only record the next worker's sweep of dead workers reads
 * (40 workers SIGKILLed 10-100 ms after their spawn left 9 directories, none named by a file).
 * Now the file comes first, and a dead worker's file that names no cgroup has its directory
 * found by its id. And a sweep that could not remove a dead worker's cgroups removed its file
 * all the same, so that nothing tried again: the file now stays until they are gone.
 */
import assert from "node:assert/strict";
import { cliOk, spawnCli, stopBackground, untilOutput, withHome } from "../../testkit/mod.ts";
import { locateWorkerCgroups, removeCgroups, setupCgroups } from "../../src/worker/cgroup.ts";
import { homePaths } from "../../src/store/paths.ts";
import { newId } from "../../src/ids.ts";

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("a worker's file is written before its cgroups exist: at no instant of its start are they unnamed", async () => {
  await withHome(async (home) => {
    await cliOk(home, ["status"]);
    const paths = homePaths(home);
    const base = (await locateWorkerCgroups("w-probe"))?.replace(/\/queuectl-w-probe$/, "") ?? null;
    const worker = spawnCli(home, ["worker", "start", "--count", "2"]);
    // looked at again and again until it says it started: which ids had cgroups, which had files
    const unnamed = new Set<string>();
    let started = false;
    const watching = untilOutput(worker, / started with /).then(() => started = true);
    while (!started) {
      for (const e of base === null ? [] : Deno.readDirSync(base)) {
        if (!e.name.startsWith("queuectl-w-")) continue;
        const id = e.name.slice("queuectl-".length);
        if (!exists(paths.workerInfo(id))) unnamed.add(id);
      }
      await new Promise<void>((r) => setTimeout(r, 0)); // lets the output be read
    }
    await watching;
    const id = / (w-[0-9a-z]+) started with /.exec(worker.output())![1];
    assert.equal(await stopBackground(worker), 0);
    if (base === null) assert.match(worker.output(), /no cgroups/);
    assert.ok(!unnamed.has(id), `worker ${id}'s cgroups existed before its file named it`);
  });
});

/** Writes the file a worker killed with `id` leaves, naming `cgroup`. */
function deadWorkerFile(home: string, id: string, cgroup: string | null): void {
  const paths = homePaths(home);
  Deno.mkdirSync(paths.workersDir, { recursive: true, mode: 0o700 });
  Deno.writeTextFileSync(
    paths.workerInfo(id),
    JSON.stringify({
      id,
      pid: 2 ** 22 + 1,
      pid_start: 1,
      slots: 2,
      cgroup,
      runners: [],
      started_at: "2026-12-07T00:00:00.000Z",
      jobs: [],
      stopping: false,
      heartbeat_at: "2026-12-07T00:00:00.000Z",
    }),
    { mode: 0o600 },
  );
}

Deno.test("the cgroups of a worker killed before its file named them are removed by the next worker", async () => {
  await withHome(async (home) => {
    await cliOk(home, ["status"]);
    const paths = homePaths(home);
    // what a worker killed while it started leaves: its cgroups, and a file that names none
    const id = `w-${newId(Date.now())}`; // a new one each run: a directory left by a failed run is not this one
    const setup = await setupCgroups(id, 2);
    deadWorkerFile(home, id, null);
    try {
      const worker = spawnCli(home, ["worker", "start", "--drain"]);
      await untilOutput(worker, /drained|stopped/);
      assert.equal(await worker.exited(), 0);
      assert.match(worker.output(), new RegExp(`removed the files of dead worker ${id}`));
      assert.ok(!exists(paths.workerInfo(id)), "the dead worker's file is removed");
      // (where this process may not make cgroups, there is nothing to remove: the file's removal is the test)
      if (setup.usable) assert.ok(!exists(setup.dir), `its cgroups ${setup.dir} are removed`);
    } finally {
      if (setup.usable) await removeCgroups(setup.dir); // what a failed run would leave
    }
  });
});

Deno.test("a dead worker's file stays while its cgroups cannot be removed, and goes with them at a later start", async () => {
  await withHome(async (home) => {
    await cliOk(home, ["status"]);
    const paths = homePaths(home);
    const id = `w-${newId(Date.now())}`;
    const setup = await setupCgroups(id, 2);
    assert.ok(setup.usable, `this test needs cgroup v2 it may write (${setup.usable || setup.reason})`);
    // a directory the sweep does not remove stands for what it can meet: a process not yet gone,
    // a slot the killed worker's helper was still making
    const stuck = `${setup.dir}/stuck`;
    Deno.mkdirSync(stuck);
    deadWorkerFile(home, id, setup.dir);
    try {
      const first = spawnCli(home, ["worker", "start", "--drain"]);
      await untilOutput(first, /drained|stopped/);
      assert.equal(await first.exited(), 0);
      assert.match(first.output(), new RegExp(`kept the files of dead worker ${id} until its cgroups go`));
      assert.ok(exists(paths.workerInfo(id)), "its file stays");
      assert.ok(exists(`${setup.dir}/slot-2`) === false, "what could be removed is");

      Deno.removeSync(stuck);
      const second = spawnCli(home, ["worker", "start", "--drain"]);
      await untilOutput(second, /drained|stopped/);
      assert.equal(await second.exited(), 0);
      assert.match(second.output(), new RegExp(`removed the files of dead worker ${id}`));
      assert.ok(!exists(paths.workerInfo(id)), "its file goes");
      assert.ok(!exists(setup.dir), `its cgroups ${setup.dir} are removed`);
    } finally {
      try {
        Deno.removeSync(stuck);
      } catch { /* removed above */ }
      await removeCgroups(setup.dir);
    }
  });
});
