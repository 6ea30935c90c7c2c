/**
 * The test clock's own fault: a `faketime` wrapper killed before it cleaned up leaves its semaphore
 * and shared memory in /dev/shm, named after its pid, and a later wrapper that gets that pid again
 * fails ("faketime: sem_open: File exists"). clearStaleFaketime() removes those of dead pids only.
 */
import assert from "node:assert/strict";
import { clearStaleFaketime } from "../../testkit/faketime.ts";
import { exists } from "../../testkit/files.ts";

Deno.test("clearStaleFaketime() removes what a dead faketime wrapper left in /dev/shm and keeps a live one's", async () => {
  const exited = new Deno.Command("true").spawn();
  await exited.status; // reaped: its pid names no process
  const dead = exited.pid;
  const live = Deno.pid;
  const files = [
    `/dev/shm/faketime_shm_${dead}`,
    `/dev/shm/sem.faketime_sem_${dead}`,
    `/dev/shm/faketime_shm_${live}`,
    `/dev/shm/sem.faketime_sem_${live}`,
  ];
  for (const f of files) Deno.writeFileSync(f, new Uint8Array(0));
  try {
    clearStaleFaketime();
    const left = files.filter(exists);
    assert.deepEqual(left, files.slice(2));
  } finally {
    for (const f of files) {
      try {
        Deno.removeSync(f);
      } catch { /* removed by the test */ }
    }
  }
});
