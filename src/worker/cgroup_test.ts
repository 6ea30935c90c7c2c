import assert from "node:assert/strict";
import {
  cgroupName,
  locateWorkerCgroups,
  removeCgroups,
  removeWorkerCgroups,
  removeWorkerCgroupsSync,
  setupCgroups,
} from "./cgroup.ts";
import { killNaming, marker, pidsNaming, untilRunning } from "./_testing.ts";

Deno.test("setupCgroups() says why cgroups are unusable without a cgroup2 mount, and leaves nothing", async () => {
  const setup = await setupCgroups("w-none", 2, "/nonexistent-proc");
  assert.deepEqual(setup, { usable: false, reason: "no cgroup2 file system is mounted" });
});

Deno.test("removeWorkerCgroups() kills what a dead worker left in its cgroups and removes them", async () => {
  const worker = `w-dead-${crypto.randomUUID().slice(0, 8)}`;
  const setup = await setupCgroups(worker, 2);
  if (!setup.usable) {
    console.log(`cgroup v2 is not usable here (${setup.reason}): nothing was created`);
    assert.equal(await removeWorkerCgroups(worker), null);
    return;
  }
  const mark = marker();
  try {
    assert.ok(setup.dir.endsWith(`/${cgroupName(worker)}`));
    for (const slot of setup.slots) assert.ok(Deno.statSync(`${slot}/cgroup.procs`).isFile);
    // a leftover of a job, as a worker killed with -9 leaves it
    const leftover = new Deno.Command("sh", {
      args: ["-c", `echo 0 > '${setup.slots[1]}/cgroup.procs' && exec setsid sleep ${mark}`],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await untilRunning(mark);
    assert.equal(await removeWorkerCgroups(worker), null);
    assert.deepEqual(pidsNaming(mark), []);
    await leftover.status;
    assert.throws(() => Deno.statSync(setup.dir), Deno.errors.NotFound);
    assert.equal(await removeCgroups(setup.dir), null, "removing again is not an error");
  } finally {
    killNaming(mark);
    await removeCgroups(setup.dir);
  }
});

Deno.test("removeWorkerCgroupsSync() finds a worker's cgroups by its id and removes them", async () => {
  const worker = `w-dead-${crypto.randomUUID().slice(0, 8)}`;
  const setup = await setupCgroups(worker, 2);
  if (!setup.usable) {
    console.log(`cgroup v2 is not usable here (${setup.reason}): nothing was created`);
    assert.equal(removeWorkerCgroupsSync(worker), null);
    return;
  }
  assert.equal(await locateWorkerCgroups(worker), setup.dir);
  assert.equal(removeWorkerCgroupsSync(worker), null);
  assert.throws(() => Deno.statSync(setup.dir), Deno.errors.NotFound);
  assert.equal(removeWorkerCgroupsSync(worker), null, "a missing directory is already removed");
});
